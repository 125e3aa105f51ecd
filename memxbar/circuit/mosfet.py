"""NMOS access transistors: the Shichman–Hodges (SPICE level 1) model, as ngspice's MOS1 evaluates it.

Drain current in normal mode (V_DS ≥ 0), with V_GST = V_GS − V_TO (no body effect, γ = 0):

- cut-off, V_GST ≤ 0: I_D = 0;
- saturation, 0 < V_GST ≤ V_DS: I_D = (β/2)·V_GST²·(1 + λ·V_DS);
- linear, V_DS < V_GST: I_D = β·V_DS·(V_GST − V_DS/2)·(1 + λ·V_DS);

β = KP·W/L. (H. Shichman and D. A. Hodges, "Modeling and simulation of insulated-gate field-effect
transistor switching circuits", IEEE J. Solid-State Circuits 3(3), 285–289 (1968), Eqs. (1)–(3),
with the channel-length modulation factor (1 + λ·V_DS) of SPICE level 1.) For V_DS < 0 drain and
source swap roles (ngspice's inverse mode). The bulk–drain and bulk–source junctions are written
with saturation current ``IS=0``; ngspice then still stamps a conductance GMIN (1e-12 S, its default)
across each, and so does the fast backend, so both solve the same circuit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from memxbar.cards import join, numbers
from memxbar.circuit.elements import ElementGroup

GMIN = 1e-12
"""Conductance (S) ngspice puts across every MOSFET junction (its ``gmin`` option, default 1e-12 S)."""

MODEL_NAME = "nacc"
"""Name of the transistors' ``.model`` card."""


@dataclass(frozen=True, eq=False)
class Mosfets(ElementGroup):
    """K NMOS transistors with terminals (drain, gate, source, bulk) and one set of level-1 parameters."""

    nodes: np.ndarray
    """(K, 4) node indices of drain, gate, source and bulk."""
    naming: Callable[[], np.ndarray]
    """Makes the (K,) SPICE element names, e.g. ``Mt0_3``."""
    vto: float
    """Threshold voltage V_TO in volts (V)."""
    kp: float
    """Transconductance parameter KP = µ·C_ox in A/V²."""
    lam: float
    """Channel-length modulation λ in 1/V."""
    width: float
    """Channel width W in metres (m)."""
    length: float
    """Channel length L in metres (m)."""
    power_class: str = "access"
    linear = False
    symmetric = False
    passive = False

    @property
    def beta(self) -> float:
        """β = KP·W/L in A/V²."""
        return self.kp * self.width / self.length

    def _channel(self, vgs: np.ndarray, vds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Drain current, gm and gds of the normal mode (vds ≥ 0), elementwise."""
        beta, lam = self.beta, self.lam
        vgst = vgs - self.vto
        on = vgst > 0
        sat = on & (vgst <= vds)
        lin = on & ~sat
        betap = beta * (1 + lam * vds)
        i = np.where(sat, 0.5 * betap * vgst**2, np.where(lin, betap * vds * (vgst - 0.5 * vds), 0.0))
        gm = np.where(sat, betap * vgst, np.where(lin, betap * vds, 0.0))
        gds = np.where(sat, 0.5 * lam * beta * vgst**2,
                       np.where(lin, betap * (vgst - vds) + lam * beta * vds * (vgst - 0.5 * vds), 0.0))
        return i, gm, gds

    def evaluate(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vd, vg, vs, vb = v[:, 0], v[:, 1], v[:, 2], v[:, 3]
        normal = vd >= vs
        i, gm, gds = self._channel(np.where(normal, vg - vs, vg - vd), np.abs(vd - vs))
        zero = np.zeros_like(i)
        # Current into the drain terminal and its derivatives by (vd, vg, vs), per mode.
        i_d = np.where(normal, i, -i)
        d_vd = np.where(normal, gds, gm + gds)
        d_vg = np.where(normal, gm, -gm)
        d_vs = np.where(normal, -gm - gds, -gds)
        currents = np.stack([i_d, zero, -i_d, zero], axis=1)
        jac = np.zeros((*v.shape[:2], 4, v.shape[2]))
        jac[:, 0, :3] = np.stack([d_vd, d_vg, d_vs], axis=1)
        jac[:, 2, :3] = -jac[:, 0, :3]
        # GMIN across bulk–drain and bulk–source junctions (IS = 0).
        for t in (0, 2):
            j = GMIN * (v[:, t] - vb)
            currents[:, t] += j
            currents[:, 3] -= j
            jac[:, t, t] += GMIN
            jac[:, t, 3] -= GMIN
            jac[:, 3, 3] += GMIN
            jac[:, 3, t] -= GMIN
        return currents, jac

    def spice_cards(self, names: np.ndarray) -> list[np.ndarray]:
        size = f" {MODEL_NAME} W={numbers(self.width)} L={numbers(self.length)}"
        return [join(self.names, " ", names[:, 0], " ", names[:, 1], " ", names[:, 2], " ", names[:, 3], size)]

    def spice_preamble(self) -> list[str]:
        return [
            f".model {MODEL_NAME} NMOS (LEVEL=1 VTO={numbers(self.vto)} KP={numbers(self.kp)} "
            f"LAMBDA={numbers(self.lam)} IS=0)",
            f".options gmin={numbers(GMIN)}",
        ]
