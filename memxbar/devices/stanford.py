"""The Stanford–PKU metal-oxide RRAM model (Guan, Yu & Wong 2012; Jiang et al. 2016).

Guan, Yu & Wong, "A SPICE compact model of metal oxide resistive switching memory with
variations", IEEE Electron Device Lett. 33(10), 1405–1407 (2012), and Jiang, Wu, Yu, Yu, Wong et
al., "A compact model for metal–oxide resistive random access memory with experiment
verification", IEEE Trans. Electron Devices 63(5), 1884–1892 (2016). With the tunnelling gap g
between the filament tip and the electrode:

- Eq. (1): I = I0·exp(−g/g0)·sinh(V/V0);
- Eq. (2): dg/dt = −ν0·exp(−q·E_a/(k·T))·sinh(γ·a0·q·V/(t_ox·k·T)), the deterministic part
  (the random gap variation of the paper is left out: memxbar is deterministic);
- Eq. (3): γ = γ0 − β·(g/g1)³ with g1 = 1 nm, the local field enhancement; as in the authors'
  released model (Stanford RRAM model v1.0.0, doi:10.4231/D37H1DN48), the gap does not change
  while the field F = γ·|V|/t_ox is below F_min. That switch is a jump of the rate from 0 to
  ~10⁵ /s, at which ngspice's time step collapses ("timestep too small"); here the rate is
  multiplied by the C¹ smoothstep S((F − F_min)/F_w), which rises from 0 at F_min to 1 at
  F_min + F_w (F_w = 1 % of F_min by default, ~0.01 V of terminal voltage);
- Eq. (4): T = T0 + |V·I|·R_th, steady-state Joule heating;
- g is clamped to [g_min, g_max] (here smoothly, see
  :func:`~memxbar.devices.windows.bounded_rate`).

The state is x = (g − g_min)/(g_max − g_min) in [0, 1] (0: the low-resistance state). Defaults:
the v1.0.0 release (I0 = 1 mA, g0 = 0.25 nm, V0 = 0.25 V, ν0 = 10 m/s, E_a = 0.6 eV,
a0 = 0.25 nm, γ0 = 16, β = 0.8, t_ox = 12 nm, F_min = 1.4 GV/m, T0 = 298 K, R_th = 2.1 kK/W,
g from 0.2 nm to 1.7 nm, starting at 0.2 nm).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from memxbar.constants import BOLTZMANN, ELEMENTARY_CHARGE
from memxbar.devices.base import Parameter, StateVariable, expand
from memxbar.devices.dynamic import Memristor, bound_width_parameter
from memxbar.devices.expressions import fill
from memxbar.devices.windows import bounded_rate, bounded_rate_spice, smoothstep, smoothstep_spice

_POSITIVE = {"minimum": 0.0, "minimum_open": True}
_Q_OVER_K = ELEMENTARY_CHARGE / BOLTZMANN
"""q/k in K/V: q·V/(k·T) = V·_Q_OVER_K/T."""
G1 = 1e-9
"""Reference gap g1 (m) of Eq. (3)."""


class StanfordPku(Memristor):
    """Guan, Yu & Wong, IEEE EDL 33, 1405 (2012), Eqs. (1)-(4); Jiang et al., IEEE TED 63, 1884 (2016)."""

    name = "stanford-pku"
    summary = "I = I0*exp(-g/g0)*sinh(V/V0), dg/dt = -nu0*exp(-q*Ea/(k*T))*sinh(gamma*a0*q*V/(tox*k*T))"
    citation = "Guan, Yu & Wong, IEEE EDL 33, 1405 (2012), Eqs. (1)-(4); Jiang et al., IEEE TED 63, 1884 (2016)"
    conductance_meaning = "the slope I0/V0*exp(-g/g0) of the current at 0 V"
    verilog_a = "stanford_pku.va"
    parameters = (
        Parameter("i0", "A", 1e-3, "Current scale I0, Eq. (1)", **_POSITIVE),
        Parameter("g0", "m", 0.25e-9, "Gap decay length g0 of the current, Eq. (1)", **_POSITIVE),
        Parameter("v0", "V", 0.25, "Voltage scale V0 of the current, Eq. (1)", **_POSITIVE),
        Parameter("nu0", "m/s", 10.0, "Gap velocity prefactor ν0, Eq. (2)", **_POSITIVE),
        Parameter("ea", "eV", 0.6, "Activation energy E_a of oxygen-ion migration, Eq. (2)", **_POSITIVE),
        Parameter("a0", "m", 0.25e-9, "Hopping distance a0 (atomic spacing), Eq. (2)", **_POSITIVE),
        Parameter("tox", "m", 12e-9, "Oxide thickness t_ox, Eq. (2)", **_POSITIVE),
        Parameter("gamma0", "1", 16.0, "Field enhancement γ0 at zero gap, Eq. (3)", minimum=0.0),
        Parameter("beta", "1", 0.8, "Gap dependence β of the field enhancement, Eq. (3)", minimum=0.0),
        Parameter(
            "f_min", "V/m", 1.4e9, "Field F_min below which the gap does not change (v1.0.0 release)", minimum=0.0
        ),
        Parameter(
            "f_width",
            "V/m",
            1.4e7,
            "Width F_w of memxbar's smooth onset above F_min (the release switches at once)",
            **_POSITIVE,
        ),
        Parameter("t0", "K", 298.0, "Ambient temperature T0, Eq. (4)", **_POSITIVE),
        Parameter("rth", "K/W", 2.1e3, "Effective thermal resistance R_th, Eq. (4)", minimum=0.0),
        Parameter("gap_min", "m", 0.2e-9, "Smallest gap g_min (v1.0.0 release)", minimum=0.0),
        Parameter("gap_max", "m", 1.7e-9, "Largest gap g_max (v1.0.0 release)", **_POSITIVE),
        Parameter("x0", "1", 0.0, "Initial normalised gap (g - g_min)/(g_max - g_min)", 0.0, 1.0),
        bound_width_parameter(),
    )
    states = (StateVariable("x", "1", 0.0, 1.0, "normalised gap (g - g_min)/(g_max - g_min): 0 = low resistance"),)
    sweep_amplitude = 1.5
    sweep_frequency = 1e3

    ordered = (("gap_min", "gap_max"),)

    def _gap(self, x: np.ndarray) -> np.ndarray:
        return self._between("gap_min", "gap_max", x)

    def conductance(self, state: np.ndarray) -> np.ndarray:
        x = np.asarray(state, dtype=np.float64)[0]
        return self._p("i0", x) / self._p("v0", x) * np.exp(-self._gap(x) / self._p("g0", x))

    def state_from_conductance(self, g: np.ndarray | float) -> np.ndarray:
        g = np.asarray(g, dtype=np.float64)
        v = self.values
        scale = v["i0"] / v["v0"]
        with np.errstate(divide="ignore"):
            gap = -v["g0"] * np.log(g / scale)
        x = (gap - v["gap_min"]) / (v["gap_max"] - v["gap_min"])
        low, high = scale * np.exp(-v["gap_max"] / v["g0"]), scale * np.exp(-v["gap_min"] / v["g0"])
        return self._state_in_range(x, g, low, high)[None]

    def state_current(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        x = np.asarray(state, dtype=np.float64)[0]
        return self._p("i0", x) * np.exp(-self._gap(x) / self._p("g0", x)) * np.sinh(v / self._p("v0", x))

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        self.state_from_conductance(g)
        return expand(g, v.ndim) * np.cosh(v / self._p("v0", v))

    def _folded(self) -> dict[str, np.ndarray]:
        """Constants of Eq. (2) as single numbers (arrays per device): the gap range g_max − g_min,
        −q·E_a/k (K) and q·a0/(k·t_ox) (K/V), so that ngspice need not recompute them."""
        v = self.values
        return {
            "span": v["gap_max"] - v["gap_min"],
            "activation": -v["ea"] * _Q_OVER_K,
            "field": v["a0"] / v["tox"] * _Q_OVER_K,
        }

    def state_derivative(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        x = np.asarray(state, dtype=np.float64)[0]
        p = {name: self._p(name, x) for name in self.values}
        c = {name: expand(value, np.ndim(x)) for name, value in self._folded().items()}
        gap = self._gap(x)
        temperature = p["t0"] + np.abs(v * self.state_current(v, state)) * p["rth"]
        gamma = p["gamma0"] - p["beta"] * (gap / G1) ** 3
        onset = smoothstep((gamma * np.abs(v) / p["tox"] - p["f_min"]) / p["f_width"])
        rate = (
            -onset
            * p["nu0"]
            * np.exp(c["activation"] / temperature)
            * np.sinh(gamma * c["field"] * v / temperature)
            / c["span"]
        )
        return bounded_rate(rate, x, p["bound_width"])[None]

    def spice_state_current(self, v: np.ndarray, state: Sequence[np.ndarray]) -> np.ndarray:
        gap = fill("({gap_min}+{span}*{x})", x=state[0], **self.values, **self._folded())
        return fill("({i0}*exp(-{gap}/{g0})*sinh(({v})/{v0}))", v=v, gap=gap, **self.values)

    def spice_state_derivative(self, v: np.ndarray, state: Sequence[np.ndarray]) -> list[np.ndarray]:
        x = state[0]
        fields = {"v": v, "x": x, "g1": G1, **self.values, **self._folded()}
        gap = fill("({gap_min}+{span}*{x})", **fields)
        current = self.spice_state_current(v, state)
        temperature = fill("({t0}+abs(({v})*{i})*{rth})", i=current, **fields)
        gamma = fill("({gamma0}-{beta}*pow({gap}/{g1},3))", gap=gap, **fields)
        onset = smoothstep_spice(fill("(({gamma})*abs({v})/{tox}-{f_min})/{f_width}", gamma=gamma, **fields))
        rate = fill(
            "(-{onset}*{nu0}*exp({activation}/{t})*sinh({gamma}*{field}*({v})/{t})/{span})",
            t=temperature,
            gamma=gamma,
            onset=onset,
            **fields,
        )
        # The rate is positive (the gap grows) exactly where V < 0: it is 0 unless γ > 0.
        return [bounded_rate_spice(rate, x, self.values["bound_width"], direction=fill("(-({v}))", v=v))]
