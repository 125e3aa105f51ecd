"""One crossbar sweep point: the experiment specification, its checked parameters and its stable id
(network points: :mod:`memxbar.sweeps.network`), and the rules that check parameter values.

The sweepable parameters are the fields of :class:`Experiment` and the parameters of the device
models, prefixed with ``device_`` (``device_v0`` of ``sinh``, ``device_n`` of ``power-law`` …,
see ``memxbar models``): models have parameters named like fields (``g_min``) and like each
other. A point keeps the device parameters of its own model only, so one sweep can compare
models that have different parameters; a name several models share applies to each of them.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from memxbar.devices import MODELS, Parameter, get_model
from memxbar.errors import InputError
from memxbar.simulate import BACKENDS
from memxbar.solver.iterative import DEFAULT_TOL
from memxbar.solver.options import METHODS

BOTH = "both"
"""Backend value that solves each point with every backend and compares them (ngspice is the reference)."""

COMPARED = ("fast", "spice")
"""The backends that :data:`BOTH` runs."""

BACKEND_CHOICES = (*BACKENDS, BOTH)
"""Accepted values of :attr:`Experiment.backend`."""

FAST_METHODS = tuple(method for method in METHODS if method != "weights")
"""Accepted values of :attr:`Experiment.method`: the metrics need node voltages, which the effective
weights do not give."""

DEVICE_PARAMS = "device_params"
"""The field of :class:`Experiment` holding the device parameters (not a sweepable name itself)."""

DEVICE_PREFIX = "device_"
"""Prefix of a device parameter's sweepable name: ``device_v0`` is parameter ``v0`` of the model."""


def number_rule(minimum: float, unit: str, strict: bool = False, maximum: float = math.inf) -> dict[str, Any]:
    """The rule (field metadata, see :func:`check_value`) of a number in [minimum, maximum] in ``unit``."""
    return {"kind": float, "minimum": minimum, "strict": strict, "maximum": maximum, "unit": unit}


def whole_rule(minimum: int) -> dict[str, Any]:
    """The rule of a whole number >= ``minimum``."""
    return {"kind": int, "minimum": minimum, "strict": False, "unit": ""}


def choice_rule(choices: tuple[str, ...]) -> dict[str, Any]:
    """The rule of a text that is one of ``choices``."""
    return {"kind": str, "choices": choices, "unit": ""}


@dataclass(frozen=True)
class Experiment:
    """A random crossbar experiment: the crossbar, its devices, its input vectors, the backend and the energy model.

    Conductances and inputs are drawn by :mod:`memxbar.generate` from ``seed``, so a point is fully
    reproducible from its parameters. Every field but ``device_params`` is a sweepable parameter;
    its name is the key in a sweep's ``base`` and ``grid`` and the column in the results.
    """

    rows: int = field(default=32, metadata=whole_rule(1))
    """Word lines M (inputs)."""
    cols: int = field(default=32, metadata=whole_rule(1))
    """Bit lines N (outputs)."""
    g_min: float = field(default=1e-6, metadata=number_rule(0.0, "S"))
    """Lowest programmed device conductance in siemens (S); conductances are uniform in [g_min, g_max]."""
    g_max: float = field(default=1e-4, metadata=number_rule(0.0, "S"))
    """Highest programmed device conductance in siemens (S)."""
    r_wl: float = field(default=0.0, metadata=number_rule(0.0, "Ω"))
    """Resistance of every word-line segment in ohms (Ω)."""
    r_bl: float = field(default=0.0, metadata=number_rule(0.0, "Ω"))
    """Resistance of every bit-line segment in ohms (Ω)."""
    r_driver: float = field(default=0.0, metadata=number_rule(0.0, "Ω"))
    """Output resistance of every word-line driver in ohms (Ω)."""
    r_sense: float = field(default=0.0, metadata=number_rule(0.0, "Ω"))
    """Input resistance of every sense amplifier in ohms (Ω)."""
    v_max: float = field(default=0.5, metadata=number_rule(0.0, "V"))
    """Largest input voltage in volts (V); inputs are uniform in [0, v_max]."""
    batch: int = field(default=1, metadata=whole_rule(1))
    """Input vectors per point: each is one vector-matrix multiplication (VMM); metrics cover all of them."""
    read_time: float = field(default=1e-8, metadata=number_rule(0.0, "s", strict=True))
    """Duration of one read pulse in seconds (s): energy per VMM = power per VMM × read_time."""
    device: str = field(default="ohmic", metadata=choice_rule(tuple(MODELS)))
    """Device model (a name of :data:`memxbar.devices.MODELS`); conductances program it as the model says."""
    device_params: tuple[tuple[str, float], ...] = ()
    """(name, value) of every parameter of the device model, in the model's order, in SI units.
    Given as a mapping or pairs, possibly partial: missing parameters take the model's defaults."""
    device_file: str = field(default="", metadata={"kind": str, "choices": None, "unit": ""})
    """A Verilog-A device model (.va path), compiled to OSDI, instead of ``device`` ("" for none)."""
    backend: str = field(default="fast", metadata=choice_rule(BACKEND_CHOICES))
    """``"fast"``, ``"spice"``, or ``"both"`` (both backends; metrics from ngspice, plus their disagreement)."""
    method: str = field(default="auto", metadata=choice_rule(FAST_METHODS))
    """Fast backend's method: ``"auto"``, ``"direct"`` (sparse factorisation) or ``"iterative"``
    (preconditioned conjugate gradients); see :func:`memxbar.simulate`."""
    tol: float = field(default=DEFAULT_TOL, metadata=number_rule(0.0, "", strict=True))
    """Fast backend, iterative method: relative error (dimensionless) at which conjugate gradients stop."""
    seed: int = field(default=0, metadata=whole_rule(0))
    """Seed of the random conductances and inputs."""

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name != DEVICE_PARAMS:
                try:
                    object.__setattr__(self, item.name, check_parameter(item.name, getattr(self, item.name)))
                except InputError as exc:
                    raise InputError(f"{item.name}: {exc}") from None
        given = dict(self.device_params)
        for name, value in given.items():
            if np.ndim(value) != 0:
                raise InputError(f"device_params: {name} must be a single number in an experiment")
        if self.device_file:
            if self.device != "ohmic":
                raise InputError(f"device {self.device!r} and device_file {self.device_file!r} both choose the "
                                 "device model; give one")
            from memxbar.devices.verilog_a import from_verilog_a

            model = from_verilog_a(self.device_file, **given)
        else:
            model = get_model(self.device, **given)
        values = tuple((p.name, float(model.values[p.name])) for p in model.parameters)
        object.__setattr__(self, DEVICE_PARAMS, values)

    def parameters(self) -> dict[str, Any]:
        """The parameters as a plain dictionary in field order; the device parameters as one text,
        ``"name=value;name=value"`` (empty for a model without parameters)."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        values[DEVICE_PARAMS] = ";".join(f"{name}={value!r}" for name, value in self.device_params)
        return values

    def flat(self) -> dict[str, Any]:
        """Every sweepable parameter by name, the device parameters prefixed with ``device_``."""
        values = {item.name: getattr(self, item.name) for item in fields(self) if item.name != DEVICE_PARAMS}
        return {**values, **{DEVICE_PREFIX + name: value for name, value in self.device_params}}

    @property
    def point_id(self) -> str:
        """A stable id of this point: the first 16 hex digits of the SHA-256 of its parameters as JSON.

        It depends only on the parameter values (never on their order in a config or on the Python
        process), so a re-run of a sweep recognises the points it has already finished.
        """
        text = json.dumps(self.parameters(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf8")).hexdigest()[:16]


FIELDS: dict[str, Any] = {item.name: item for item in fields(Experiment) if item.name != DEVICE_PARAMS}
"""Sweepable field name of :class:`Experiment` → its dataclass field (type rules in ``metadata``)."""

DEVICE_PARAMETERS: dict[str, list[tuple[str, Parameter]]] = {}
"""Sweepable device parameter name (``device_v0``) → (model name, :class:`~memxbar.devices.Parameter`)
of every model that has the parameter."""
for _model in MODELS.values():
    for _parameter in _model.parameters:
        DEVICE_PARAMETERS.setdefault(DEVICE_PREFIX + _parameter.name, []).append((_model.name, _parameter))

PARAMETERS: tuple[str, ...] = (*FIELDS, *DEVICE_PARAMETERS)
"""Every sweepable parameter name: the fields of :class:`Experiment`, then the device parameters."""


def parameter_unit(name: str) -> str:
    """SI unit of a sweepable parameter ("" for counts, names and dimensionless numbers)."""
    if name in FIELDS:
        return FIELDS[name].metadata["unit"]
    unit = DEVICE_PARAMETERS[name][0][1].unit
    return "" if unit == "1" else unit


def parameter_kind(name: str) -> type:
    """Python type of a sweepable parameter's values: int, float or str."""
    return FIELDS[name].metadata["kind"] if name in FIELDS else float


def _describe(value: object) -> str:
    return f"{value!r}" if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


def _check_device_parameter(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"expected a number, got {_describe(value)}")
    errors = []
    for model, parameter in DEVICE_PARAMETERS[name]:
        try:
            return float(parameter.validate(float(value), model))
        except InputError as exc:
            errors.append(str(exc))
    raise InputError(errors[0])


def check_parameter(name: str, value: object) -> Any:
    """Check one parameter value and return it in its canonical type (int, float or str).

    Args:
        name: A name of :data:`PARAMETERS`.
        value: The value to check.

    Returns:
        The value, with integers given for a float parameter converted to float.

    Raises:
        InputError: Whose message (without the parameter name) says what was expected.
    """
    if name in DEVICE_PARAMETERS:
        return _check_device_parameter(name, value)
    return check_value(FIELDS[name].metadata, value)


def check_value(rule: Mapping[str, Any], value: object) -> Any:
    """Check a value against the rule of a parameter field (its dataclass ``metadata``).

    Args:
        rule: ``kind`` (int, float or str); for numbers ``minimum``, ``strict`` (minimum excluded),
            optionally ``maximum``, and ``unit``; for text ``choices`` (None: the path of an
            existing file, or of a folder too if ``folder`` is true; "" for none).
        value: The value to check.

    Returns:
        The value in its canonical type (int, float or str).

    Raises:
        InputError: Whose message (without the parameter name) says what was expected.
    """
    kind = rule["kind"]
    if kind is str and rule["choices"] is None:
        folder = rule.get("folder", False)
        if not isinstance(value, str) or (value and not (Path(value).is_file() or folder and Path(value).is_dir())):
            what = "file or folder" if folder else "file"
            raise InputError(f"expected the path of an existing {what} (or \"\"), got {_describe(value)}")
        return value
    if kind is str:
        if value not in rule["choices"]:
            raise InputError(f"expected one of {', '.join(map(repr, rule['choices']))}, got {_describe(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"expected {'a whole number' if kind is int else 'a number'}, got {_describe(value)}")
    if kind is int and not isinstance(value, numbers.Integral):
        raise InputError(f"expected a whole number, got {_describe(value)}")
    number = kind(value)
    if not math.isfinite(number):
        raise InputError(f"expected a finite number, got {value!r}")
    unit = f" {rule['unit']}" if rule["unit"] else ""
    if number < rule["minimum"] or (rule["strict"] and number == rule["minimum"]):
        relation = ">" if rule["strict"] else ">="
        raise InputError(f"must be {relation} {rule['minimum']}{unit}, got {value!r}")
    if number > rule.get("maximum", math.inf):
        raise InputError(f"must be <= {rule['maximum']}{unit}, got {value!r}")
    return number


def unknown_parameter(path: str, name: object) -> InputError:
    """The error for a key that is no parameter, suggesting the closest known name."""
    close = difflib.get_close_matches(str(name), PARAMETERS, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return InputError(
        f"{path}: unknown parameter; {hint}known: {', '.join(FIELDS)}, and {DEVICE_PREFIX}NAME for a parameter "
        "NAME of the device model (see `memxbar models`)"
    )


def experiment(values: Mapping[str, Any]) -> Experiment:
    """The :class:`Experiment` of checked parameter values, defaults for the rest.

    Device parameters that the point's device model does not have are left out, so that a sweep
    over several models may set the parameters of each.
    """
    model = MODELS[values.get("device", FIELDS["device"].default)]
    own = {DEVICE_PREFIX + p.name for p in model.parameters}
    device_params = {name.removeprefix(DEVICE_PREFIX): value for name, value in values.items() if name in own}
    return Experiment(**{k: v for k, v in values.items() if k in FIELDS}, device_params=device_params)
