"""Window functions of ion-drift memristors, and the smooth bound that keeps a state in [0, 1].

Each function exists twice with the same formula: as NumPy on arrays, and (``*_spice``) as
ngspice expressions built from string arrays of the state and current expressions, so both
backends integrate the same equation. Parameters may be scalars or per-device arrays.

ngspice's ``pow(a, b)`` evaluates ``|a|**b`` (measured with ngspice 46: ``pow(-0.5, 3)`` is
0.125), so every power here is taken of an absolute value or of a positive base; for the
papers' even exponents 2p that is the same number.
"""

from __future__ import annotations

import numpy as np

from memxbar.devices.expressions import fill


def joglekar(x: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """Joglekar window F(x) = 1 − (2x − 1)^(2p) of the normalised state x = w/D.

    Joglekar & Wolf, "The elusive memristor: properties of basic electrical circuits",
    Eur. J. Phys. 30, 661–675 (2009), their window F(x). The paper's p is a positive integer.
    F(0) = F(1) = 0: a state that reaches a boundary never leaves it (the paper's known flaw,
    kept here as published).
    """
    return 1.0 - np.abs(2.0 * x - 1.0) ** (2.0 * p)


def joglekar_spice(x: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """ngspice expressions of :func:`joglekar` for state expressions ``x``."""
    return fill("(1-pow(2*{x}-1,2*{p}))", x=x, p=p)


def biolek(x: np.ndarray, current: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """Biolek window f(x, i) = 1 − (x − stp(−i))^(2p), with stp(z) = 1 for z ≥ 0 and 0 otherwise.

    Biolek, Biolek & Biolková, "SPICE model of memristor with nonlinear dopant drift",
    Radioengineering 18(2), 210–214 (2009), their window with the step function stp. A positive
    current drives x towards 1 (R_ON) and sees 1 − x^(2p), zero at x = 1; a negative one sees
    1 − (1 − x)^(2p), zero at x = 0. So a state can always leave the boundary it reached.
    """
    return 1.0 - np.abs(x - np.where(current <= 0.0, 1.0, 0.0)) ** (2.0 * p)


def biolek_spice(x: np.ndarray, current: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """ngspice expressions of :func:`biolek`."""
    return fill("(1-pow({x}-(({i})<=0?1:0),2*{p}))", x=x, i=current, p=p)


def prodromakis(x: np.ndarray, p: np.ndarray | float, j: np.ndarray | float) -> np.ndarray:
    """Prodromakis window f(x) = j·(1 − ((x − 0.5)² + 0.75)^p).

    Prodromakis, Peh, Papavassiliou & Toumazou, "A versatile memristor model with nonlinear
    dopant kinetics", IEEE Trans. Electron Devices 58(9), 3099–3105 (2011), their window f(x).
    Zero at x = 0 and x = 1, largest, j·(1 − 0.75^p), at x = 0.5; p > 0 is real and j scales it.
    """
    return j * (1.0 - ((x - 0.5) ** 2 + 0.75) ** p)


def prodromakis_spice(x: np.ndarray, p: np.ndarray | float, j: np.ndarray | float) -> np.ndarray:
    """ngspice expressions of :func:`prodromakis`."""
    return fill("({j}*(1-pow(({x}-0.5)*({x}-0.5)+0.75,{p})))", x=x, p=p, j=j)


def smoothstep(u: np.ndarray) -> np.ndarray:
    """The C¹ step S(u) = 3u² − 2u³ on [0, 1], 0 below and 1 above."""
    c = np.clip(u, 0.0, 1.0)
    return c * c * (3.0 - 2.0 * c)


def smoothstep_spice(u: np.ndarray) -> np.ndarray:
    """ngspice expressions of :func:`smoothstep` for expressions ``u``."""
    return fill("(min(max({u},0),1)*min(max({u},0),1)*(3-2*min(max({u},0),1)))", u=u)


def bounded_rate(rate: np.ndarray, x: np.ndarray, width: np.ndarray | float) -> np.ndarray:
    """A state derivative that cannot push x out of [0, 1]: the smooth form of a hard clamp.

    A rate pushing towards 1 is multiplied by S((1 − x)/width), one pushing towards 0 by
    S(x/width), with the C¹ smoothstep S(u) = 3u² − 2u³ on [0, 1] (0 below, 1 above). Inside
    [width, 1 − width] the rate is the paper's; it falls smoothly to exactly 0 at the boundary
    it heads for, so the state stops there, and leaves as soon as the drive reverses. This
    replaces the papers' hard clipping of the state, whose jump stalls SPICE's Newton
    iterations, by a change confined to a band of ``width`` at each end.

    Args:
        rate: dx/dt without bounds (1/s).
        x: Normalised state.
        width: Width of the transition band, as a fraction of the state range.
    """
    return rate * np.where(rate > 0.0, smoothstep((1.0 - x) / width), smoothstep(x / width))


def bounded_rate_spice(rate: np.ndarray, x: np.ndarray, width: np.ndarray | float) -> np.ndarray:
    """ngspice expressions of :func:`bounded_rate` for expressions of the rate and the state."""
    up = smoothstep_spice(fill("((1-{x})/{width})", x=x, width=width))
    down = smoothstep_spice(fill("({x}/{width})", x=x, width=width))
    return fill("(({rate})*(({rate})>0?{up}:{down}))", rate=rate, up=up, down=down)
