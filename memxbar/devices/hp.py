"""The HP linear ion-drift memristor (Strukov et al. 2008) without a window and with the windows
of Joglekar (2009), Biolek (2009) and Prodromakis (2011).

Strukov, Snider, Stewart & Williams, "The missing memristor found", Nature 453, 80–83 (2008):

- Eq. (1): v(t) = (R_ON·w/D + R_OFF·(1 − w/D))·i(t), so with x = w/D, I = V / R(x),
  R(x) = R_ON·x + R_OFF·(1 − x);
- Eq. (2): dw/dt = μ_v·R_ON/D·i(t), so dx/dt = k·i(t)·F(x) with k = μ_v·R_ON/D² and the window
  F = 1 without a window (then the state is clamped to [0, 1], which the paper assumes).

Defaults: D = 10 nm and μ_v = 1e-10 cm²/(V·s) = 1e-14 m²/(V·s) as in the paper's Fig. 2–3,
R_OFF/R_ON = 160 (the paper's ratio) with R_ON = 100 Ω, and x0 = 0.1; p = 1 and j = 1 are the
window papers' basic cases.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np

from memxbar.devices.base import Parameter, StateVariable
from memxbar.devices.dynamic import ResistiveMemristor, bound_width_parameter
from memxbar.devices.expressions import fill
from memxbar.devices.windows import (
    biolek,
    biolek_spice,
    bounded_rate,
    bounded_rate_spice,
    joglekar,
    joglekar_spice,
    prodromakis,
    prodromakis_spice,
)

_CITATION = "Strukov et al., Nature 453, 80 (2008), Eqs. (1)-(2)"

_COMMON = (
    Parameter("r_on", "Ω", 100.0, "Resistance R_ON of the fully doped device (x = 1), Eq. (1)", 0.0, minimum_open=True),
    Parameter("r_off", "Ω", 16e3, "Resistance R_OFF of the undoped device (x = 0), Eq. (1)", 0.0, minimum_open=True),
    Parameter("d", "m", 10e-9, "Thickness D of the oxide film, Eqs. (1)-(2)", 0.0, minimum_open=True),
    Parameter("mu_v", "m²/(V·s)", 1e-14, "Average dopant mobility μ_v, Eq. (2)", 0.0, minimum_open=True),
    Parameter("x0", "1", 0.1, "Initial normalised doped width w/D", 0.0, 1.0),
)


class _IonDrift(ResistiveMemristor):
    """The linear ion-drift model; subclasses give the window."""

    summary = "I = V/(R_on*x + R_off*(1-x)), dx/dt = mu_v*R_on/D^2 * I * F(x)"
    conductance_meaning = "the conductance 1/R(x) = 1/(R_on*x + R_off*(1-x)), from 1/R_off to 1/R_on"
    verilog_a = "hp_ion_drift.va"
    states = (StateVariable("x", "1", 0.0, 1.0, "doped-region width w/D (1 = R_ON, 0 = R_OFF)"),)
    sweep_amplitude = 1.0
    sweep_frequency = 1.0

    ordered = (("r_on", "r_off"),)

    def _resistance(self, x: np.ndarray) -> np.ndarray:
        return self._between("r_off", "r_on", x)

    def _resistance_spice(self, x: np.ndarray) -> np.ndarray:
        return fill("({r_off}+({r_on}-{r_off})*{x})", x=x, r_on=self.values["r_on"], r_off=self.values["r_off"])

    def _state_from_resistance(self, r: np.ndarray) -> np.ndarray:
        r_on, r_off = self.values["r_on"], self.values["r_off"]
        return (r_off - r) / (r_off - r_on)

    def _resistance_range(self) -> tuple[np.ndarray, np.ndarray]:
        return self.values["r_on"], self.values["r_off"]

    def state_derivative(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        x = np.asarray(state, dtype=np.float64)[0]
        i = self.state_current(v, state)
        k = self._p("mu_v", x) * self._p("r_on", x) / self._p("d", x) ** 2
        return self._window_rate(k * i, x, i)[None]

    @abstractmethod
    def _window_rate(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        """dx/dt from the window-free drive k·i (1/s), the state and the current."""

    def spice_state_derivative(self, v: np.ndarray, state: Sequence[np.ndarray]) -> list[np.ndarray]:
        i = self.spice_state_current(v, state)
        drive = fill("({mu_v}*{r_on}/({d}*{d})*{i})", i=i, **self._spice_values("mu_v", "r_on", "d"))
        return [self._window_rate_spice(drive, state[0], i)]

    @abstractmethod
    def _window_rate_spice(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        """ngspice expressions of :meth:`_window_rate`."""

    def _spice_values(self, *names: str) -> dict[str, np.ndarray]:
        return {name: self.values[name] for name in names}


class HPLinear(_IonDrift):
    """HP linear ion drift without a window: the state is clamped to [0, 1].

    Strukov et al., Nature 453, 80 (2008), Eqs. (1)-(2) with F(x) = 1. The paper stops the
    drift at the film's edges; here by the smooth clamp of
    :func:`~memxbar.devices.windows.bounded_rate`, within ``bound_width`` of each edge.
    """

    name = "hp"
    citation = _CITATION + ", no window (state clamped to [0, 1])"
    parameters = (*_COMMON, bound_width_parameter())
    verilog_a_selectors = {"window": 0.0}

    def _window_rate(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return bounded_rate(drive, x, self._p("bound_width", x))

    def _window_rate_spice(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return bounded_rate_spice(drive, x, self.values["bound_width"])


_P_INTEGER = Parameter("p", "1", 1.0, "Window exponent p (a positive integer)", 1.0, integer=True)


class HPJoglekar(_IonDrift):
    """HP linear ion drift with Joglekar's window F(x) = 1 − (2x − 1)^(2p).

    Strukov et al., Nature 453, 80 (2008), Eqs. (1)-(2); window of Joglekar & Wolf,
    Eur. J. Phys. 30, 661 (2009) (:func:`~memxbar.devices.windows.joglekar`).
    """

    name = "hp-joglekar"
    citation = _CITATION + "; window: Joglekar & Wolf, Eur. J. Phys. 30, 661 (2009)"
    parameters = (*_COMMON, _P_INTEGER)
    verilog_a_selectors = {"window": 1.0}

    def _window_rate(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return drive * joglekar(x, self._p("p", x))

    def _window_rate_spice(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return fill("({drive}*{window})", drive=drive, window=joglekar_spice(x, self.values["p"]))


class HPBiolek(_IonDrift):
    """HP linear ion drift with Biolek's window f(x, i) = 1 − (x − stp(−i))^(2p).

    Strukov et al., Nature 453, 80 (2008), Eqs. (1)-(2); window of Biolek, Biolek & Biolková,
    Radioengineering 18(2), 210 (2009) (:func:`~memxbar.devices.windows.biolek`).
    """

    name = "hp-biolek"
    citation = _CITATION + "; window: Biolek et al., Radioengineering 18, 210 (2009)"
    parameters = (*_COMMON, _P_INTEGER)
    verilog_a_selectors = {"window": 2.0}

    def _window_rate(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return drive * biolek(x, i, self._p("p", x))

    def _window_rate_spice(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return fill("({drive}*{window})", drive=drive, window=biolek_spice(x, i, self.values["p"]))


class HPProdromakis(_IonDrift):
    """HP linear ion drift with Prodromakis's window f(x) = j·(1 − ((x − 0.5)² + 0.75)^p).

    Strukov et al., Nature 453, 80 (2008), Eqs. (1)-(2); window of Prodromakis et al.,
    IEEE Trans. Electron Devices 58, 3099 (2011) (:func:`~memxbar.devices.windows.prodromakis`).
    """

    name = "hp-prodromakis"
    citation = _CITATION + "; window: Prodromakis et al., IEEE TED 58, 3099 (2011)"
    parameters = (
        *_COMMON,
        Parameter("p", "1", 1.0, "Window exponent p (real, > 0)", 0.0, minimum_open=True),
        Parameter("j", "1", 1.0, "Window scale j: the window's maximum is j*(1 - 0.75^p)", 0.0, minimum_open=True),
    )
    verilog_a_selectors = {"window": 3.0}

    def _window_rate(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return drive * prodromakis(x, self._p("p", x), self._p("j", x))

    def _window_rate_spice(self, drive: np.ndarray, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        window = prodromakis_spice(x, self.values["p"], self.values["j"])
        return fill("({drive}*{window})", drive=drive, window=window)
