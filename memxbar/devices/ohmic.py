"""The ohmic (linear) device: a resistor of conductance G."""

from __future__ import annotations

import numpy as np

from memxbar.cards import join, numbers
from memxbar.devices.base import DeviceModel, expand


class Ohmic(DeviceModel):
    """A linear resistor, ``I = G·V``.

    Ohm's law; the ideal memristive crossbar of Strukov et al., Nature 453, 80 (2008), Eq. (1)
    with the state held fixed (``v = R(w)·i``), and the device of badcrossbar (Joksas &
    Mehonic, SoftwareX 12, 100617, 2020).
    """

    name = "ohmic"
    summary = "I = G*V"
    citation = "Ohm's law; Strukov et al., Nature 453, 80 (2008), Eq. (1) at fixed state"
    conductance_meaning = "the conductance G = I/V"
    verilog_a = "ohmic.va"
    linear = True

    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        return expand(g, v.ndim) * v

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        return np.broadcast_to(expand(g, v.ndim), v.shape).copy()

    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        return join(numbers(g), "*", v)

    def spice_cards(self, names: np.ndarray, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
        """Resistors ``R<name> a b 1/G``, which ngspice stamps directly (no behavioural source)."""
        r = np.divide(1.0, g, out=np.zeros_like(g, dtype=np.float64), where=g > 0)
        return [join("R", names, " ", a, " ", b, " ", numbers(r))]
