"""The result of a transient analysis, the same type whichever backend produced it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from memxbar.crossbar import Crossbar


@dataclass(frozen=True, eq=False)
class Waveforms:
    """Terminal currents, probed node voltages and device states over time, and the energy per source.

    Every array is sampled at the same T output times (``time``), interpolated from each backend's
    accepted time points (quadratically in the fast backend, linearly for ngspice, whose steps are at
    most the output spacing). Memory is bounded by
    what is kept per output time: the M + N terminal currents, the P probed nodes, and the states of
    the devices (S·M·N values, only for dynamic models and only if asked): never every node.
    """

    time: np.ndarray
    """(T,) output times in seconds (s), from 0 to t_stop."""
    input_currents: np.ndarray
    """(M, T) currents each word-line terminal delivers into its line (A); NaN where it floats."""
    output_currents: np.ndarray
    """(N, T) currents from each bit line into its terminal (A); NaN where it floats."""
    wl_voltages: np.ndarray
    """(M, T) word-line terminal voltages (V)."""
    bl_voltages: np.ndarray
    """(N, T) bit-line terminal voltages (V)."""
    probes: dict[str, np.ndarray]
    """Voltage (V) over time (T,) of each probed node, by its SPICE name (e.g. ``w3_4``, ``b0_0``)."""
    states: np.ndarray | None
    """(S, M, N, T) device states over time for a dynamic model (state units), else None."""
    initial_states: np.ndarray | None
    """(S, M, N) device states at t = 0, else None."""
    final_states: np.ndarray | None
    """(S, M, N) device states at t_stop, else None."""
    energy_wl: np.ndarray
    """(M,) energy each word-line source delivered over the run (J), ∫ v·i dt; 0 where floating."""
    energy_bl: np.ndarray
    """(N,) energy each bit-line source delivered (J)."""
    backend: str
    """``"fast"`` or ``"spice"``."""
    wall_time: float
    """Wall-clock time of the analysis (s)."""
    steps: int
    """Time steps the integrator accepted."""
    final: Crossbar = field(repr=False)
    """The crossbar with every device programmed to its final state (for a read that follows a write);
    the same crossbar for static devices."""
    rejected: int = 0
    """Time steps rejected by the error control or by Newton's method (fast backend)."""
    retries: int = 0
    """Times ngspice was rerun with looser tolerances after "timestep too small" (spice backend)."""

    @property
    def energy(self) -> float:
        """Total energy all sources delivered (J)."""
        return float(self.energy_wl.sum() + self.energy_bl.sum())

    def settling_time(self, tolerance: float = 1e-3, until: float | None = None) -> float:
        """Time (s) after which every output current stays within ``tolerance`` of its value at ``until``.

        Args:
            tolerance: Allowed deviation, relative to the largest |final value| of the outputs.
            until: Time (s) whose values are the final ones (default the last output time).

        Returns:
            The settling time measured from t = 0 (subtract a pulse's delay yourself), NaN if no output flows.
        """
        end = len(self.time) if until is None else int(np.searchsorted(self.time, until, side="right"))
        currents = self.output_currents[:, :end]
        final = currents[:, -1:]
        scale = np.nanmax(np.abs(final)) if np.isfinite(final).any() else 0.0
        if not scale > 0:
            return float("nan")
        outside = np.nanmax(np.abs(currents - final), axis=0) > tolerance * scale
        last = np.flatnonzero(outside)
        return float(self.time[last[-1] + 1]) if last.size else float(self.time[0])


def compare_waveforms(a: Waveforms, b: Waveforms) -> dict[str, float]:
    """Agreement of two runs of the same analysis (e.g. fast and spice).

    Returns:
        ``max_rel_error``: largest difference of any output current at any output time, relative to the
        largest |output current| of ``a``; ``max_state_difference``: largest difference of any final
        device state (NaN without states); ``energy_rel_error``: difference of the total energies
        relative to ``a``'s.
    """
    peak = np.nanmax(np.abs(a.output_currents))
    diff = np.nanmax(np.abs(a.output_currents - b.output_currents))
    states = float(np.abs(a.final_states - b.final_states).max()) if a.final_states is not None else float("nan")
    return {
        "max_rel_error": float(diff / peak) if peak > 0 else float(diff),
        "max_state_difference": states,
        "energy_rel_error": abs(a.energy - b.energy) / abs(a.energy) if a.energy else abs(b.energy),
    }
