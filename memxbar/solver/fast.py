"""The fast backend: a direct solve for linear devices, Newton's method for nonlinear ones."""

from __future__ import annotations

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.solution import Solution
from memxbar.solver.direct import solve_linear
from memxbar.solver.iterative import DEFAULT_TOL
from memxbar.solver.newton import solve_newton


def solve_fast(
    crossbar: Crossbar,
    voltages: np.ndarray,
    *,
    outputs_only: bool = False,
    method: str = "auto",
    tol: float = DEFAULT_TOL,
) -> Solution:
    """Solve a crossbar exactly in NumPy/SciPy, whatever its device model.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).
        outputs_only: Linear devices: keep only port currents (see :func:`solve_linear`).
            Newton's method needs every node voltage, so nonlinear devices always keep them.
        method: Linear devices: ``"auto"``, ``"direct"``, ``"weights"`` or ``"iterative"``.
            Nonlinear devices: ``"auto"`` or ``"direct"`` (Newton's method, direct solves).
        tol: Linear devices, iterative method: relative error at which it stops.

    Returns:
        The :class:`Solution`, with ``backend="fast"``.
    """
    if crossbar.device.linear:
        return solve_linear(crossbar, voltages, outputs_only=outputs_only, method=method, tol=tol)
    if method not in ("auto", "direct") or tol != DEFAULT_TOL:
        raise InputError(
            f"method={method!r} and tol apply to linear (ohmic) devices; {crossbar.device.name} devices are "
            "solved by Newton's method: leave method and tol at their defaults"
        )
    return solve_newton(crossbar, voltages)
