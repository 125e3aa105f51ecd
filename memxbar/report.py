"""Solutions and comparisons as JSON-ready dictionaries and as short text summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from memxbar.compare import Comparison
from memxbar.errors import NotComputedError
from memxbar.solution import Solution

POWER_FIELDS = ("power_devices", "power_word_lines", "power_bit_lines", "power_drivers", "power_sense", "power_total")


def _kept(solution: Solution, name: str) -> Any:
    """A solution's field, or None where an outputs-only solution does not hold it."""
    try:
        return getattr(solution, name)
    except NotComputedError:
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
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
        "kcl_residual": solution.kcl_residual,
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
        "inaccurate_backend": comparison.inaccurate_backend,
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


def _residual(solution: Solution) -> str:
    return "not computed" if solution.kcl_residual is None else f"{float(np.max(solution.kcl_residual)):.1e}"


def comparison_summary(comparison: Comparison) -> str:
    """A few lines describing a comparison for the terminal."""
    m, n = comparison.fast.crossbar.shape
    return "\n".join(
        [
            f"{m}x{n} crossbar, fast vs spice",
            f"max relative error of output currents: {comparison.max_rel_error:.3e}",
            f"max absolute error of output currents: {comparison.max_abs_error:.3e} A",
            f"max node voltage difference:           {comparison.max_abs_error_volts:.3e} V",
            f"relative KCL residual: fast {_residual(comparison.fast)}, spice {_residual(comparison.spice)}"
            + (f" ({comparison.inaccurate_backend} is inaccurate)" if comparison.inaccurate_backend else ""),
            f"fast backend:  {comparison.fast_seconds:.4g} s",
            f"spice backend: {comparison.spice_seconds:.4g} s",
        ]
    )
