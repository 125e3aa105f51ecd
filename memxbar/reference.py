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

from memxbar.crossbar import Crossbar


def ideal_wire_currents(crossbar: Crossbar, voltages: np.ndarray) -> np.ndarray:
    """Output currents with ideal (0 Ω) lines, drivers and sense inputs: I_j = Σ_i I(V_i, G_ij).

    Args:
        crossbar: The crossbar; its device model gives I(V, G).
        voltages: (M,) or (M, B) input voltages in volts (V).

    Returns:
        (N,) or (N, B) currents in amperes (A).
    """
    v = np.asarray(voltages, dtype=np.float64)
    batch = v if v.ndim == 2 else v[:, None]
    m, n = crossbar.shape
    device_voltages = np.broadcast_to(batch[:, None, :], (m, n, batch.shape[1]))
    currents = crossbar.device.current(device_voltages, crossbar.conductances)
    currents = np.where((crossbar.conductances > 0)[:, :, None], currents, 0.0).sum(axis=0)
    return currents if v.ndim == 2 else currents[:, 0]


def relative_to(currents: np.ndarray, reference: np.ndarray) -> np.ndarray | float:
    """max_j |I_j − R_j| / max_j |R_j| per input vector: (B,) for (N, B) inputs, a float for (N,).

    NaN for a vector whose reference is zero everywhere.
    """
    difference = np.abs(np.asarray(currents) - reference).max(axis=0)
    scale = np.abs(reference).max(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(scale > 0, difference / np.where(scale > 0, scale, 1.0), np.nan)
    return ratio if np.ndim(ratio) else float(ratio)
