"""Solutions and comparisons as JSON-ready dictionaries and as short text summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from memxbar.compare import Comparison
from memxbar.errors import NotComputedError
from memxbar.solution import Solution

POWER_FIELDS = ("power_devices", "power_word_lines", "power_bit_lines", "power_access", "power_drivers", "power_sense",
                "power_total")


def _kept(solution: Solution, name: str) -> Any:
    """A solution's field, or None where an outputs-only solution does not hold it."""
    try:
        return getattr(solution, name)
    except NotComputedError:
        return None


def _plain(value: Any) -> Any:
    """JSON-ready value: arrays as lists, NaN (a floating terminal's current) as null."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and np.isnan(value).any():
            return np.where(np.isnan(value), None, value.astype(object)).tolist()
        return value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def solution_record(solution: Solution) -> dict[str, Any]:
    """Every per-output and per-vector figure of a solution, in SI units, JSON-ready.

    Node voltages and device currents ((M, N[, B]) arrays) are left out; see
    :func:`save_arrays` for those. What an outputs-only solution does not hold is None.
    """
    m, n = solution.crossbar.shape
    record: dict[str, Any] = {
        "backend": solution.backend,
        "rows": m,
        "cols": n,
        "device": repr(solution.crossbar.device),
        "cell": repr(solution.crossbar.cell),
        "bl_voltages_volts": None if solution.bias is None else
        (solution.bias.bl_voltages if solution.batched else solution.bias.bl_voltages[:, 0]),
        "floating_wl": None if solution.bias is None else np.flatnonzero(solution.bias.floating_wl),
        "floating_bl": None if solution.bias is None else np.flatnonzero(solution.bias.floating_bl),
        "batch": solution.voltages.shape[1] if solution.batched else None,
        "wall_time_seconds": solution.wall_time,
        "voltages_volts": solution.voltages,
        "output_currents": solution.output_currents,
        "ideal_currents": solution.ideal_currents,
        "deviation_amperes": solution.deviation,
        "relative_deviation": solution.relative_deviation,
        "input_currents": solution.input_currents,
        "method": solution.method,
        "outputs_only": solution.outputs_only,
    }
    device_voltages = _kept(solution, "device_voltages")
    record["max_device_voltage_volts"] = None if device_voltages is None else float(np.abs(device_voltages).max())
    record.update({f"{name}_watts": _kept(solution, name) for name in POWER_FIELDS})
    return {key: _plain(value) for key, value in record.items()}


def comparison_record(comparison: Comparison) -> dict[str, Any]:
    """Agreement figures of a comparison plus both solutions' records, JSON-ready."""
    return {
        "max_rel_error": comparison.max_rel_error,
        "max_abs_error_amperes": comparison.max_abs_error,
        "max_abs_error_volts": comparison.max_abs_error_volts,
        "fast_seconds": comparison.fast_seconds,
        "spice_seconds": comparison.spice_seconds,
        "fast": solution_record(comparison.fast),
        "spice": solution_record(comparison.spice),
    }


def write_json(record: dict[str, Any], path: Path) -> None:
    """Write a record as indented JSON."""
    path.write_text(json.dumps(record, indent=2) + "\n")


def save_arrays(solution: Solution, path: Path) -> None:
    """Write all arrays of a solution (node voltages, device currents …) to a ``.npz`` file;
    an outputs-only solution has no node voltages or device currents to write."""
    arrays = {
        "voltages": solution.voltages,
        "conductances": solution.crossbar.conductances,
        "output_currents": solution.output_currents,
        "ideal_currents": solution.ideal_currents,
        "wl_voltages": solution.wl_voltages,
        "bl_voltages": solution.bl_voltages,
        "device_currents": solution.device_currents,
    }
    with path.open("wb") as handle:
        np.savez_compressed(handle, **{name: array for name, array in arrays.items() if array is not None})


def _si(value: float, unit: str) -> str:
    return f"{value:.6g} {unit}"


def solution_summary(solution: Solution) -> str:
    """A few lines describing a solution for the terminal."""
    m, n = solution.crossbar.shape
    batch = solution.voltages.shape[1] if solution.batched else 1
    rel = np.atleast_1d(solution.relative_deviation)
    lines = [
        f"{m}x{n} crossbar, {batch} input vector(s), backend {solution.backend}"
        + (f" ({solution.method})" if solution.method else "")
        + f": {solution.wall_time:.4g} s",
        f"deviation from ideal G^T V: max {np.nanmax(rel):.4g} relative",
    ]
    for name in POWER_FIELDS:
        label = name.removeprefix("power_").replace("_", " ")
        value = _kept(solution, name)
        if value is None:
            lines.append(f"power {label:<11} not computed (outputs only)")
            continue
        mean = float(np.atleast_1d(value).mean())
        lines.append(f"power {label:<11} {_si(mean, 'W')}" + (" (mean over batch)" if batch > 1 else ""))
    currents = np.atleast_2d(solution.output_currents.T)[0]
    shown = ", ".join(f"{c:.6g}" for c in currents[:8]) + (", ..." if n > 8 else "")
    lines.append(f"output currents (A){' of vector 0' if batch > 1 else ''}: {shown}")
    return "\n".join(lines)


def comparison_summary(comparison: Comparison) -> str:
    """A few lines describing a comparison for the terminal."""
    m, n = comparison.fast.crossbar.shape
    return "\n".join(
        [
            f"{m}x{n} crossbar, fast vs spice",
            f"max relative error of output currents: {comparison.max_rel_error:.3e}",
            f"max absolute error of output currents: {comparison.max_abs_error:.3e} A",
            f"max node voltage difference:           {comparison.max_abs_error_volts:.3e} V",
            f"fast backend:  {comparison.fast_seconds:.4g} s",
            f"spice backend: {comparison.spice_seconds:.4g} s",
        ]
    )
