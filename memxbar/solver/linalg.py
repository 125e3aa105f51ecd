"""Sparse Cholesky-type factorisation of the symmetric positive definite nodal matrix.

Two backends:

- ``"pardiso"``: Intel MKL PARDISO through ``pypardiso`` (optional, ``pip install
  memxbar[speed]``; x86-64), a multithreaded supernodal Cholesky solver (Schenk &
  Gärtner, Future Gener. Comput. Syst. 20(3), 475–487, 2004), for matrices declared
  positive definite.
- ``"superlu"``: SciPy's SuperLU (always available). For a positive definite matrix it
  pivots on the diagonal, keeping the fill-reducing order given; otherwise (e.g. a Newton
  Jacobian with negative slopes) it pivots for stability as usual.

Both take a fill-reducing elimination order, normally the crossbar's nested dissection
(:attr:`memxbar.solver.nodal.NodalPattern.ordering`); without one, SuperLU orders by
minimum degree and PARDISO by METIS.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from memxbar.errors import InputError

BACKENDS = ("auto", "pardiso", "superlu")
"""Names accepted by :func:`factorize`."""

SUPERLU_CHUNK = 8
"""Right-hand sides SuperLU solves at once."""

PARDISO_MIN_UNKNOWNS = 100_000
"""Smallest matrix (unknowns) for which ``"auto"`` loads PARDISO. Loading MKL costs ~0.5 s once per
process (measured: import 0.19 s, first solver 0.31 s), more than SuperLU takes below this size
(128×128 crossbar, 32 k unknowns: SuperLU 0.09 s, PARDISO 0.04 s once loaded); once loaded,
PARDISO is used at every size."""


@functools.cache
def pardiso_available() -> bool:
    """Whether the optional PARDISO backend (``pypardiso``) is installed (looked up once per
    process: the look-up costs ~1 ms, as much as a small solve)."""
    return importlib.util.find_spec("pypardiso") is not None


def load_pardiso() -> bool:
    """Load PARDISO (MKL) now, if installed, so that later factorisations do not pay for it.

    Returns:
        Whether PARDISO is available.
    """
    if not pardiso_available():
        return False
    with _pardiso(sp.identity(2, format="csc"), None) as solve:
        solve(np.ones(2))
    return True


class Factorization:
    """A factorised matrix: call it with right-hand sides to solve; :meth:`free` releases it.

    The factor's memory (MKL's for PARDISO, SuperLU's L and U) is released by :meth:`free`, on
    leaving a ``with`` block, or when the object is garbage-collected, whichever comes first. Its
    finaliser refers to the backend's solver, never to this object, so that an unused
    factorisation can be collected at all.
    """

    def __init__(self, solve: Callable[[np.ndarray], np.ndarray],
                 release: Callable[..., None] | None = None, *handle: Any) -> None:
        """Wrap ``solve``; ``release(*handle)`` frees what it uses outside Python's heap (if anything)."""
        self._solve: Callable[[np.ndarray], np.ndarray] | None = solve
        self._finalizer = weakref.finalize(self, release, *handle) if release is not None else None
        if self._finalizer is not None:
            self._finalizer.atexit = False  # the process's memory goes at exit anyway

    def __call__(self, rhs: np.ndarray) -> np.ndarray:
        """The solution x of ``a x = rhs`` for an (n,) or (n, B) right-hand side.

        Raises:
            RuntimeError: If the factorisation has been freed.
        """
        if self._solve is None:
            raise RuntimeError("this factorisation has been freed; factorise the matrix again")
        return self._solve(rhs)

    @property
    def freed(self) -> bool:
        """Whether :meth:`free` has been called."""
        return self._solve is None

    def free(self) -> None:
        """Release the factor's memory now; calling it again does nothing."""
        self._solve = None
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> Factorization:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()


def _pardiso_loaded() -> bool:
    return "pypardiso" in sys.modules


def _pardiso_solver(mtype: int) -> Any:
    """A new ``pypardiso`` solver for matrices of PARDISO type ``mtype``."""
    import pypardiso

    solver = pypardiso.PyPardisoSolver(mtype=mtype)
    # pypardiso searches the Python prefix for MKL on every new solver (~0.2 s) unless told.
    os.environ.setdefault("PYPARDISO_MKL_RT", solver.libmkl._name)
    return solver


def _free_pardiso(solver: Any) -> None:
    """Release the memory MKL holds for ``solver``'s factorisation (its finaliser: a plain function
    of the solver, so that the finaliser does not keep its own referent alive)."""
    solver.free_memory(everything=True)


def _pardiso(a: sp.csc_matrix, ordering: np.ndarray | None) -> Factorization:
    solver = _pardiso_solver(mtype=2)  # real symmetric positive definite
    if ordering is not None:
        solver.set_iparm(1, 1)  # the iparm values below are ours, not MKL's defaults
        solver.set_iparm(2, 0)
        solver.set_iparm(5, 1)  # use the fill-reducing order in perm
        solver.set_iparm(25, 2)  # parallel forward and backward substitution
        solver.perm = np.asarray(ordering, dtype=np.int32) + 1
    upper = sp.triu(a, format="csr")
    upper.sort_indices()
    solver.factorize(upper)

    def solve(rhs: np.ndarray) -> np.ndarray:
        return solver.solve(upper, np.asarray(rhs, dtype=np.float64))

    return Factorization(solve, _free_pardiso, solver)


def _superlu(a: sp.csc_matrix, ordering: np.ndarray | None, positive_definite: bool) -> Factorization:
    options = {"SymmetricMode": True}
    pivoting = {"diag_pivot_thresh": 0.0} if positive_definite else {}
    if ordering is None:
        return Factorization(spla.splu(a, permc_spec="MMD_AT_PLUS_A", options=options, **pivoting).solve)
    n = a.shape[0]
    rank = np.empty(n, dtype=np.int64)
    rank[ordering] = np.arange(n)
    coo = a.tocoo()
    permuted = sp.csc_matrix((coo.data, (rank[coo.row], rank[coo.col])), shape=a.shape)
    lu = spla.splu(permuted, permc_spec="NATURAL", options=options, **pivoting)

    def solve(rhs: np.ndarray) -> np.ndarray:
        rhs = np.asarray(rhs, dtype=np.float64)[ordering]
        if rhs.ndim == 1:
            return lu.solve(rhs)[rank]
        # SuperLU's solve slows down badly with many right-hand sides at once (measured at
        # 512×512: 0.25 s per vector alone or in tens, 0.8 s per vector in a hundred).
        parts = [lu.solve(rhs[:, k:k + SUPERLU_CHUNK]) for k in range(0, rhs.shape[1], SUPERLU_CHUNK)]
        return np.concatenate(parts, axis=1)[rank]

    return Factorization(solve)


def pardiso_worthwhile(n: int) -> bool:
    """Whether ``"auto"`` uses PARDISO for an n-unknown matrix: installed, and either already
    loaded or the matrix has at least :data:`PARDISO_MIN_UNKNOWNS` unknowns."""
    return (n >= PARDISO_MIN_UNKNOWNS or _pardiso_loaded()) and pardiso_available()


def reduced_couplings(a: sp.csc_matrix, c: sp.csc_matrix) -> np.ndarray | None:
    """Cᵀ·a⁻¹·C for a symmetric positive definite ``a`` by one partial factorisation (PARDISO).

    The (n + k) × (n + k) matrix [[a, C], [Cᵀ, I]] is factorised with its last k unknowns
    kept: what remains of them is the Schur complement I − Cᵀ·a⁻¹·C (Kron reduction),
    returned densely by PARDISO (``iparm[35] = 1``). This costs a few factorisations (measured
    at 256×256: 0.46 s, against 0.13 s for one), where forming a⁻¹·C by solves costs k solves.

    Args:
        a: (n, n) symmetric positive definite matrix, CSC.
        c: (n, k) sparse coupling of the kept unknowns to the eliminated ones.

    Returns:
        The dense (k, k) matrix Cᵀ·a⁻¹·C, or None if PARDISO is not installed or had to
        perturb a pivot (then the caller should solve instead).
    """
    if not pardiso_available():
        return None
    n, k = c.shape
    solver = _pardiso_solver(mtype=-2)  # real symmetric indefinite: K is not positive definite
    # pypardiso has no public call for a Schur complement; its low-level call (pypardiso 0.4)
    # is used, and a pypardiso without it means solves instead.
    call = getattr(solver, "_call_pardiso", None)
    if call is None:
        return None
    kept = sp.identity(k, format="csc")
    upper = sp.triu(sp.bmat([[a, c], [None, kept]], format="csr"), format="csr")
    upper.sort_indices()
    for index, value in ((1, 1), (2, 2), (10, 13), (21, 1), (36, 1)):
        solver.set_iparm(index, value)  # ours, METIS order, pivot perturbation 1e-13, Bunch–Kaufman, Schur
    # PARDISO overwrites perm with its own order, so the mask is made afresh for every call.
    solver.perm = np.concatenate([np.zeros(n, dtype=np.int32), np.ones(k, dtype=np.int32)])
    # The dense Schur complement comes back in the solution array, which must hold k² entries.
    workspace = np.zeros((n + k, -(-k * k // (n + k))), order="F")
    solver.set_phase(12)
    try:
        schur = np.asfortranarray(call(upper, workspace)).ravel(order="F")[: k * k]
        perturbed = int(solver.iparm[13])
    finally:
        solver.free_memory(everything=True)
    if perturbed:
        return None
    return np.eye(k) - schur.reshape(k, k)


def factorize(
    a: sp.csc_matrix,
    ordering: np.ndarray | None = None,
    backend: str = "auto",
    *,
    positive_definite: bool = False,
) -> Factorization:
    """Factorise the nodal matrix once and return a solver for any right-hand sides.

    Args:
        a: (n, n) symmetric matrix in CSC format (a nodal matrix or a Newton Jacobian).
        ordering: (n,) fill-reducing elimination order (``ordering[k]`` is eliminated
            k-th), e.g. ``NodalPattern.ordering``; None lets the backend choose.
        backend: ``"auto"`` (PARDISO for a positive definite matrix if installed and either
            already loaded or the matrix has at least :data:`PARDISO_MIN_UNKNOWNS` unknowns,
            else SuperLU), ``"pardiso"`` or ``"superlu"``.
        positive_definite: The caller guarantees ``a`` is symmetric positive definite (true
            of the nodal matrix of passive devices), which allows Cholesky-type factorisation
            without pivoting.

    Returns:
        A :class:`Factorization`: called with an (n,) or (n, B) right-hand side, it returns the
        solution of ``a x = rhs``. Free it (``free()``, or a ``with`` block) once no more
        solves are needed: a PARDISO factor of a 128×128 crossbar holds ~13 MiB outside
        Python's heap until then.

    Raises:
        InputError: If ``backend`` is unknown, or ``"pardiso"`` is asked for but not installed.
    """
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if backend == "pardiso" and not pardiso_available():
        raise InputError("backend 'pardiso' needs pypardiso: pip install 'memxbar[speed]' (x86-64 only)")
    if backend == "pardiso" and not positive_definite:
        raise InputError(
            "backend 'pardiso' is used here for positive definite matrices only; pass positive_definite=True"
        )
    if positive_definite and (backend == "pardiso" or (backend == "auto" and pardiso_worthwhile(a.shape[0]))):
        return _pardiso(a, ordering)
    return _superlu(a, ordering, positive_definite)
