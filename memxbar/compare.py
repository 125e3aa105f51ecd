"""Both backends on the same input, and how far apart their answers are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.simulate import simulate
from memxbar.solution import Solution

RELATIVE_FLOOR = 1e-12
"""Output currents smaller than this fraction of the largest one (per input vector) are
compared against that floor instead of their own magnitude, so that an open column
(0 A in both backends, up to rounding) does not produce a meaningless relative error."""

INACCURATE = 1e-9
"""Relative KCL residual above which :attr:`Comparison.inaccurate_backend` names a backend."""


def relative_errors(value: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Element-wise |value − reference| / max(|reference|, floor), per input vector.

    Args:
        value: (N,) or (N, B) currents.
        reference: Currents of the same shape, taken as the truth (NaN for a floating terminal).

    Returns:
        Relative errors of the same shape (dimensionless); 0 where both are NaN (floating).
    """
    ref = np.abs(reference)
    with np.errstate(invalid="ignore"):
        floor = RELATIVE_FLOOR * np.nanmax(np.where(np.isnan(ref), -np.inf, ref), axis=0, keepdims=True)
    denominator = np.maximum(ref, floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(value - reference) / denominator
    both_nan = np.isnan(value) & np.isnan(reference)
    return np.where(both_nan, 0.0, np.where(denominator > 0, rel, np.where(value == reference, 0.0, np.inf)))


@dataclass(frozen=True, eq=False)
class Comparison:
    """The fast and ngspice solutions of one problem, and their differences."""

    fast: Solution
    """Solution of the fast (NumPy/SciPy) backend."""
    spice: Solution
    """Solution of the ngspice backend, the reference."""

    @property
    def max_abs_error(self) -> float:
        """Largest |I_fast − I_spice| over all outputs and input vectors, in amperes (A)."""
        return float(np.nanmax(np.abs(self.fast.output_currents - self.spice.output_currents), initial=0.0))

    @property
    def max_rel_error(self) -> float:
        """Largest element-wise relative error of the output currents (dimensionless)."""
        return float(relative_errors(self.fast.output_currents, self.spice.output_currents).max())

    @property
    def max_abs_error_input(self) -> float:
        """Largest |I_in,fast − I_in,spice| of the word-line terminal currents, in amperes (A)."""
        return float(np.nanmax(np.abs(self.fast.input_currents - self.spice.input_currents), initial=0.0))

    @property
    def max_abs_error_volts(self) -> float:
        """Largest difference of any word- or bit-line node voltage, in volts (V)."""
        return float(
            max(
                np.abs(self.fast.wl_voltages - self.spice.wl_voltages).max(),
                np.abs(self.fast.bl_voltages - self.spice.bl_voltages).max(),
            )
        )

    @property
    def inaccurate_backend(self) -> str | None:
        """The backend whose solution violates Kirchhoff's current law by more than
        :data:`INACCURATE` (relative KCL residual; and by more than ngspice's ``abstol``, 1e-12 A, as a
        current), by more than its rounding floor, and more than the other's, or None.

        A residual within the floor (:mod:`memxbar.solver.accuracy`) is what rounding the node voltages
        to double precision leaves, whichever backend solved: it says the circuit is ill-conditioned (the
        backends warn), not that a backend is wrong (measured: 4×4, 1e-9 Ω word-line and 1 MΩ bit-line
        segments, both backends' outputs within 6e-16 of the 50-digit answer, residuals 0.03–0.08 against
        floors 0.1–0.4)."""
        residuals = {}
        for s in (self.fast, self.spice):
            if s.outputs_only:
                continue
            kcl = s.kcl_check
            if (kcl.beyond(kcl.residual, INACCURATE) & (kcl.residual > kcl.floor)).any():
                residuals[s.backend] = float(kcl.residual.max())
        return max(residuals, key=residuals.get) if residuals else None

    @property
    def fast_seconds(self) -> float:
        """Wall time of the fast backend, in seconds (s)."""
        return self.fast.wall_time

    @property
    def spice_seconds(self) -> float:
        """Wall time of the ngspice backend, in seconds (s)."""
        return self.spice.wall_time


def compare(crossbar: Crossbar, voltages: np.ndarray, **bias: Any) -> Comparison:
    """Solve the same crossbar and bias with both backends.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) word-line terminal voltages in volts (V).
        **bias: ``bl_voltages``, ``floating_wl``, ``floating_bl``, ``gate_voltages`` as for
            :func:`~memxbar.simulate.simulate`.

    Returns:
        The :class:`Comparison`.

    Raises:
        InputError: If an argument is invalid.
    """
    return Comparison(fast=simulate(crossbar, voltages, "fast", **bias),
                      spice=simulate(crossbar, voltages, "spice", **bias))
