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


def read_disturb(
    crossbar: Crossbar, voltages: np.ndarray, read_time: float = READ_TIME, bl_voltages: object = 0.0
) -> tuple[int, float]:
    """How many devices' states move more than :data:`LIMIT` of their range during one read.

    A device can see at most its word line's highest input minus its bit line's lowest terminal
    voltage (and at least the lowest minus the highest): ideal wires, the bounds over the batch.

    Args:
        crossbar: The crossbar; only dynamic device models are checked.
        voltages: (M,) or (M, B) input voltages in volts (V).
        read_time: Duration of the read in seconds (s).
        bl_voltages: Bit-line terminal voltages (V): a number, (N,) or (N, B).

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
    b = np.asarray(bl_voltages, dtype=np.float64)
    b = np.broadcast_to(b if b.ndim == 2 else b.reshape(-1, 1), (crossbar.cols, b.shape[1] if b.ndim == 2 else 1))
    highest = v.max(axis=1)[:, None] - b.min(axis=1)[None, :]
    lowest = v.min(axis=1)[:, None] - b.max(axis=1)[None, :]
    moved = np.zeros(crossbar.shape)
    for device_v in (highest, lowest):
        rate = np.abs(model.state_derivative(device_v, state))
        moved = np.maximum(moved, (rate * read_time / span).max(axis=0))
    moved = np.where(present, moved, 0.0)
    return int(np.count_nonzero(moved > LIMIT)), float(moved.max())


def warn_read_disturb(crossbar: Crossbar, voltages: np.ndarray, bl_voltages: object = 0.0) -> None:
    """Warn (:class:`~memxbar.errors.ReadDisturbWarning`) when a read would move dynamic devices' states.

    Args:
        crossbar: The crossbar.
        voltages: (M,) or (M, B) word-line voltages (V).
        bl_voltages: Bit-line terminal voltages (V): a number, (N,) or (N, B).
    """
    import warnings

    from memxbar.errors import ReadDisturbWarning

    count, moved = read_disturb(crossbar, voltages, bl_voltages=bl_voltages)
    if count:
        warnings.warn(
            ReadDisturbWarning(
                f"at these inputs the state of {count} {crossbar.device.name} device(s) moves by up to "
                f"{moved:.3g}x its range within a {READ_TIME * 1e9:g} ns read (more than {LIMIT:.0%}: a switching "
                "threshold is exceeded); the read is solved at the programmed state, which the device would not keep"
            ),
            stacklevel=3,
        )
