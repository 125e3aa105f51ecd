"""The fast backend: a direct solve for linear devices, Newton's method for nonlinear ones."""

from __future__ import annotations

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.solution import Solution
from memxbar.solver.direct import solve_linear
from memxbar.solver.newton import solve_newton


def solve_fast(crossbar: Crossbar, voltages: np.ndarray) -> Solution:
    """Solve a crossbar exactly in NumPy/SciPy, whatever its device model.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).

    Returns:
        The :class:`Solution`, with ``backend="fast"``.
    """
    solver = solve_linear if crossbar.device.linear else solve_newton
    return solver(crossbar, voltages)
