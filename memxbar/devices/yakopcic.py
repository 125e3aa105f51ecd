"""The generalized memristive device model of Yakopcic et al. (2011, 2013).

Yakopcic, Taha, Subramanyam, Pino & Rogers, "A memristor device model", IEEE Electron Device
Lett. 32(10), 1436–1438 (2011), and Yakopcic, Taha, Subramanyam & Pino, "Generalized memristive
device SPICE model and its application in circuit design", IEEE Trans. CAD 32(8), 1201–1214
(2013), Sec. III:

- I–V: I = a1·x·sinh(b·V) for V ≥ 0, a2·x·sinh(b·V) for V < 0;
- threshold: g(V) = A_p·(e^V − e^V_p) for V > V_p, −A_n·(e^(−V) − e^V_n) for V < −V_n, else 0
  (V in volts);
- window: for η·V ≥ 0, f = e^(−α_p·(x − x_p))·w_p(x) if x ≥ x_p, else 1; for η·V < 0,
  f = e^(α_n·(x + x_n − 1))·w_n(x) if x ≤ 1 − x_n, else 1; with w_p = (x_p − x)/(1 − x_p) + 1 and
  w_n = x/(1 − x_n), which are 0 at x = 1 and x = 0 and keep x in [0, 1];
- state: dx/dt = η·g(V)·f(x).

The window branch follows the sign of η·V, as in the authors' published SPICE subcircuit. Defaults:
the authors' fit of the Oblea et al. Ge₂Se₃ device (a1 = a2 = 0.17 A, b = 0.05 /V, V_p = 0.16 V,
V_n = 0.15 V, A_p = A_n = 4000 /s, x_p = 0.3, x_n = 0.5, α_p = 1, α_n = 5, x0 = 0.11, η = 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from memxbar.devices.base import Parameter, StateVariable, expand
from memxbar.devices.dynamic import Memristor
from memxbar.devices.expressions import fill
from memxbar.errors import InputError

_POSITIVE = {"minimum": 0.0, "minimum_open": True}


class Yakopcic(Memristor):
    """Yakopcic et al., IEEE EDL 32, 1436 (2011) and IEEE TCAD 32, 1201 (2013), Sec. III."""

    name = "yakopcic"
    summary = "I = a1|a2 * x * sinh(b*V), dx/dt = eta * g(V) * f(x)"
    citation = "Yakopcic et al., IEEE EDL 32, 1436 (2011); IEEE TCAD 32, 1201 (2013), Sec. III"
    conductance_meaning = "the slope a1*b*x of the current at 0 V (from positive voltages)"
    verilog_a = "yakopcic.va"
    parameters = (
        Parameter("a1", "A", 0.17, "Current scale a1 for V >= 0", **_POSITIVE),
        Parameter("a2", "A", 0.17, "Current scale a2 for V < 0", **_POSITIVE),
        Parameter("b", "1/V", 0.05, "Slope b of the sinh I-V relation", **_POSITIVE),
        Parameter("vp", "V", 0.16, "Positive threshold V_p of g(V)", minimum=0.0),
        Parameter("vn", "V", 0.15, "Negative threshold magnitude V_n of g(V)", minimum=0.0),
        Parameter("ap", "1/s", 4000.0, "Rate A_p of the state change above V_p", minimum=0.0),
        Parameter("an", "1/s", 4000.0, "Rate A_n of the state change below -V_n", minimum=0.0),
        Parameter("xp", "1", 0.3, "State x_p beyond which positive motion slows", 0.0, 1.0, maximum_open=True),
        Parameter("xn", "1", 0.5, "Negative motion slows below the state 1 - x_n", 0.0, 1.0, maximum_open=True),
        Parameter("alphap", "1", 1.0, "Decay rate α_p of positive motion beyond x_p", minimum=0.0),
        Parameter("alphan", "1", 5.0, "Decay rate α_n of negative motion below 1 - x_n", minimum=0.0),
        Parameter("eta", "1", 1.0, "Direction η of the state motion: +1 or -1", -1.0, 1.0, integer=True),
        Parameter("x0", "1", 0.11, "Initial state", 0.0, 1.0),
    )
    states = (StateVariable("x", "1", 0.0, 1.0, "state variable x (conductance proportional to x)"),)
    sweep_amplitude = 0.45
    sweep_frequency = 1e3

    def __init__(self, **values: object) -> None:
        super().__init__(**values)
        if np.any(self.values["eta"] == 0):
            raise InputError(f"device parameter eta of model {self.name} must be +1 or -1, got 0")

    def conductance(self, state: np.ndarray) -> np.ndarray:
        x = np.asarray(state, dtype=np.float64)[0]
        return self._p("a1", x) * self._p("b", x) * x

    def state_from_conductance(self, g: np.ndarray | float) -> np.ndarray:
        g = np.asarray(g, dtype=np.float64)
        high = self.values["a1"] * self.values["b"]
        return self._state_in_range(g / high, g, 0.0, high)[None]

    def state_current(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        x = np.asarray(state, dtype=np.float64)[0]
        a = np.where(v >= 0, self._p("a1", v), self._p("a2", v))
        return a * x * np.sinh(self._p("b", v) * v)

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        x = expand(self.state_from_conductance(g)[0], v.ndim)
        a = np.where(v >= 0, self._p("a1", v), self._p("a2", v))
        b = self._p("b", v)
        return a * x * b * np.cosh(b * v)

    def state_derivative(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        x = np.asarray(state, dtype=np.float64)[0]
        p = {name: self._p(name, x) for name in self.values}
        g = np.where(
            v > p["vp"],
            p["ap"] * (np.exp(v) - np.exp(p["vp"])),
            np.where(v < -p["vn"], -p["an"] * (np.exp(-v) - np.exp(p["vn"])), 0.0),
        )
        w_p = (p["xp"] - x) / (1.0 - p["xp"]) + 1.0
        w_n = x / (1.0 - p["xn"])
        f_p = np.where(x >= p["xp"], np.exp(-p["alphap"] * (x - p["xp"])) * w_p, 1.0)
        f_n = np.where(x <= 1.0 - p["xn"], np.exp(p["alphan"] * (x + p["xn"] - 1.0)) * w_n, 1.0)
        f = np.where(p["eta"] * v >= 0, f_p, f_n)
        return (p["eta"] * g * f)[None]

    def spice_state_current(self, v: np.ndarray, state: Sequence[np.ndarray]) -> np.ndarray:
        return fill("((({v})>=0?{a1}:{a2})*{x}*sinh({b}*({v})))", v=v, x=state[0], **self.values)

    def spice_state_derivative(self, v: np.ndarray, state: Sequence[np.ndarray]) -> list[np.ndarray]:
        fields = {"v": v, "x": state[0], **self.values}
        g = fill("((({v})>{vp})?{ap}*(exp({v})-exp({vp})):((({v})<-{vn})?-{an}*(exp(-({v}))-exp({vn})):0))", **fields)
        f_p = fill("(({x})>={xp}?exp(-{alphap}*({x}-{xp}))*(({xp}-{x})/(1-{xp})+1):1)", **fields)
        f_n = fill("(({x})<=1-{xn}?exp({alphan}*({x}+{xn}-1))*({x}/(1-{xn})):1)", **fields)
        return [fill("({eta}*{g}*({eta}*({v})>=0?{f_p}:{f_n}))", g=g, f_p=f_p, f_n=f_n, **fields)]
