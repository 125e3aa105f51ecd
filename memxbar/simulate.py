"""One entry point for every backend: ``simulate(crossbar, voltages, backend=...)``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.solution import Solution
from memxbar.solver.fast import solve_fast
from memxbar.spice.backend import solve_spice

BACKENDS: dict[str, Callable[[Crossbar, np.ndarray], Solution]] = {
    "fast": solve_fast,
    "spice": solve_spice,
}
"""Backend name → solver taking (crossbar, voltages) and returning a :class:`Solution`."""


def simulate(crossbar: Crossbar, voltages: np.ndarray, backend: str = "fast") -> Solution:
    """Solve a crossbar for one input vector or a batch.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).
        backend: ``"fast"`` (exact sparse nodal analysis in NumPy/SciPy, with Newton's method
            for nonlinear devices) or ``"spice"``
            (ngspice through its shared library).

    Returns:
        The :class:`Solution`; its shapes follow ``voltages``.

    Raises:
        ValueError: If an argument is invalid; the message names it.
    """
    if not isinstance(crossbar, Crossbar):
        raise InputError(f"crossbar must be a memxbar.Crossbar, got {type(crossbar).__name__}")
    try:
        solver = BACKENDS[backend]
    except (KeyError, TypeError):
        raise InputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}") from None
    return solver(crossbar, voltages)
