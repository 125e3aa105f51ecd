"""The figures of merit of one sweep point, computed from its solution(s).

Every figure covers all B input vectors of the point, each of which is one vector-matrix
multiplication (VMM). Deviations are taken against the ideal product Gᵀ·V, and against the same
devices with ideal wires (see :mod:`memxbar.reference`); the IR drop of a device
is how much of its ideal voltage V_i it loses to the line, driver and sense resistances.
"""

from __future__ import annotations

import numpy as np

from memxbar.compare import Comparison
from memxbar.reference import ideal_wire_currents, relative_to
from memxbar.solution import Solution

METRICS: dict[str, str] = {
    "error_max_rel": "max over vectors of max_j |I_j − (GᵀV)_j| / max_j |(GᵀV)_j|",
    "error_wires_max_rel": "max over vectors of max_j |I_j − W_j| / max_j |W_j|, W = Σ_i I(V_i, G_ij): the same "
    "devices with ideal wires (the error due to the wires alone)",
    "error_devices_max_rel": "max over vectors of max_j |W_j − (GᵀV)_j| / max_j |(GᵀV)_j|: ideal wires against GᵀV "
    "(the error due to device nonlinearity alone; 0 for ohmic devices)",
    "error_rms_rel": "RMS of I − GᵀV over all outputs and vectors, divided by the RMS of GᵀV",
    "error_max_A": "largest |I_j − (GᵀV)_j| over all outputs and vectors, in A",
    "error_rms_A": "RMS of I − GᵀV over all outputs and vectors, in A",
    "ir_drop_max_V": "largest |V_i − (W[i,j] − B[i,j])| over all devices and vectors, in V",
    "ir_drop_max_frac": "max over vectors of ir_drop_max_V of that vector / max_i |V_i|",
    "power_W": "mean over vectors of the power delivered by the sources, Σ_i V_i·I_in,i, in W",
    "power_parasitic_W": "mean over vectors of the power dissipated in lines, drivers and sense inputs, in W",
    "energy_J": "energy per VMM: power_W × read_time, in J (static power only; line charging is not included)",
    "time_fast_s": "wall time of the fast backend for all vectors of the point, in s (NaN if not run)",
    "time_spice_s": "wall time of the ngspice backend for all vectors of the point, in s (NaN if not run)",
    "spice_vs_fast_max_rel": "largest relative difference of the output currents, fast vs ngspice (backend both)",
    "spice_vs_fast_max_A": "largest absolute difference of the output currents, fast vs ngspice, in A (backend both)",
}
"""Metric name → definition; the metric columns of a results file, in order. Units are SI."""


def _rms(array: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(array))))


def solution_metrics(solution: Solution, read_time: float) -> dict[str, float]:
    """Output error, IR drop, power and energy of one solution (every metric but times and agreement).

    Args:
        solution: A solution of a batch: voltages of shape (M, B).
        read_time: Duration of one read pulse in seconds (s).

    Returns:
        Metric name → value, for the metrics defined in :data:`METRICS`.
    """
    deviation = solution.deviation
    ideal = solution.ideal_currents
    v = solution.voltages
    lost = np.abs(v[:, None, :] - solution.device_voltages)
    lost_per_vector = lost.max(axis=(0, 1))
    v_peak = np.abs(v).max(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(v_peak > 0, lost_per_vector / np.where(v_peak > 0, v_peak, 1.0), np.nan)
        rms_ideal = _rms(ideal)
        error_rms_rel = _rms(deviation) / rms_ideal if rms_ideal > 0 else np.nan
    power = float(np.mean(solution.power_total))
    parasitic = solution.power_word_lines + solution.power_bit_lines + solution.power_drivers + solution.power_sense
    wires = ideal_wire_currents(solution.crossbar, v)
    return {
        "error_max_rel": _nanmax(solution.relative_deviation),
        "error_wires_max_rel": _nanmax(relative_to(solution.output_currents, wires)),
        "error_devices_max_rel": _nanmax(relative_to(wires, ideal)),
        "error_rms_rel": error_rms_rel,
        "error_max_A": float(np.abs(deviation).max()),
        "error_rms_A": _rms(deviation),
        "ir_drop_max_V": float(lost_per_vector.max()),
        "ir_drop_max_frac": _nanmax(frac),
        "power_W": power,
        "power_parasitic_W": float(np.mean(parasitic)),
        "energy_J": power * read_time,
    }


def _nanmax(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmax(values)) if np.any(np.isfinite(values)) else float("nan")


def point_metrics(solutions: dict[str, Solution], read_time: float) -> dict[str, float]:
    """All metrics of a point solved by one backend or by both.

    Args:
        solutions: Backend name → its solution of the point's batch. With both backends the
            physical metrics come from ngspice, the reference.
        read_time: Duration of one read pulse in seconds (s).

    Returns:
        Metric name → value for every name in :data:`METRICS` (NaN where not applicable).
    """
    reference = solutions["spice"] if "spice" in solutions else solutions["fast"]
    row = dict.fromkeys(METRICS, float("nan"))
    row.update(solution_metrics(reference, read_time))
    for name, solution in solutions.items():
        row[f"time_{name}_s"] = solution.wall_time
    if {"fast", "spice"} <= solutions.keys():
        comparison = Comparison(fast=solutions["fast"], spice=solutions["spice"])
        row["spice_vs_fast_max_rel"] = comparison.max_rel_error
        row["spice_vs_fast_max_A"] = comparison.max_abs_error
    return row
