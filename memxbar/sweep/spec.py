"""One point of a sweep: the experiment specification, its checked parameters and its stable id."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from memxbar.errors import InputError
from memxbar.simulate import BACKENDS

BOTH = "both"
"""Backend value that solves each point with every backend and compares them (ngspice is the reference)."""

COMPARED = ("fast", "spice")
"""The backends that :data:`BOTH` runs."""

BACKEND_CHOICES = (*BACKENDS, BOTH)
"""Accepted values of :attr:`Experiment.backend`."""


def _number(minimum: float, unit: str, strict: bool = False) -> dict[str, Any]:
    return {"kind": float, "minimum": minimum, "strict": strict, "unit": unit}


def _whole(minimum: int) -> dict[str, Any]:
    return {"kind": int, "minimum": minimum, "strict": False, "unit": ""}


@dataclass(frozen=True)
class Experiment:
    """A random crossbar experiment: the crossbar, its input vectors, the backend and the energy model.

    Conductances and inputs are drawn by :mod:`memxbar.generate` from ``seed``, so a point is fully
    reproducible from its parameters. Every field is a sweepable parameter; its name is the key in a
    sweep's ``base`` and ``grid`` and the column in the results.
    """

    rows: int = field(default=32, metadata=_whole(1))
    """Word lines M (inputs)."""
    cols: int = field(default=32, metadata=_whole(1))
    """Bit lines N (outputs)."""
    g_min: float = field(default=1e-6, metadata=_number(0.0, "S"))
    """Lowest device conductance in siemens (S); conductances are uniform in [g_min, g_max]."""
    g_max: float = field(default=1e-4, metadata=_number(0.0, "S"))
    """Highest device conductance in siemens (S)."""
    r_wl: float = field(default=0.0, metadata=_number(0.0, "Ω"))
    """Resistance of every word-line segment in ohms (Ω)."""
    r_bl: float = field(default=0.0, metadata=_number(0.0, "Ω"))
    """Resistance of every bit-line segment in ohms (Ω)."""
    r_driver: float = field(default=0.0, metadata=_number(0.0, "Ω"))
    """Output resistance of every word-line driver in ohms (Ω)."""
    r_sense: float = field(default=0.0, metadata=_number(0.0, "Ω"))
    """Input resistance of every sense amplifier in ohms (Ω)."""
    v_max: float = field(default=0.5, metadata=_number(0.0, "V"))
    """Largest input voltage in volts (V); inputs are uniform in [0, v_max]."""
    batch: int = field(default=1, metadata=_whole(1))
    """Input vectors per point: each is one vector-matrix multiplication (VMM); metrics cover all of them."""
    read_time: float = field(default=1e-8, metadata=_number(0.0, "s", strict=True))
    """Duration of one read pulse in seconds (s): energy per VMM = power per VMM × read_time."""
    backend: str = field(default="fast", metadata={"kind": str, "choices": BACKEND_CHOICES})
    """``"fast"``, ``"spice"``, or ``"both"`` (both backends; metrics from ngspice, plus their disagreement)."""
    seed: int = field(default=0, metadata=_whole(0))
    """Seed of the random conductances and inputs."""

    def __post_init__(self) -> None:
        for item in fields(self):
            try:
                object.__setattr__(self, item.name, check_parameter(item.name, getattr(self, item.name)))
            except InputError as exc:
                raise InputError(f"{item.name}: {exc}") from None

    def parameters(self) -> dict[str, Any]:
        """The parameters as a plain dictionary, in field order."""
        return asdict(self)

    @property
    def point_id(self) -> str:
        """A stable id of this point: the first 16 hex digits of the SHA-256 of its parameters as JSON.

        It depends only on the parameter values (never on their order in a config or on the Python
        process), so a re-run of a sweep recognises the points it has already finished.
        """
        text = json.dumps(self.parameters(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf8")).hexdigest()[:16]


PARAMETERS: dict[str, Any] = {item.name: item for item in fields(Experiment)}
"""Parameter name → dataclass field of :class:`Experiment` (type rules in its ``metadata``)."""


def _describe(value: object) -> str:
    return f"{value!r}" if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


def check_parameter(name: str, value: object) -> Any:
    """Check one parameter value and return it in its canonical type (int, float or str).

    Args:
        name: A field name of :class:`Experiment`.
        value: The value to check.

    Returns:
        The value, with integers given for a float parameter converted to float.

    Raises:
        InputError: Whose message (without the parameter name) says what was expected.
    """
    rule = PARAMETERS[name].metadata
    kind = rule["kind"]
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
    return number


def unknown_parameter(path: str, name: object) -> InputError:
    """The error for a key that is no parameter, suggesting the closest known name."""
    close = difflib.get_close_matches(str(name), PARAMETERS, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return InputError(f"{path}: unknown parameter; {hint}known: {', '.join(PARAMETERS)}")


def make_experiment(values: Mapping[str, Any], path: str = "base") -> Experiment:
    """An :class:`Experiment` from a mapping of parameter names to values, defaults for the rest.

    Args:
        values: Parameter name → value.
        path: Where the mapping came from, prefixed to error messages (e.g. ``"base"``).

    Raises:
        InputError: Naming ``path.key`` for an unknown parameter or a wrong value.
    """
    if not isinstance(values, Mapping):
        raise InputError(f"{path}: expected a table of parameters, got {values!r}")
    checked = {}
    for key, value in values.items():
        if key not in PARAMETERS:
            raise unknown_parameter(f"{path}.{key}", key)
        try:
            checked[key] = check_parameter(key, value)
        except InputError as exc:
            raise InputError(f"{path}.{key}: {exc}") from None
    return Experiment(**checked)
