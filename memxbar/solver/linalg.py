"""Sparse Cholesky-type factorisation of the symmetric positive definite nodal matrix.

Two backends, chosen automatically:

- ``"pardiso"``: Intel MKL PARDISO through ``pypardiso`` (optional, ``pip install
  memxbar[speed]``; x86-64), a multithreaded supernodal LDLᵀ/Cholesky solver
  (Schenk & Gärtner, Future Gener. Comput. Syst. 20(3), 475–487, 2004).
- ``"superlu"``: SciPy's SuperLU (always available), with diagonal pivots so that the
  fill-reducing order given is kept.

Both take a fill-reducing elimination order, normally the crossbar's nested dissection
(:func:`memxbar.solver.ordering.nested_dissection`); without one, SuperLU orders by
minimum degree and PARDISO by METIS.
"""

from __future__ import annotations

import importlib.util
import os
import weakref
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from memxbar.errors import InputError

BACKENDS = ("auto", "pardiso", "superlu")
"""Names accepted by :func:`factorize`."""


def pardiso_available() -> bool:
    """Whether the optional PARDISO backend (``pypardiso``) is installed."""
    return importlib.util.find_spec("pypardiso") is not None


def _pardiso(a: sp.csc_matrix, ordering: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    import pypardiso

    solver = pypardiso.PyPardisoSolver(mtype=2)  # real symmetric positive definite
    # pypardiso searches the Python prefix for MKL on every new solver (~0.2 s) unless told.
    os.environ.setdefault("PYPARDISO_MKL_RT", solver.libmkl._name)
    if ordering is not None:
        solver.set_iparm(1, 1)  # the iparm values below are ours, not MKL's defaults
        solver.set_iparm(2, 0)
        solver.set_iparm(5, 1)  # use the fill-reducing order in perm
        solver.set_iparm(25, 2)  # parallel forward and backward substitution
        solver.perm = np.asarray(ordering, dtype=np.int32) + 1
    upper = sp.triu(a, format="csr")
    upper.sort_indices()
    solver.factorize(upper)
    weakref.finalize(solver, solver.free_memory, True)

    def solve(rhs: np.ndarray) -> np.ndarray:
        return solver.solve(upper, np.asarray(rhs, dtype=np.float64))

    return solve


def _superlu(a: sp.csc_matrix, ordering: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    options = {"SymmetricMode": True}
    if ordering is None:
        return spla.splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options=options).solve
    n = a.shape[0]
    rank = np.empty(n, dtype=np.int64)
    rank[ordering] = np.arange(n)
    coo = a.tocoo()
    permuted = sp.csc_matrix((coo.data, (rank[coo.row], rank[coo.col])), shape=a.shape)
    lu = spla.splu(permuted, permc_spec="NATURAL", diag_pivot_thresh=0.0, options=options)

    def solve(rhs: np.ndarray) -> np.ndarray:
        return lu.solve(np.asarray(rhs, dtype=np.float64)[ordering])[rank]

    return solve


def factorize(
    a: sp.csc_matrix, ordering: np.ndarray | None = None, backend: str = "auto"
) -> Callable[[np.ndarray], np.ndarray]:
    """Factorise the nodal matrix once and return a solver for any right-hand sides.

    Args:
        a: (n, n) symmetric positive definite matrix in CSC format.
        ordering: (n,) fill-reducing elimination order (``ordering[k]`` is eliminated
            k-th), e.g. ``NodalPattern.ordering``; None lets the backend choose.
        backend: ``"auto"`` (PARDISO if installed, else SuperLU), ``"pardiso"`` or ``"superlu"``.

    Returns:
        A function mapping an (n,) or (n, B) right-hand side to the solution of ``a x = rhs``.

    Raises:
        InputError: If ``backend`` is unknown, or ``"pardiso"`` is asked for but not installed.
    """
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if backend == "pardiso" and not pardiso_available():
        raise InputError("backend 'pardiso' needs pypardiso: pip install 'memxbar[speed]' (x86-64 only)")
    if backend == "pardiso" or (backend == "auto" and pardiso_available()):
        return _pardiso(a, ordering)
    return _superlu(a, ordering)
