"""The crossbar specification: device conductances and line parasitics, validated once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from memxbar.circuit.cells import Cell, as_cell
from memxbar.devices.base import DeviceModel
from memxbar.devices.registry import as_model
from memxbar.errors import InputError
from memxbar.validation import broadcast_to_shape, non_negative


@dataclass(frozen=True, eq=False)
class Crossbar:
    """An M×N memristor crossbar with resistive word and bit lines.

    Topology and signs follow badcrossbar (Joksas & Mehonic, SoftwareX 12, 100617, 2020):
    word line i is driven at its left end by an ideal source V_i behind ``r_driver``;
    bit line j runs from row 0 down to row M-1 and ends, after one more segment, in a
    sense node that is held at 0 V (virtual ground) behind ``r_sense``. Output current
    I_j is the current flowing into that virtual ground.

    All arrays are stored as read-only float64 arrays broadcast to their full shape;
    scalars are accepted wherever an array is.
    """

    conductances: np.ndarray
    """(M, N) device conductances G[i, j] in siemens (S). 0 S is an open device."""

    r_wl: np.ndarray | float = 0.0
    """Word-line segment resistance in ohms (Ω): a scalar or (M, N). Segment [i, j] lies to
    the left of word-line node W[i, j]; for j = 0 it joins the driver to W[i, 0].
    0 Ω is an ideal wire."""

    r_bl: np.ndarray | float = 0.0
    """Bit-line segment resistance in ohms (Ω): a scalar or (M, N). Segment [i, j] lies
    below bit-line node B[i, j]; for i = M-1 it joins B[M-1, j] to the sense node."""

    r_driver: np.ndarray | float = 0.0
    """Output resistance of each word-line driver in ohms (Ω): a scalar or (M,)."""

    r_sense: np.ndarray | float = 0.0
    """Input resistance of each bit-line sense amplifier in ohms (Ω): a scalar or (N,)."""

    device: DeviceModel | str = "ohmic"
    """The device model (see :mod:`memxbar.devices`), or a model name for its defaults. Its
    per-device parameters must be scalars or (M, N). ``conductances`` programs each device:
    the model's ``conductance_meaning`` says which conductance that is (for ohmic devices,
    simply I/V)."""

    cell: Cell | str = "1r"
    """What sits at each crosspoint (see :mod:`memxbar.circuit.cells`): ``"1r"`` (the memristor alone,
    the default), ``"1t1r"`` or ``"1s1r"``, or a cell instance with its parameters."""

    c_wl: np.ndarray | float = 0.0
    """Capacitance to ground of each word-line segment in farads (F): a scalar or (M, N). Lumped model:
    segment [i, j]'s whole capacitance sits at its right-hand node W[i, j]. Only transient analysis
    (:func:`memxbar.transient`) sees it; an operating point is the same without it."""

    c_bl: np.ndarray | float = 0.0
    """Capacitance to ground of each bit-line segment in farads (F): a scalar or (M, N). Lumped model:
    segment [i, j] (below B[i, j]) has its whole capacitance at its upper node B[i, j]."""

    c_device: np.ndarray | float = 0.0
    """Capacitance across each cell, between W[i, j] and B[i, j], in farads (F): a scalar or (M, N)."""

    shape: tuple[int, int] = field(init=False)
    """(M, N): number of word lines (rows, inputs) and bit lines (columns, outputs)."""

    def __post_init__(self) -> None:
        g = non_negative(self.conductances, "conductances", "S")
        if g.ndim != 2:
            raise InputError(f"conductances must be a 2-D (rows, cols) array, got {g.ndim} dimension(s)")
        if g.size == 0:
            raise InputError(f"conductances is empty (shape {g.shape}); give at least one row and one column")
        g.setflags(write=False)
        m, n = g.shape
        object.__setattr__(self, "conductances", g)
        object.__setattr__(self, "shape", (m, n))
        for name, shape, allowed in (
            ("r_wl", (m, n), f"a scalar or ({m}, {n})"),
            ("r_bl", (m, n), f"a scalar or ({m}, {n})"),
            ("r_driver", (m,), f"a scalar or ({m},), one per row"),
            ("r_sense", (n,), f"a scalar or ({n},), one per column"),
            ("c_wl", (m, n), f"a scalar or ({m}, {n})"),
            ("c_bl", (m, n), f"a scalar or ({m}, {n})"),
            ("c_device", (m, n), f"a scalar or ({m}, {n})"),
        ):
            value = non_negative(getattr(self, name), name, "F" if name.startswith("c_") else "Ω")
            object.__setattr__(self, name, broadcast_to_shape(value, shape, name, allowed))
        device = as_model(self.device)
        device.check_shape((m, n))
        object.__setattr__(self, "device", device)
        object.__setattr__(self, "cell", as_cell(self.cell))

    @property
    def rows(self) -> int:
        """Number of word lines M."""
        return self.shape[0]

    @property
    def cols(self) -> int:
        """Number of bit lines N."""
        return self.shape[1]

    def ideal_currents(self, voltages: np.ndarray) -> np.ndarray:
        """Ideal output currents Gᵀ·V in amperes (A), ignoring line resistance and device nonlinearity.

        Args:
            voltages: (M,) or (M, B) input voltages in volts (V).

        Returns:
            (N,) or (N, B) currents in amperes.
        """
        return self.conductances.T @ voltages
