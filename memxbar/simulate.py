"""One entry point for every backend: ``simulate(crossbar, voltages, backend=...)``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.solution import Solution
from memxbar.solver.fast import solve_fast
from memxbar.solver.iterative import DEFAULT_TOL
from memxbar.spice.backend import solve_spice

BACKENDS: dict[str, Callable[[Crossbar, np.ndarray], Solution]] = {
    "fast": solve_fast,
    "spice": solve_spice,
}
"""Backend name → solver taking (crossbar, voltages) and returning a :class:`Solution`."""


def simulate(
    crossbar: Crossbar,
    voltages: np.ndarray,
    backend: str = "fast",
    *,
    outputs_only: bool = False,
    method: str = "auto",
    tol: float = DEFAULT_TOL,
) -> Solution:
    """Solve a crossbar for one input vector or a batch.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).
        backend: ``"fast"`` (exact sparse nodal analysis in NumPy/SciPy, with Newton's method
            for nonlinear devices) or ``"spice"``
            (ngspice through its shared library).
        outputs_only: Fast backend: keep only the output and input currents, not the node
            voltages (their fields are then None); much faster for large batches.
        method: Fast backend: ``"auto"`` (by size and by what was asked), ``"direct"``
            (sparse factorisation), ``"weights"`` (effective weights T, then T·V; needs
            ``outputs_only``) or ``"iterative"`` (preconditioned conjugate gradients).
        tol: Fast backend, iterative method: relative error (estimated) of node voltages and
            output currents at which it stops.

    Returns:
        The :class:`Solution`; its shapes follow ``voltages``.

    Raises:
        InputError: If an argument is invalid (the message names it), or the solve would need more
            memory than is available (:func:`memxbar.memory.check_memory`: the estimate and what to do).
        ConvergenceError: If the iterative method does not reach ``tol``.
    """
    if not isinstance(crossbar, Crossbar):
        raise InputError(f"crossbar must be a memxbar.Crossbar, got {type(crossbar).__name__}")
    try:
        solver = BACKENDS[backend]
    except (KeyError, TypeError):
        raise InputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}") from None
    from memxbar.memory import check_memory

    batch = int(np.shape(voltages)[1]) if np.ndim(voltages) == 2 else 1
    check_memory(crossbar.shape, crossbar.device.linear, batch, backend, bool(outputs_only), method)
    if backend != "fast":
        for name, value, default in (("outputs_only", outputs_only, False), ("method", method, "auto"),
                                     ("tol", tol, DEFAULT_TOL)):
            if value != default:
                raise InputError(f"{name} applies to the fast backend only; drop it for backend={backend!r}")
        return solver(crossbar, voltages)
    return solver(crossbar, voltages, outputs_only=outputs_only, method=method, tol=tol)
