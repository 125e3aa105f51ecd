"""The power-law I–V nonlinearity of Joksas et al. 2022: ``I = sgn(V)·G·Vref·(|V|/Vref)^log2(n)``."""

from __future__ import annotations

import numpy as np

from memxbar.cards import join, numbers
from memxbar.devices.base import DeviceModel, Parameter, expand


class PowerLaw(DeviceModel):
    """Power-law I–V nonlinearity, ``I = sgn(V)·G·Vref·(|V|/Vref)^p`` with ``p = log2(n)``.

    Joksas, Wang, Barmpatsalos, Ng, Kenyon, Constantinides & Mehonic, "Nonideality-aware
    training for accurate and robust low-power memristive neural networks", arXiv:2112.06887
    (v1, 2021), I–V nonlinearity model: the nonlinearity parameter n = I(2V)/I(V) is the same at
    every voltage, and the device follows Ohm's law with conductance G at the reference
    voltage Vref, I(Vref) = G·Vref. So G is the chord conductance at Vref, not the slope at
    0 V. n ≥ 2 (the paper truncates its n distribution at 2: smaller n is not seen in I–V
    curves); n = 2 is ohmic. Their SiOx devices had n = 2.132 ± 0.095 (low-resistance) and
    2.989 ± 0.369 (high-resistance), at Vref = 0.25 V (half their largest read voltage).

    The equation is used exactly in both backends, with no regularising linear term:
    ``dI/dV = G·p·(|V|/Vref)^(p−1)`` is 0 at V = 0 for n > 2, and the Newton Jacobian stays
    non-singular there because every node also connects to the lines. ngspice evaluates
    ``sgn(V)·pwr(|V|, p)``, whose value and derivative are exact at 0.
    """

    name = "power-law"
    summary = "I = sgn(V)*G*Vref*(|V|/Vref)^log2(n)"
    citation = "Joksas et al., arXiv:2112.06887 (2021), I-V nonlinearity I = sgn(V) G Vref (|V|/Vref)^log2(n)"
    conductance_meaning = "the chord conductance I(Vref)/Vref at the reference voltage Vref"
    verilog_a = "power_law.va"
    parameters = (
        Parameter(
            "n",
            "1",
            2.132,
            "Nonlinearity n = I(2V)/I(V); 2 is ohmic. Default: the paper's low-resistance SiOx.",
            minimum=2.0,
        ),
        Parameter("vref", "V", 0.25, "Reference voltage Vref at which I = G*Vref.", minimum=0.0, minimum_open=True),
    )

    def _exponent(self, ndim: int) -> np.ndarray:
        return np.log2(self.value("n", ndim))

    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        vref = self.value("vref", v.ndim)
        return np.sign(v) * expand(g, v.ndim) * vref * (np.abs(v) / vref) ** self._exponent(v.ndim)

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        p = self._exponent(v.ndim)
        return expand(g, v.ndim) * p * (np.abs(v) / self.value("vref", v.ndim)) ** (p - 1.0)

    def current_and_slope(self, v: np.ndarray, g: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """I = G·V·(|V|/Vref)^(p−1) and dI/dV = p·G·(|V|/Vref)^(p−1): one power for both."""
        v = np.asarray(v, dtype=np.float64)
        p = self._exponent(v.ndim)
        scaled = expand(g, v.ndim) * (np.abs(v) / self.value("vref", v.ndim)) ** (p - 1.0)
        return v * scaled, p * scaled

    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        vref = self.values["vref"]
        p = np.log2(self.values["n"])
        return join(numbers(g * vref), "*sgn(", v, ")*pwr(abs(", v, ")/", numbers(vref), ",", numbers(p), ")")
