"""The two references a crossbar's outputs are measured against.

- **Linear** ``Gᵀ·V`` (:meth:`memxbar.crossbar.Crossbar.ideal_currents`): what the matrix product
  should give; the deviation from it is the total error, IR drop and device nonlinearity together.
- **Ideal wires** ``Σ_i I(V_i, G_ij)``: the same devices with every line, driver and sense
  resistance zero, so each device sees its input voltage V_i exactly; the deviation from it is
  the error due to the wires alone (IR drop), and its own deviation from ``Gᵀ·V`` is the error
  due to the devices' nonlinearity alone. For ohmic devices both references are the same.
"""

from __future__ import annotations

import numpy as np

from memxbar.circuit.bias import Bias
from memxbar.crossbar import Crossbar


def ideal_wire_currents(crossbar: Crossbar, voltages: np.ndarray, bias: Bias | None = None,
                        linear: bool = False) -> np.ndarray:
    """Output currents with ideal (0 Ω) lines, drivers and sense inputs: I_j = Σ_i I(V_i − V_bl,j, G_ij).

    Each device sees its word line's terminal voltage minus its bit line's. Floating lines carry no
    current in this reference (their outputs are NaN); access devices of 1T1R/1S1R cells are ignored.

    Args:
        crossbar: The crossbar; its device model gives I(V, G).
        voltages: (M,) or (M, B) word-line terminal voltages in volts (V).
        bias: The full terminal conditions (bit-line voltages, floating lines), or None for bit lines at 0 V.
        linear: Use the linear device I = G·V instead of the model (the ideal Gᵀ·V reference).

    Returns:
        (N,) or (N, B) currents in amperes (A).
    """
    v = np.asarray(voltages, dtype=np.float64)
    batch = v if v.ndim == 2 else v[:, None]
    m, n = crossbar.shape
    g = crossbar.conductances
    if bias is None:
        device_voltages = np.broadcast_to(batch[:, None, :], (m, n, batch.shape[1]))
        rows, cols = np.ones(m, dtype=bool), np.ones(n, dtype=bool)
    else:
        device_voltages = batch[:, None, :] - bias.bl_voltages[None, :, :]
        rows, cols = ~bias.floating_wl, ~bias.floating_bl
    if linear:
        currents = g[:, :, None] * device_voltages
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            currents = crossbar.device.current(device_voltages, g)
    closed = ((g > 0) & rows[:, None])[:, :, None]
    total = np.where(closed, currents, 0.0).sum(axis=0)
    total = np.where(cols[:, None], total, np.nan)
    return total if v.ndim == 2 else total[:, 0]


def relative_to(currents: np.ndarray, reference: np.ndarray) -> np.ndarray | float:
    """max_j |I_j − R_j| / max_j |R_j| per input vector: (B,) for (N, B) inputs, a float for (N,).

    NaN for a vector whose reference is zero (or NaN: floating bit lines) everywhere.
    """
    # fmax ignores NaN (floating bit lines) and gives NaN only where every entry is NaN, without warning.
    difference = np.fmax.reduce(np.abs(np.asarray(currents) - reference), axis=0)
    scale = np.fmax.reduce(np.abs(reference), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(scale > 0, difference / np.where(scale > 0, scale, 1.0), np.nan)
    return ratio if np.ndim(ratio) else float(ratio)
