"""Sparse factorisation of the symmetric positive definite nodal matrix."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def factorize(a: sp.csc_matrix) -> Callable[[np.ndarray], np.ndarray]:
    """Factorise the nodal matrix once and return a solver for any right-hand sides.

    Args:
        a: (n, n) symmetric positive definite matrix in CSC format.

    Returns:
        A function mapping an (n,) or (n, B) right-hand side to the solution of ``a x = rhs``.
    """
    lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
    return lu.solve
