"""One builder from plain parameters (CLI options, a sweep point, a benchmark case) to a crossbar and its inputs.

The parameters are a plain mapping, JSON-like: numbers, text, file paths or arrays. A key that is
absent (or None) takes its default from :data:`PARAMETERS`; a key that is present counts as *given*,
and two given parameters that cannot both take effect (``g_min`` with ``conductances``, ``batch``
with ``inputs`` …) are an error rather than one of them silently ignored. The same parameters and
``seed`` give the same crossbar and inputs wherever they come from (see :mod:`memxbar.generate`).

To add a parameter: an entry in :data:`PARAMETERS` (default, unit, meaning), its use in
:func:`build`, and any conflict in :data:`CONFLICTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError


@dataclass(frozen=True)
class Param:
    """One buildable parameter."""

    default: Any
    """Value taken when the parameter is not given (None: not used unless given)."""
    unit: str
    """SI unit of its values ("" for counts, names and files)."""
    doc: str
    """What it sets."""
    inputs: bool = False
    """Whether it describes the input voltages rather than the crossbar."""


PARAMETERS: dict[str, Param] = {
    "rows": Param(32, "", "word lines M of a random crossbar"),
    "cols": Param(32, "", "bit lines N of a random crossbar"),
    "g_min": Param(1e-6, "S", "lowest random conductance (uniform in [g_min, g_max])"),
    "g_max": Param(1e-4, "S", "highest random conductance"),
    "seed": Param(0, "", "seed of the random conductances and inputs (whole number >= 0)"),
    "conductances": Param(None, "S", "(M, N) conductances: an array or a .npy/.csv file, instead of random ones"),
    "r_wl": Param(0.0, "Ω", "word-line segment resistance: a number, an (M, N) array or a .npy/.csv file"),
    "r_bl": Param(0.0, "Ω", "bit-line segment resistance: a number, an (M, N) array or a .npy/.csv file"),
    "r_driver": Param(0.0, "Ω", "driver output resistance: a number, an (M,) array or a .npy/.csv file"),
    "r_sense": Param(0.0, "Ω", "sense-amplifier input resistance: a number, an (N,) array or a .npy/.csv file"),
    "device": Param("ohmic", "", "device model name (see `memxbar models`)"),
    "device_params": Param({}, "", "device-model parameters: name → number, (M, N) array or .npy/.csv file"),
    "device_file": Param(None, "", "a Verilog-A device model (.va), compiled to OSDI, instead of device"),
    "conductance_param": Param(None, "", "instance parameter of device_file that takes the conductances [G]"),
    "v_max": Param(0.5, "V", "largest random input voltage (inputs uniform in [0, v_max])", inputs=True),
    "batch": Param(1, "", "number of random input vectors B (1 gives one (M,) vector)", inputs=True),
    "inputs": Param(None, "V", "(M,) or (M, B) input voltages: an array or a .npy/.csv file (a .csv file of "
                    "one line or one column is one (M,) vector)", inputs=True),
}
"""Every parameter :func:`build` accepts, by name."""

CONFLICTS: tuple[tuple[str, str, str], ...] = (
    ("g_min", "conductances", "g_min draws random conductances"),
    ("g_max", "conductances", "g_max draws random conductances"),
    ("v_max", "inputs", "v_max draws random inputs"),
    ("batch", "inputs", "batch counts random inputs"),
    ("device", "device_file", "both choose the device model"),
)
"""(parameter, parameter, why): pairs that cannot both be given."""


@dataclass(frozen=True)
class Problem:
    """A crossbar and its input voltages."""

    crossbar: Crossbar
    """The crossbar."""
    voltages: np.ndarray | None
    """(M,) for one input vector, (M, B) for a batch, in volts (V); None if inputs were not asked for."""


def _given(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) is not None


def _value(params: Mapping[str, Any], name: str) -> Any:
    """The parameter's value, or its default when absent or None."""
    value = params.get(name)
    return PARAMETERS[name].default if value is None else value


def _array(value: Any, what: str) -> Any:
    """A number or array as it is; a file path read into an array (``what`` names it in errors)."""
    from memxbar.io import read_array

    return read_array(value, what) if isinstance(value, (str, Path)) else value


def _conflicts(params: Mapping[str, Any], inputs: bool, label: Callable[[str], str]) -> None:
    unknown = [name for name in params if name not in PARAMETERS]
    if unknown:
        raise InputError(f"{label(unknown[0])}: unknown parameter; known: {', '.join(map(label, PARAMETERS))}")
    for first, second, why in CONFLICTS:
        if _given(params, first) and _given(params, second):
            raise InputError(f"{label(first)} conflicts with {label(second)}: {why}; drop one of them")
    if not inputs:
        for name, spec in PARAMETERS.items():
            if spec.inputs and _given(params, name):
                raise InputError(f"{label(name)} describes input voltages, which are not used here; drop it")
    if _given(params, "seed") and _given(params, "conductances") and (not inputs or _given(params, "inputs")):
        raise InputError(
            f"{label('seed')} draws random conductances and inputs, but both are given "
            f"({label('conductances')}{', ' + label('inputs') if inputs else ''}); drop {label('seed')}"
        )


def _seed(value: Any, label: Callable[[str], str]) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InputError(f"{label('seed')} must be a whole number >= 0, got {value!r}")
    return int(value)


def _conductances(params: Mapping[str, Any], seed: int, label: Callable[[str], str]) -> np.ndarray:
    from memxbar.generate import random_conductances

    rows, cols = params.get("rows"), params.get("cols")
    if not _given(params, "conductances"):
        for name in ("rows", "cols"):
            value = _value(params, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{label(name)} must be a whole number >= 1, got {value!r}")
        return random_conductances(
            _value(params, "rows"),
            _value(params, "cols"),
            _value(params, "g_min"),
            _value(params, "g_max"),
            seed,
            names=(label("g_min"), label("g_max")),
        )
    from memxbar.validation import non_negative

    g = non_negative(_array(params["conductances"], label("conductances")), label("conductances"), "S")
    if g.ndim != 2:
        raise InputError(f"{label('conductances')}: a {g.ndim}-D array; an (M, N) table is needed")
    for name, value, size in (("rows", rows, g.shape[0]), ("cols", cols, g.shape[1])):
        if value is not None and value != size:
            raise InputError(
                f"{label(name)} {value} disagrees with {label('conductances')} of shape {g.shape}; drop {label(name)}"
            )
    return g


def _resistance(params: Mapping[str, Any], name: str, shape: tuple[int, ...], label: Callable[[str], str]) -> Any:
    from memxbar.io import as_vector
    from memxbar.validation import broadcast_to_shape, non_negative

    array = non_negative(_array(_value(params, name), label(name)), label(name), "Ω")
    if len(shape) == 1:
        array = as_vector(array)
    return broadcast_to_shape(array, shape, label(name), f"a number or an array of shape {shape}")


def device_model(params: Mapping[str, Any], label: Callable[[str], str] = str) -> Any:
    """The device model of ``params["device"]`` (or the Verilog-A file ``params["device_file"]``) with
    ``params["device_params"]`` (a mapping, or (name, value) pairs as repeated CLI options give them;
    values may be files of per-device arrays).

    Raises:
        InputError: If the model or a parameter is unknown, given twice, or out of range.
    """
    from memxbar.devices import get_model

    given = _value(params, "device_params")
    values: dict[str, Any] = {}
    for key, value in given.items() if isinstance(given, Mapping) else given:
        if key in values:
            raise InputError(f"{label('device_params')} {key} is given twice; give each parameter once")
        values[key] = _array(value, f"{label('device_params')} {key}")
    if _given(params, "device_file"):
        from memxbar.devices.verilog_a import from_verilog_a

        return from_verilog_a(params["device_file"], params.get("conductance_param"), **values)
    if _given(params, "conductance_param"):
        raise InputError(f"{label('conductance_param')} applies to {label('device_file')} only; drop it")
    return get_model(_value(params, "device"), **values)


def _voltages(params: Mapping[str, Any], rows: int, seed: int, label: Callable[[str], str]) -> np.ndarray:
    from memxbar.generate import random_inputs
    from memxbar.inputs import as_batch
    from memxbar.io import as_vector

    if _given(params, "inputs"):
        voltages = _array(params["inputs"], label("inputs"))
        one_line_csv = isinstance(params["inputs"], (str, Path)) and str(params["inputs"]).lower().endswith(".csv")
        if one_line_csv and np.shape(voltages) in ((1, rows), (rows, 1)):
            voltages = as_vector(np.asarray(voltages))
        v, batched = as_batch(voltages, rows, label("inputs"))
        return v if batched else v[:, 0]
    batch = _value(params, "batch")
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise InputError(f"{label('batch')} must be a whole number >= 1, got {batch!r}")
    voltages = random_inputs(rows, batch, _value(params, "v_max"), seed, name=label("v_max"))
    return voltages[:, 0] if batch == 1 else voltages


def build(params: Mapping[str, Any], *, inputs: bool = True, label: Callable[[str], str] = str) -> Problem:
    """Build a crossbar (and its input voltages) from plain parameters.

    Args:
        params: Parameter name → value (see :data:`PARAMETERS`); absent or None takes the default.
            Files are ``.npy`` or ``.csv`` paths (``str`` or :class:`~pathlib.Path`).
        inputs: Whether to make input voltages too; when False, input parameters are an error.
        label: How a parameter is named in error messages (the CLI passes its option names).

    Returns:
        The :class:`Problem`: the crossbar, and (M,) or (M, B) voltages in volts (V), or None.

    Raises:
        InputError: Naming the parameter (as ``label`` gives it): unknown, invalid, unreadable
            file, or given together with a parameter it conflicts with (:data:`CONFLICTS`).
    """
    _conflicts(params, inputs, label)
    seed = _seed(_value(params, "seed"), label)
    g = _conductances(params, seed, label)
    m, n = g.shape
    crossbar = Crossbar(
        g,
        r_wl=_resistance(params, "r_wl", (m, n), label),
        r_bl=_resistance(params, "r_bl", (m, n), label),
        r_driver=_resistance(params, "r_driver", (m,), label),
        r_sense=_resistance(params, "r_sense", (n,), label),
        device=device_model(params, label),
    )
    return Problem(crossbar, _voltages(params, m, seed, label) if inputs else None)


def _describe(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {key: _describe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return {key: _describe(item) for key, item in value} if value and isinstance(value[0], tuple) else list(value)
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}" if value.ndim else float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def effective_parameters(params: Mapping[str, Any], inputs: bool = True) -> dict[str, Any]:
    """What :func:`build` made a crossbar from: every parameter that took effect, given or default,
    JSON-ready (files by path, arrays by shape). For the provenance of result files.

    Args:
        params: As given to :func:`build`.
        inputs: Whether input voltages were made.
    """
    unused = set()
    if _given(params, "conductances"):
        unused |= {"rows", "cols", "g_min", "g_max"}
    if _given(params, "inputs") or not inputs:
        unused |= {"v_max", "batch"} | (set() if inputs else {"inputs"})
    if _given(params, "conductances") and (_given(params, "inputs") or not inputs):
        unused.add("seed")
    values = {}
    for name, spec in PARAMETERS.items():
        value = params.get(name, spec.default)
        if name not in unused and value is not None:
            values[name] = _describe(value)
    return values
