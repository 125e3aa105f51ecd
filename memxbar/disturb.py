"""Read disturb: whether a read voltage moves a dynamic device's state, which a static read ignores.

``simulate`` solves a read at the programmed state (conductance G). For a dynamic model that is
right only while the state barely moves during the read: past a switching threshold (VTEAM's
v_on/v_off, Yakopcic's V_p/V_n, …) it moves fast. The check evaluates the model's own state
equations d(state)/dt at the largest voltage a device can see (its word line's input, ideal wires)
and the programmed state, over one read pulse.
"""

from __future__ import annotations

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.devices.base import DynamicModel

READ_TIME = 1e-8
"""Duration of a read pulse assumed by the check, in seconds (s): 10 ns, as sweeps assume."""
LIMIT = 0.01
"""Largest share of a state's range it may move during one read without a warning."""


def read_disturb(crossbar: Crossbar, voltages: np.ndarray, read_time: float = READ_TIME) -> tuple[int, float]:
    """How many devices' states move more than :data:`LIMIT` of their range during one read.

    Args:
        crossbar: The crossbar; only dynamic device models are checked.
        voltages: (M,) or (M, B) input voltages in volts (V).
        read_time: Duration of the read in seconds (s).

    Returns:
        (number of disturbed devices, largest movement as a share of the state's range); (0, 0.0)
        for static models and open devices.
    """
    model = crossbar.device
    if not isinstance(model, DynamicModel):
        return 0, 0.0
    v = np.asarray(voltages, dtype=np.float64).reshape(crossbar.rows, -1)
    present = crossbar.conductances > 0
    if not present.any():
        return 0, 0.0
    g = np.where(present, crossbar.conductances, np.median(crossbar.conductances[present]))
    state = model.state_from_conductance(g)
    span = np.array([s.maximum - s.minimum for s in model.states]).reshape(-1, 1, 1)
    moved = np.zeros(crossbar.shape)
    for extreme in (v.max(axis=1), v.min(axis=1)):
        device_v = np.broadcast_to(extreme[:, None], crossbar.shape)
        rate = np.abs(model.state_derivative(device_v, state))
        moved = np.maximum(moved, (rate * read_time / span).max(axis=0))
    moved = np.where(present, moved, 0.0)
    return int(np.count_nonzero(moved > LIMIT)), float(moved.max())
