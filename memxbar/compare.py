"""Both backends on the same input, and how far apart their answers are."""

from __future__ import annotations

from dataclasses import dataclass

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
        reference: Currents of the same shape, taken as the truth.

    Returns:
        Relative errors of the same shape (dimensionless).
    """
    ref = np.abs(reference)
    floor = RELATIVE_FLOOR * ref.max(axis=0, keepdims=True)
    denominator = np.maximum(ref, floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(value - reference) / denominator
    return np.where(denominator > 0, rel, np.where(value == reference, 0.0, np.inf))


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
        return float(np.abs(self.fast.output_currents - self.spice.output_currents).max())

    @property
    def max_rel_error(self) -> float:
        """Largest element-wise relative error of the output currents (dimensionless)."""
        return float(relative_errors(self.fast.output_currents, self.spice.output_currents).max())

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
        :data:`INACCURATE` (relative KCL residual) and more than the other's, or None."""
        residuals = {s.backend: float(np.max(s.kcl_residual)) for s in (self.fast, self.spice)
                     if s.kcl_residual is not None}
        if not residuals:
            return None
        worst = max(residuals, key=residuals.get)
        return worst if residuals[worst] > INACCURATE else None

    @property
    def fast_seconds(self) -> float:
        """Wall time of the fast backend, in seconds (s)."""
        return self.fast.wall_time

    @property
    def spice_seconds(self) -> float:
        """Wall time of the ngspice backend, in seconds (s)."""
        return self.spice.wall_time


def compare(crossbar: Crossbar, voltages: np.ndarray) -> Comparison:
    """Solve the same crossbar and inputs with both backends.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).

    Returns:
        The :class:`Comparison`.
    """
    return Comparison(fast=simulate(crossbar, voltages, "fast"), spice=simulate(crossbar, voltages, "spice"))
