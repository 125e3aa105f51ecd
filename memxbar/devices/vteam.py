"""The VTEAM model (Kvatinsky et al. 2015) with its linear and its exponential I–V relation.

Kvatinsky, Ramadan, Friedman & Kolodny, "VTEAM: a general model for voltage-controlled
memristors", IEEE Trans. Circuits Syst. II 62(8), 786–790 (2015):

- Eq. (1): dw/dt = k_off·(v/v_off − 1)^α_off·f_off(w) for 0 < v_off < v;
  0 for v_on < v < v_off; k_on·(v/v_on − 1)^α_on·f_on(w) for v < v_on < 0
  (k_off > 0, k_on < 0: a positive voltage moves w towards w_off, the high-resistance state);
- Eq. (2), linear: i = v / (R_ON + (R_OFF − R_ON)·(w − w_on)/(w_off − w_on));
- Eq. (3), exponential: i = v / (R_ON·exp(λ·(w − w_on)/(w_off − w_on))), λ = ln(R_OFF/R_ON).

The windows are those the paper takes from TEAM (Kvatinsky et al., IEEE TCAS-I 60(1), 211 (2013)):
f_off(w) = exp(−exp((w − a_off)/w_c)), f_on(w) = exp(−exp(−(w − a_on)/w_c)), and w is bounded to
[w_on, w_off] (here by the smooth clamp of :func:`~memxbar.devices.windows.bounded_rate`). The
state is x = (w − w_on)/(w_off − w_on) in [0, 1].

Defaults: MemTorch's VTEAM parameter set (R_ON = 50 Ω, R_OFF = 1 kΩ, v_on = −0.2 V, v_off = 0.02 V,
k_on = −10 m/s, k_off = 5e-4 m/s, α_on = 3, α_off = 1, w_on = 0, w_off = 3 nm); the paper's own
fits (to specific devices) could not be consulted here. a_on = w_on, a_off = w_off, and
w_c = 107 pm, TEAM's fit of the Simmons tunnel-barrier model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from memxbar.devices.base import Parameter, StateVariable
from memxbar.devices.dynamic import ResistiveMemristor, bound_width_parameter
from memxbar.devices.expressions import fill
from memxbar.devices.windows import bounded_rate, bounded_rate_spice

_POSITIVE = {"minimum": 0.0, "minimum_open": True}
_NEGATIVE = {"maximum": 0.0, "maximum_open": True}

_PARAMETERS = (
    Parameter("r_on", "Ω", 50.0, "Resistance R_ON at w = w_on, Eqs. (2)-(3)", **_POSITIVE),
    Parameter("r_off", "Ω", 1e3, "Resistance R_OFF at w = w_off, Eqs. (2)-(3)", **_POSITIVE),
    Parameter("v_on", "V", -0.2, "Threshold v_on < 0 of the on (set) switching, Eq. (1)", **_NEGATIVE),
    Parameter("v_off", "V", 0.02, "Threshold v_off > 0 of the off (reset) switching, Eq. (1)", **_POSITIVE),
    Parameter("k_on", "m/s", -10.0, "Rate constant k_on < 0 of the on switching, Eq. (1)", **_NEGATIVE),
    Parameter("k_off", "m/s", 5e-4, "Rate constant k_off > 0 of the off switching, Eq. (1)", **_POSITIVE),
    Parameter("alpha_on", "1", 3.0, "Exponent α_on of the on switching, Eq. (1)", **_POSITIVE),
    Parameter("alpha_off", "1", 1.0, "Exponent α_off of the off switching, Eq. (1)", **_POSITIVE),
    Parameter("w_on", "m", 0.0, "Lower bound w_on of the state variable w", minimum=0.0),
    Parameter("w_off", "m", 3e-9, "Upper bound w_off of the state variable w", **_POSITIVE),
    Parameter("a_on", "m", 0.0, "Position a_on of the on-window edge (TEAM window f_on)", minimum=0.0),
    Parameter("a_off", "m", 3e-9, "Position a_off of the off-window edge (TEAM window f_off)", minimum=0.0),
    Parameter("w_c", "m", 107e-12, "Width w_c of the TEAM window edges", **_POSITIVE),
    Parameter("x0", "1", 0.0, "Initial normalised state (w - w_on)/(w_off - w_on)", 0.0, 1.0),
    bound_width_parameter(),
)


class _Vteam(ResistiveMemristor):
    """VTEAM state dynamics; subclasses give the I–V relation."""

    conductance_meaning = "the conductance 1/R(x) at the state x, from 1/R_off to 1/R_on"
    verilog_a = "vteam.va"
    parameters = _PARAMETERS
    states = (StateVariable("x", "1", 0.0, 1.0, "(w - w_on)/(w_off - w_on): 0 = R_ON, 1 = R_OFF"),)
    sweep_amplitude = 1.0
    sweep_frequency = 1e6
    verilog_a_selectors = {"exponential": 0.0}

    ordered = (("r_on", "r_off"), ("w_on", "w_off"))

    def _resistance(self, x: np.ndarray) -> np.ndarray:
        return self._between("r_on", "r_off", x)

    def _resistance_spice(self, x: np.ndarray) -> np.ndarray:
        return fill("({r_on}+({r_off}-{r_on})*{x})", x=x, r_on=self.values["r_on"], r_off=self.values["r_off"])

    def _state_from_resistance(self, r: np.ndarray) -> np.ndarray:
        r_on, r_off = self.values["r_on"], self.values["r_off"]
        return (r - r_on) / (r_off - r_on)

    def _resistance_range(self) -> tuple[np.ndarray, np.ndarray]:
        return self.values["r_on"], self.values["r_off"]

    def state_derivative(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        x = np.asarray(state, dtype=np.float64)[0]
        v = np.asarray(v, dtype=np.float64)
        p = {name: self._p(name, x) for name in self.values}
        span = p["w_off"] - p["w_on"]
        w = p["w_on"] + span * x
        off = p["k_off"] * np.maximum(v / p["v_off"] - 1.0, 0.0) ** p["alpha_off"]
        on = p["k_on"] * np.maximum(v / p["v_on"] - 1.0, 0.0) ** p["alpha_on"]
        f_off = np.exp(-np.exp((w - p["a_off"]) / p["w_c"]))
        f_on = np.exp(-np.exp(-(w - p["a_on"]) / p["w_c"]))
        rate = (off * f_off + on * f_on) / span
        return bounded_rate(rate, x, p["bound_width"])[None]

    def spice_state_derivative(self, v: np.ndarray, state: Sequence[np.ndarray]) -> list[np.ndarray]:
        x = state[0]
        w = fill("({w_on}+({w_off}-{w_on})*{x})", x=x, **self.values)
        rate = fill(
            "(({k_off}*pow(max(({v})/{v_off}-1,0),{alpha_off})*exp(-exp(({w}-{a_off})/{w_c}))"
            "+{k_on}*pow(max(({v})/{v_on}-1,0),{alpha_on})*exp(-exp(-({w}-{a_on})/{w_c})))/({w_off}-{w_on}))",
            v=v,
            w=w,
            **self.values,
        )
        return [bounded_rate_spice(rate, x, self.values["bound_width"])]


class VteamLinear(_Vteam):
    """VTEAM with the linear I–V relation, Kvatinsky et al., IEEE TCAS-II 62, 786 (2015), Eqs. (1)-(2)."""

    name = "vteam"
    summary = "I = V/(R_on + (R_off-R_on)*x), dw/dt = k*(V/v_th - 1)^alpha * f(w) beyond thresholds"
    citation = "Kvatinsky et al., IEEE TCAS-II 62, 786 (2015), Eqs. (1)-(2); TEAM windows"


class VteamExponential(_Vteam):
    """VTEAM with the exponential I–V relation, Kvatinsky et al., IEEE TCAS-II 62, 786 (2015), Eqs. (1), (3)."""

    name = "vteam-exp"
    summary = "I = V/(R_on*exp(ln(R_off/R_on)*x)), dw/dt as vteam"
    citation = "Kvatinsky et al., IEEE TCAS-II 62, 786 (2015), Eqs. (1), (3); TEAM windows"
    verilog_a_selectors = {"exponential": 1.0}

    def _resistance(self, x: np.ndarray) -> np.ndarray:
        r_on, r_off = self._p("r_on", x), self._p("r_off", x)
        return r_on * np.exp(np.log(r_off / r_on) * x)

    def _resistance_spice(self, x: np.ndarray) -> np.ndarray:
        return fill("({r_on}*exp(ln({r_off}/{r_on})*{x}))", x=x, r_on=self.values["r_on"], r_off=self.values["r_off"])

    def _state_from_resistance(self, r: np.ndarray) -> np.ndarray:
        r_on, r_off = self.values["r_on"], self.values["r_off"]
        return np.log(r / r_on) / np.log(r_off / r_on)
