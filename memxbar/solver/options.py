"""Options of the fast backend, validated once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.errors import InputError
from memxbar.solver.iterative import DEFAULT_MAXITER, DEFAULT_TOL

METHODS = ("auto", "direct", "weights", "iterative")
"""Solution methods of the fast backend for linear circuits."""

MIN_TOL = 1e-13
"""Smallest ``tol``: a relative error a few hundred times the unit roundoff, about what a KCL check in double
precision can still tell from rounding on a well-conditioned array (a new-user test asked 1e-15, and the
solution, reported as converged, was 2e-14 off)."""

MAX_ITER = 10**9
"""Largest ``maxiter``."""


@dataclass(frozen=True)
class FastOptions:
    """How the fast backend solves; every field is checked when the options are made."""

    method: str = "auto"
    """``"auto"`` (by size and by what is asked), ``"direct"`` (sparse factorisation), ``"weights"``
    (effective weights, then one product per vector; needs ``outputs_only``) or ``"iterative"``
    (preconditioned conjugate gradients). Nonlinear circuits: ``"auto"`` or ``"direct"`` (Newton)."""
    outputs_only: bool = False
    """Keep only terminal currents, not node voltages (linear circuits; faster for large batches)."""
    tol: float = DEFAULT_TOL
    """Iterative method: relative error (estimated) of node voltages and currents at which it stops; at least
    :data:`MIN_TOL`."""
    maxiter: int = DEFAULT_MAXITER
    """Iterative method: iteration limit per input vector."""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"method must be one of {', '.join(map(repr, METHODS))}, got {self.method!r}")
        if not isinstance(self.outputs_only, (bool, np.bool_)):
            raise InputError(f"outputs_only must be True or False, got {self.outputs_only!r}")
        if self.method == "weights" and not self.outputs_only:
            raise InputError(
                "method='weights' gives port currents only; pass outputs_only=True or use method='direct'"
            )
        if not (isinstance(self.tol, (int, float, np.integer, np.floating)) and not isinstance(self.tol, bool)
                and MIN_TOL <= self.tol < 1):
            raise InputError(
                f"tol must be a relative error from {MIN_TOL:g} (what double precision can still verify) up to 1, "
                f"e.g. 1e-10, got {self.tol!r}"
            )
        if not (isinstance(self.maxiter, (int, np.integer)) and not isinstance(self.maxiter, bool)
                and 1 <= self.maxiter <= MAX_ITER):
            raise InputError(
                f"maxiter must be a whole number of iterations from 1 to {MAX_ITER:g}, got {self.maxiter!r}"
            )
        object.__setattr__(self, "tol", float(self.tol))
        object.__setattr__(self, "maxiter", int(self.maxiter))
