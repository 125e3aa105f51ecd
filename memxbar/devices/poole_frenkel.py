"""Poole–Frenkel conduction as used by Joksas et al., Advanced Science 2022."""

from __future__ import annotations

import numpy as np

from memxbar.cards import join, numbers
from memxbar.constants import BOLTZMANN, ELEMENTARY_CHARGE, ZERO_CELSIUS
from memxbar.devices.base import DeviceModel, Parameter, expand

ROOM_TEMPERATURE = ZERO_CELSIUS + 20.0
"""20 °C in kelvin (K), the temperature of the paper's model."""


class PooleFrenkel(DeviceModel):
    """Poole–Frenkel emission, ``I = G·V·exp(β·sqrt|V|)``, ``β = (q/kT)·sqrt(q/(π·d·ε))``.

    Joksas, Wang, Barmpatsalos, Ng, Kenyon, Constantinides & Mehonic, "Nonideality-aware
    training for accurate and robust low-power memristive neural networks", Advanced Science 9,
    2105784 (2022), doi:10.1002/advs.202105784: the I–V curves of their SiOx devices are fitted
    per state with the Poole–Frenkel model (Frenkel, Phys. Rev. 54, 647 (1938))

        I = sgn(V)·c·|V|·exp( (q/(k·T))·sqrt( q·|V| / (π·d·ε) ) ),   T = 293.15 K,

    as in the authors' public code (``IVNonlinearityPF.model`` of
    github.com/joksas/nonideality-aware-mnn-training), where c is a scaling factor and d·ε the
    product of the film thickness and its permittivity. (That code adds 1e-18 V under the
    square root to keep TensorFlow's gradient finite; it changes I by less than 1e-7 relative
    and is left out here.) The small-signal conductance at 0 V is
    c, so here c = G. The paper draws c and d·ε of each device from linear fits of ln c and
    ln(d·ε) against the device's ln R; pass those d·ε as a per-device (M, N) array ``d_eps``.
    The default d·ε = 1e-16 F is the starting value of the authors' fits; it gives
    I(0.5 V)/I(0.25 V) ≈ 2.4 at 20 °C.

    ``dI/dV = G·exp(β·sqrt|V|)·(1 + β·sqrt|V|/2)``, finite and exact at V = 0 (the NumPy form
    never divides by sqrt|V|; ngspice's derivative of sqrt at 0 is guarded and multiplied by
    V = 0).
    """

    name = "poole-frenkel"
    summary = "I = G*V*exp((q/kT)*sqrt(q|V|/(pi*d_eps)))"
    citation = "Joksas et al., Adv. Sci. 9, 2105784 (2022), Poole-Frenkel I-V model; Frenkel, Phys. Rev. 54, 647 (1938)"
    conductance_meaning = "the small-signal conductance dI/dV at 0 V (the paper's scaling factor c)"
    verilog_a = "poole_frenkel.va"
    parameters = (
        Parameter(
            "d_eps",
            "F",
            1e-16,
            "Film thickness times permittivity d*eps (m * F/m); smaller is more nonlinear.",
            minimum=0.0,
            minimum_open=True,
        ),
        Parameter("temperature", "K", ROOM_TEMPERATURE, "Device temperature T.", minimum=0.0, minimum_open=True),
    )

    def beta(self, ndim: int = 0) -> np.ndarray:
        """β = (q/kT)·sqrt(q/(π·d·ε)) in V^-1/2, shaped to broadcast against ``ndim``-D voltages."""
        q, k = ELEMENTARY_CHARGE, BOLTZMANN
        return q / (k * self.value("temperature", ndim)) * np.sqrt(q / (np.pi * self.value("d_eps", ndim)))

    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        return expand(g, v.ndim) * v * np.exp(self.beta(v.ndim) * np.sqrt(np.abs(v)))

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        x = self.beta(v.ndim) * np.sqrt(np.abs(v))
        return expand(g, v.ndim) * np.exp(x) * (1.0 + 0.5 * x)

    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        return join(numbers(g), "*", v, "*exp(", numbers(self.beta()), "*sqrt(abs(", v, ")))")
