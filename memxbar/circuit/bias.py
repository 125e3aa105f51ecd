"""Bias conditions on every line terminal: driven word and bit lines, floating lines, select-line voltages.

Each word line has one terminal, at its left end (behind the driver resistance), and each bit line
one, at its bottom end (behind the sense resistance). A terminal is either *driven* by an ideal
voltage source or *floating* (left open: no current flows through it). Word-line terminals carry the
input voltages; bit-line terminals are held at ``bl_voltages`` (0 V by default: the virtual ground of
a sense amplifier). Cells with an access transistor (1T1R) also have one select (gate) line per row.

Static biasing schemes for one selected cell (as analysed by A. Chen, "A comprehensive crossbar array
model with solutions for line resistance and nonlinear device characteristics", IEEE Trans. Electron
Devices 60(4), 1318–1326 (2013)) are built by :func:`scheme_bias`:

- ``read``: the selected word line at ``v``, every other word line and every bit line at 0 V;
- ``v2``: selected word line at V, selected bit line at 0 V, every other line at V/2 (half-selected
  devices on the selected lines see V/2, unselected ones 0 V);
- ``v3``: selected word line at V, selected bit line at 0 V, other word lines at V/3, other bit
  lines at 2V/3 (every unselected device sees ±V/3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.errors import InputError
from memxbar.inputs import MAX_VOLTS, as_batch
from memxbar.validation import as_finite_array

SCHEMES = ("read", "v2", "v3")
"""Names of the biasing schemes of :func:`scheme_bias`."""


@dataclass(frozen=True, eq=False)
class Bias:
    """Validated terminal conditions of one crossbar for a batch of B bias vectors."""

    wl_voltages: np.ndarray
    """(M, B) voltages of the word-line terminals in volts (V); 0 where floating."""
    bl_voltages: np.ndarray
    """(N, B) voltages of the bit-line terminals in volts (V); 0 where floating."""
    floating_wl: np.ndarray
    """(M,) whether each word-line terminal is left open."""
    floating_bl: np.ndarray
    """(N,) whether each bit-line terminal is left open."""
    gate_voltages: np.ndarray | None
    """(M, B) select-line (gate) voltages in volts (V) of cells with an access transistor, else None."""
    batched: bool
    """Whether the caller gave a batch (2-D voltages) rather than one vector."""

    @property
    def batch(self) -> int:
        """Number of bias vectors B."""
        return self.wl_voltages.shape[1]


def _mask(value: object, size: int, name: str, lines: str) -> np.ndarray:
    if value is None:
        return np.zeros(size, dtype=bool)
    array = np.asarray(value)
    if array.dtype != bool or array.shape != (size,):
        raise InputError(
            f"{name} must be a boolean mask of shape ({size},), one entry per {lines}, got "
            f"{'dtype ' + str(array.dtype) if array.dtype != bool else 'shape ' + str(array.shape)}"
        )
    return array.copy()


def _per_line(value: object, size: int, batch: int, name: str, lines: str,
              floating: np.ndarray | None = None) -> np.ndarray:
    """A scalar (applied to every line that is not ``floating``), (size,) or (size, batch) array as (size, batch)
    in volts, at most :data:`~memxbar.inputs.MAX_VOLTS` in magnitude."""
    if value is None:
        raise InputError(f"{name} must be a number, ({size},) (one per {lines}) or ({size}, {batch}), got None")
    array = as_finite_array(value, name)
    largest = abs(float(array)) if array.ndim == 0 else np.abs(array).max() if array.size else 0.0
    if largest > MAX_VOLTS:
        raise InputError(
            f"{name} reaches {largest:.3g} V, above {MAX_VOLTS:.0e} V; voltages are in volts: check the units"
        )
    if array.ndim == 0:
        full = np.zeros((size, batch))
        if largest:
            full.fill(float(array))
            if floating is not None:
                full[floating] = 0.0
        return full
    if array.ndim == 1 and array.shape[0] == size:
        return np.repeat(array[:, None], batch, axis=1)
    if array.ndim == 2 and array.shape == (size, batch):
        return array
    raise InputError(f"{name} must be a number, ({size},) (one per {lines}) or ({size}, {batch}), got {array.shape}")


def _check_floating(values: np.ndarray, floating: np.ndarray, name: str, mask_name: str, lines: str) -> None:
    if not floating.any():
        return
    bad = floating[:, None] & (values != 0)
    if bad.any():
        k = int(np.argwhere(bad)[0, 0])
        raise InputError(
            f"{name} gives {lines} {k} a voltage ({values[k][bad[k]][0]:g} V) but {mask_name} leaves it floating; "
            "set that entry to 0 or drop the line from the mask"
        )


def check_gates(gated: bool, cell: str, gate_voltages: object) -> None:
    """Refuse select-line voltages for a cell without an access transistor.

    Raises:
        InputError: If ``gate_voltages`` is given but the cell has no gate.
    """
    if gate_voltages is not None and not gated:
        raise InputError(f"gate_voltages apply to cells with an access transistor; cell {cell} has none")


def make_bias(
    shape: tuple[int, int],
    voltages: object,
    bl_voltages: object = 0.0,
    floating_wl: object = None,
    floating_bl: object = None,
    gate_voltages: object = None,
) -> Bias:
    """Validate the terminal conditions of an M×N crossbar.

    Args:
        shape: (M, N) of the crossbar.
        voltages: (M,) or (M, B) word-line terminal voltages in volts (V); entries of floating lines must be 0.
        bl_voltages: Bit-line terminal voltages (V): a number (for every driven bit line), (N,) or (N, B).
        floating_wl: (M,) boolean mask of word lines whose terminal is left open, or None.
        floating_bl: (N,) boolean mask of bit lines whose terminal is left open, or None.
        gate_voltages: Select-line voltages (V) of 1T1R cells: a number, (M,) or (M, B); None for none.

    Returns:
        The :class:`Bias`.

    Raises:
        InputError: Naming the argument, if a shape, mask or value is invalid, or a floating line is given
            a voltage.
    """
    m, n = shape
    v, batched = as_batch(voltages, m)
    batch = v.shape[1]
    fw = _mask(floating_wl, m, "floating_wl", "word line")
    fb = _mask(floating_bl, n, "floating_bl", "bit line")
    bl = _per_line(bl_voltages, n, batch, "bl_voltages", "bit line", fb)
    _check_floating(v, fw, "voltages", "floating_wl", "word line")
    _check_floating(bl, fb, "bl_voltages", "floating_bl", "bit line")
    gates = None if gate_voltages is None else _per_line(gate_voltages, m, batch, "gate_voltages", "row")
    return Bias(v, bl, fw, fb, gates, batched)


@dataclass(frozen=True)
class SchemeBias:
    """Terminal conditions of a biasing scheme for one selected cell (arguments of ``simulate``)."""

    voltages: np.ndarray
    """(M,) word-line terminal voltages (V)."""
    bl_voltages: np.ndarray
    """(N,) bit-line terminal voltages (V)."""
    floating_wl: np.ndarray
    """(M,) floating word lines."""
    floating_bl: np.ndarray
    """(N,) floating bit lines."""


def scheme_bias(shape: tuple[int, int], scheme: str, select: tuple[int, int], v_write: float) -> SchemeBias:
    """Static biasing of an M×N crossbar that selects cell ``select`` (see the module docstring).

    Args:
        shape: (M, N) of the crossbar.
        scheme: ``"read"``, ``"v2"`` or ``"v3"``.
        select: (i, j) word line and bit line of the selected cell.
        v_write: Voltage V across the selected cell in volts (V).

    Returns:
        The :class:`SchemeBias`.

    Raises:
        InputError: If the scheme is unknown or the selected cell is outside the array.
    """
    m, n = shape
    if scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    i, j = select
    if not (0 <= i < m and 0 <= j < n):
        raise InputError(f"select ({i}, {j}) is outside the {m}x{n} array; rows 0..{m - 1}, columns 0..{n - 1}")
    v = float(as_finite_array(v_write, "v_write"))
    if abs(v) > MAX_VOLTS:
        raise InputError(f"v_write is {v:.3g} V, above {MAX_VOLTS:.0e} V; voltages are in volts: check the units")
    wl, bl = np.zeros(m), np.zeros(n)
    if scheme == "v2":
        wl[:], bl[:] = v / 2, v / 2
    elif scheme == "v3":
        wl[:], bl[:] = v / 3, 2 * v / 3
    wl[i], bl[j] = v, 0.0
    return SchemeBias(wl, bl, np.zeros(m, dtype=bool), np.zeros(n, dtype=bool))
