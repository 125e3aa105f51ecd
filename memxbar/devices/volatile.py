"""A volatile memristor with short-term plasticity, for SrTiO₃-like devices (Weilenmann et al. 2024).

Weilenmann, Ziogas, Zellweger, Portner, Mladenović, Kaniselvan, Moraitis, Luisier & Emboras,
"Single neuromorphic memristor closely emulates multiple synaptic mechanisms for energy
efficient neural networks", Nat. Commun. 15, 6898 (2024), show SrTiO₃ devices in a
non-filamentary, low-conductance regime whose conductance is the sum of a long-term weight W and
a short-term part F that potentiating pulses raise and that decays back with a time constant;
their networks use exactly that synapse, G = W + F with F relaxing between updates. The paper
gives no closed compact model, so memxbar uses the smallest one with those properties:

- two normalised states: the long-term state w and the short-term state s, both in [0, 1];
- conductance G(u) = G_min + (G_max − G_min)·u with u = w + s − w·s (the probabilistic sum, so
  that u ≈ w + s for small states, as W + F, and never exceeds 1);
- interface-type (Schottky-like) conduction I = G(u)·V0·sinh(V/V0), the sinh law of the static
  model, with G the slope at 0 V;
- potentiation drive r_p(V) = max(V/V_p − 1, 0) above the threshold V_p > 0 and depression drive
  r_d(V) = max(V/V_d − 1, 0) below V_d < 0 (the VTEAM threshold form with exponent 1);
- ds/dt = k_s·r_p(V)·(1 − s) − s/τ: potentiation raises the short-term state, which relaxes with
  the time constant τ (seconds) at every voltage, so it is volatile;
- dw/dt = k_w·r_p(V)·s·(1 − w) − k_d·r_d(V)·w: the long-term state grows only in proportion to the
  short-term state already built up, so isolated weak stimuli fade while repeated or strong ones
  are consolidated (the transition from short- to long-term plasticity the paper reports), and
  negative voltages depress it. Both saturate at 1 through the (1 − ·) factors, and the decay
  terms keep them ≥ 0, so no clamp is needed.

The defaults are representative of the paper's regime rather than a fit: conductances from
10 nS to 1 µS, τ = 0.5 s, thresholds ±1 V.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from memxbar.devices.base import Parameter, StateVariable, expand
from memxbar.devices.dynamic import Memristor
from memxbar.devices.expressions import fill

_POSITIVE = {"minimum": 0.0, "minimum_open": True}


class VolatileStp(Memristor):
    """Long-term state w plus volatile short-term state s; after Weilenmann et al., Nat. Commun. 15, 6898 (2024)."""

    name = "volatile-stp"
    summary = "I = G(w+s-ws)*V0*sinh(V/V0), ds/dt = k_s*r_p(V)*(1-s) - s/tau, dw/dt = k_w*r_p(V)*s*(1-w) - k_d*r_d(V)*w"
    citation = "after Weilenmann et al., Nat. Commun. 15, 6898 (2024): G = W + F, F volatile (equations: memxbar)"
    conductance_meaning = "the slope G(u) = G_min + (G_max-G_min)*u at 0 V, u = w + s - w*s"
    verilog_a = "volatile_stp.va"
    parameters = (
        Parameter("g_min", "S", 1e-8, "Conductance G_min of the fully depressed device", **_POSITIVE),
        Parameter("g_max", "S", 1e-6, "Conductance G_max of the fully potentiated device", **_POSITIVE),
        Parameter("v0", "V", 0.5, "Voltage scale V0 of the sinh conduction", **_POSITIVE),
        Parameter("v_p", "V", 1.0, "Potentiation threshold V_p > 0", **_POSITIVE),
        Parameter("v_d", "V", -1.0, "Depression threshold V_d < 0", maximum=0.0, maximum_open=True),
        Parameter("k_s", "1/s", 20.0, "Rate k_s at which potentiation raises the short-term state", minimum=0.0),
        Parameter("k_w", "1/s", 5.0, "Rate k_w at which the short-term state is consolidated", minimum=0.0),
        Parameter("k_d", "1/s", 5.0, "Rate k_d of long-term depression", minimum=0.0),
        Parameter("tau", "s", 0.5, "Relaxation time constant τ of the short-term state", **_POSITIVE),
        Parameter("w0", "1", 0.1, "Initial long-term state", 0.0, 1.0),
        Parameter("s0", "1", 0.0, "Initial short-term state", 0.0, 1.0),
    )
    states = (
        StateVariable("w", "1", 0.0, 1.0, "long-term (non-volatile) state"),
        StateVariable("s", "1", 0.0, 1.0, "short-term (volatile) state, relaxing with time constant tau"),
    )
    sweep_amplitude = 1.5
    sweep_frequency = 1.0

    ordered = (("g_min", "g_max"),)

    def _g(self, u: np.ndarray) -> np.ndarray:
        return self._between("g_min", "g_max", u)

    @staticmethod
    def _combined(state: np.ndarray) -> np.ndarray:
        w, s = np.asarray(state, dtype=np.float64)
        return w + s - w * s

    def conductance(self, state: np.ndarray) -> np.ndarray:
        return self._g(self._combined(state))

    def state_from_conductance(self, g: np.ndarray | float) -> np.ndarray:
        g = np.asarray(g, dtype=np.float64)
        g_min, g_max = self.values["g_min"], self.values["g_max"]
        w = self._state_in_range((g - g_min) / (g_max - g_min), g, g_min, g_max)
        return np.stack([w, np.zeros_like(w)])

    def state_current(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        v0 = self._p("v0", v)
        return self._g(self._combined(state)) * v0 * np.sinh(v / v0)

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        self.state_from_conductance(g)
        return expand(g, v.ndim) * np.cosh(v / self._p("v0", v))

    def state_derivative(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        w, s = np.asarray(state, dtype=np.float64)
        p = {name: self._p(name, w) for name in self.values}
        potentiate = np.maximum(v / p["v_p"] - 1.0, 0.0)
        depress = np.maximum(v / p["v_d"] - 1.0, 0.0)
        ds = p["k_s"] * potentiate * (1.0 - s) - s / p["tau"]
        dw = p["k_w"] * potentiate * s * (1.0 - w) - p["k_d"] * depress * w
        return np.stack(np.broadcast_arrays(dw, ds))

    def spice_state_current(self, v: np.ndarray, state: Sequence[np.ndarray]) -> np.ndarray:
        w, s = state
        return fill(
            "(({g_min}+({g_max}-{g_min})*({w}+{s}-{w}*{s}))*{v0}*sinh(({v})/{v0}))", v=v, w=w, s=s, **self.values
        )

    def spice_state_derivative(self, v: np.ndarray, state: Sequence[np.ndarray]) -> list[np.ndarray]:
        w, s = state
        fields = {"v": v, "w": w, "s": s, **self.values}
        potentiate = fill("max(({v})/{v_p}-1,0)", **fields)
        depress = fill("max(({v})/{v_d}-1,0)", **fields)
        dw = fill("({k_w}*{up}*{s}*(1-{w})-{k_d}*{down}*{w})", up=potentiate, down=depress, **fields)
        ds = fill("({k_s}*{up}*(1-{s})-{s}/{tau})", up=potentiate, **fields)
        return [dw, ds]
