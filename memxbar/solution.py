"""The result of a crossbar simulation, the same type whichever backend produced it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import NotComputedError
from memxbar.solver.accuracy import check_finite_currents


@dataclass(frozen=True, eq=False)
class Solution:
    """Currents, voltages and power of a solved crossbar.

    Shapes follow the input: for voltages of shape (M,) every array below is unbatched,
    for (M, B) it gains a trailing batch axis of length B, and per-vector scalars such
    as the powers become (B,) arrays. Units are SI: V, A, W, s.

    Powers are derived from the device currents by Kirchhoff's current law: the current
    in word-line segment [i, j] is the sum of the device currents at and to the right of
    column j, and the current in bit-line segment [i, j] is the sum of the device
    currents at and above row i.

    An *outputs-only* solution (``simulate(..., outputs_only=True)``) keeps no node
    voltages: ``wl_voltages``, ``bl_voltages`` and ``device_currents`` are None, and so
    ``device_voltages``, ``power_devices``, ``power_word_lines`` and ``power_bit_lines``
    raise :class:`~memxbar.errors.NotComputedError`. Its output and input currents, and so
    ``power_drivers``, ``power_sense`` and ``power_total``, are exact.
    """

    crossbar: Crossbar
    """The simulated crossbar."""
    voltages: np.ndarray
    """(M,) or (M, B) input voltages in volts (V)."""
    output_currents: np.ndarray
    """(N,) or (N, B) currents in amperes (A) flowing from each bit line into its virtual ground."""
    wl_voltages: np.ndarray | None
    """(M, N[, B]) word-line node voltages W[i, j] in volts (V); None if outputs-only."""
    bl_voltages: np.ndarray | None
    """(M, N[, B]) bit-line node voltages B[i, j] in volts (V); None if outputs-only."""
    device_currents: np.ndarray | None
    """(M, N[, B]) current through each device from word line to bit line, in amperes (A);
    None if outputs-only."""
    backend: str
    """Name of the backend that produced this solution (``"fast"`` or ``"spice"``)."""
    wall_time: float
    """Wall-clock time the backend took, in seconds (s)."""
    method: str | None = None
    """How the fast backend solved: ``"direct"`` (sparse factorisation), ``"weights"``
    (effective weights T, then T·V) or ``"iterative"`` (conjugate gradients); None for ngspice."""
    source_currents: np.ndarray | None = None
    """(M,) or (M, B) input currents in amperes (A) computed directly by the solver; used
    by outputs-only solutions, which have no device currents to sum."""
    phase_times: dict[str, float] | None = None
    """Wall time of each phase of the backend in seconds (s), where it reports them: the
    ngspice backend's ``netlist`` (writing it), ``load`` (handing it to ngspice), ``parse``
    (ngspice parsing it), ``run`` (ngspice's analyses) and ``read`` (reading results back)."""
    kcl_residual: np.ndarray | float | None = None
    """Achieved accuracy, per input vector: the largest Kirchhoff-current-law residual at any node,
    recomputed branch by branch from the node voltages, relative to the largest current through
    any node (dimensionless; see :mod:`memxbar.solver.accuracy`); None where not computed."""

    @property
    def outputs_only(self) -> bool:
        """Whether this solution keeps only port currents, no node voltages."""
        return self.device_currents is None

    def _nodes(self, quantity: str) -> None:
        if self.outputs_only:
            raise NotComputedError(
                f"{quantity} needs node voltages, which an outputs-only solution does not keep; "
                "simulate with outputs_only=False"
            )

    @classmethod
    def from_node_voltages(
        cls,
        crossbar: Crossbar,
        voltages: np.ndarray,
        batched: bool,
        wl_voltages: np.ndarray,
        bl_voltages: np.ndarray,
        backend: str,
        start: float,
        output_currents: np.ndarray | None = None,
        phase_times: dict[str, float] | None = None,
        kcl_residual: np.ndarray | None = None,
    ) -> Solution:
        """Assemble a solution from solved node voltages, taking device currents from the device model.

        Args:
            crossbar: The solved crossbar.
            voltages: (M, B) input voltages in volts (V).
            batched: Whether the caller gave a batch; if not, the batch axis (B = 1) is dropped.
            wl_voltages: (M, N, B) word-line node voltages (V).
            bl_voltages: (M, N, B) bit-line node voltages (V).
            backend: Name of the backend.
            start: ``time.perf_counter()`` when the backend started.
            output_currents: (N, B) measured output currents (A); by default the column sums
                of the device currents (Kirchhoff's current law at each sense node).
            phase_times: Wall time of each phase of the backend, in seconds (s).
            kcl_residual: (B,) achieved relative KCL residual, if known.

        Raises:
            ConvergenceError: If a device current overflows double precision (names the device).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            i_dev = crossbar.device.current(wl_voltages - bl_voltages, crossbar.conductances)
        check_finite_currents(crossbar.device, crossbar.shape, wl_voltages - bl_voltages, i_dev)
        i_out = i_dev.sum(axis=0) if output_currents is None else output_currents
        arrays = {
            "voltages": voltages,
            "output_currents": i_out,
            "wl_voltages": wl_voltages,
            "bl_voltages": bl_voltages,
            "device_currents": i_dev,
        }
        if kcl_residual is not None:
            arrays["kcl_residual"] = kcl_residual
        if not batched:
            arrays = {name: array[..., 0] for name, array in arrays.items()}
        return cls(crossbar=crossbar, backend=backend, wall_time=time.perf_counter() - start,
                   phase_times=phase_times, **arrays)

    @property
    def batched(self) -> bool:
        """Whether the inputs were a batch (M, B) rather than a single vector (M,)."""
        return self.voltages.ndim == 2

    def _per_vector(self, batched_value: np.ndarray) -> np.ndarray | float:
        return batched_value if self.batched else float(batched_value[0])

    def _batched(self, array: np.ndarray) -> np.ndarray:
        return array if self.batched else array[..., None]

    @cached_property
    def device_voltages(self) -> np.ndarray:
        """(M, N[, B]) voltage across each device, W[i, j] − B[i, j], in volts (V)."""
        self._nodes("device_voltages")
        return self.wl_voltages - self.bl_voltages

    @cached_property
    def input_currents(self) -> np.ndarray:
        """(M,) or (M, B) current delivered by each word-line source, in amperes (A)."""
        if self.device_currents is None:
            if self.source_currents is None:
                raise NotComputedError(
                    "input_currents were not computed by this solver; simulate with outputs_only=False"
                )
            return self.source_currents
        return self.device_currents.sum(axis=1)

    @cached_property
    def ideal_currents(self) -> np.ndarray:
        """(N,) or (N, B) ideal output currents Gᵀ·V in amperes (A), without line resistance."""
        return self.crossbar.ideal_currents(self.voltages)

    @cached_property
    def deviation(self) -> np.ndarray:
        """(N,) or (N, B) output current minus its ideal value Gᵀ·V, in amperes (A)."""
        return self.output_currents - self.ideal_currents

    @cached_property
    def relative_deviation(self) -> np.ndarray | float:
        """Per input vector: max_j |I_j − (GᵀV)_j| / max_j |(GᵀV)_j| (dimensionless).

        NaN for an input vector whose ideal currents are all zero.
        """
        dev = np.abs(self._batched(self.deviation)).max(axis=0)
        ref = np.abs(self._batched(self.ideal_currents)).max(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._per_vector(np.where(ref > 0, dev / np.where(ref > 0, ref, 1.0), np.nan))

    @cached_property
    def power_devices(self) -> np.ndarray | float:
        """Power dissipated in all devices, per input vector, in watts (W)."""
        self._nodes("power_devices")
        p = self._batched(self.device_voltages * self.device_currents)
        return self._per_vector(p.sum(axis=(0, 1)))

    @cached_property
    def power_word_lines(self) -> np.ndarray | float:
        """Power dissipated in all word-line segments, per input vector, in watts (W)."""
        self._nodes("power_word_lines")
        i_dev = self._batched(self.device_currents)
        i_seg = np.flip(np.cumsum(np.flip(i_dev, axis=1), axis=1), axis=1)
        return self._per_vector(np.einsum("ij,ijb->b", self.crossbar.r_wl, i_seg**2))

    @cached_property
    def power_bit_lines(self) -> np.ndarray | float:
        """Power dissipated in all bit-line segments, per input vector, in watts (W)."""
        self._nodes("power_bit_lines")
        i_seg = np.cumsum(self._batched(self.device_currents), axis=0)
        return self._per_vector(np.einsum("ij,ijb->b", self.crossbar.r_bl, i_seg**2))

    @cached_property
    def power_drivers(self) -> np.ndarray | float:
        """Power dissipated in the driver output resistances, per input vector, in watts (W)."""
        i_in = self._batched(self.input_currents)
        return self._per_vector(np.einsum("i,ib->b", self.crossbar.r_driver, i_in**2))

    @cached_property
    def power_sense(self) -> np.ndarray | float:
        """Power dissipated in the sense-amplifier input resistances, per input vector, in watts (W)."""
        i_out = self._batched(self.output_currents)
        return self._per_vector(np.einsum("j,jb->b", self.crossbar.r_sense, i_out**2))

    @cached_property
    def power_total(self) -> np.ndarray | float:
        """Power delivered by all sources, Σ_i V_i·I_in,i, per input vector, in watts (W).

        Equals the sum of the dissipated powers above, up to solver precision.
        """
        p = self._batched(self.voltages) * self._batched(self.input_currents)
        return self._per_vector(p.sum(axis=0))
