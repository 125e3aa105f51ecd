"""The sinh read characteristic of metal-oxide RRAM: ``I = G·V0·sinh(V/V0)``."""

from __future__ import annotations

import numpy as np

from memxbar.cards import join, numbers
from memxbar.devices.base import DeviceModel, Parameter, expand


class Sinh(DeviceModel):
    """Hyperbolic-sine conduction at a fixed state, ``I = G·V0·sinh(V/V0)``.

    This is the current equation of the Stanford–PKU RRAM model, ``I = I0·exp(−g/g0)·sinh(V/V0)``
    (Guan, Yu & Wong, IEEE Electron Device Lett. 33, 1405 (2012), Eq. (1)), and of Yakopcic et al.,
    ``I = a·x·sinh(b·V)`` (IEEE Electron Device Lett. 32, 1436 (2011), Eq. (1)), at a fixed gap g or
    state x, written with its small-signal conductance at 0 V, ``G = I0·exp(−g/g0)/V0``:
    ``dI/dV = G·cosh(V/V0)``. The default V0 = 0.25 V is that of the Stanford–PKU model.
    """

    name = "sinh"
    summary = "I = G*V0*sinh(V/V0)"
    citation = "Guan, Yu & Wong, IEEE EDL 33, 1405 (2012), Eq. (1); Yakopcic et al., IEEE EDL 32, 1436 (2011), Eq. (1)"
    conductance_meaning = "the small-signal conductance dI/dV at 0 V"
    verilog_a = "sinh.va"
    parameters = (
        Parameter(
            "v0",
            "V",
            0.25,
            "Characteristic voltage V0 of I = G*V0*sinh(V/V0); larger is more linear.",
            minimum=0.0,
            minimum_open=True,
        ),
    )

    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        v0 = self.value("v0", v.ndim)
        return expand(g, v.ndim) * v0 * np.sinh(v / v0)

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        return expand(g, v.ndim) * np.cosh(v / self.value("v0", v.ndim))

    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        v0 = self.values["v0"]
        return join(numbers(g * v0), "*sinh(", v, "/", numbers(v0), ")")
