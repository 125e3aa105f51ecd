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
        outputs_only: Keep only port currents, not node voltages (see :func:`solve_linear`
            and :func:`solve_newton`).
        method: Linear devices: ``"auto"``, ``"direct"``, ``"weights"`` or ``"iterative"``.
            Nonlinear devices: ``"auto"`` or ``"direct"`` (Newton's method).
        tol: Linear devices, iterative method: relative error at which it stops. Nonlinear
            devices: relative KCL residual Newton's method must reach.

    Returns:
        The :class:`Solution`, with ``backend="fast"``.
    """
    if crossbar.device.linear:
        return solve_linear(crossbar, voltages, outputs_only=outputs_only, method=method, tol=tol)
    if method not in ("auto", "direct"):
        raise InputError(
            f"method={method!r} applies to linear (ohmic) devices; {crossbar.device.name} devices are "
            "solved by Newton's method: leave method at 'auto'"
        )
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise InputError(f"tol must be a relative KCL residual between 0 and 1, e.g. 1e-10, got {tol!r}")
    if not isinstance(outputs_only, (bool, np.bool_)):
        raise InputError(f"outputs_only must be True or False, got {outputs_only!r}")
    return solve_newton(crossbar, voltages, outputs_only=outputs_only, tol=tol)
