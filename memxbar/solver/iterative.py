"""Conjugate gradients preconditioned by word-line and bit-line tridiagonal solves.

Unknown nodes are numbered word-line chains first, then bit-line chains, each chain in
order along its line (:mod:`memxbar.topology`). The nodal matrix then has the blocks

    A = [[A_ww, C], [Cᵀ, A_bb]],

where A_ww and A_bb are tridiagonal (the lines, plus each device's conductance on the
diagonal) and C holds the devices coupling them. The preconditioner is one symmetric
block Gauss–Seidel sweep over the two blocks, i.e. alternating line solves:

    y_b = A_bb⁻¹ (r_b − Cᵀ A_ww⁻¹ r_w),   z_w = A_ww⁻¹ (r_w − C y_b),   z = [z_w, y_b],

which is symmetric positive definite, so conjugate gradients (Hestenes & Stiefel, J. Res.
Natl. Bur. Stand. 49(6), 409–436, 1952) apply. The tridiagonal blocks are factorised once
with LAPACK's ``dpttrf``. Memory is a few vectors of the size of the circuit, against the
O(n log n) of a sparse factor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from memxbar.errors import ConvergenceError

DEFAULT_TOL = 1e-10
"""Default relative error (estimated) of node voltages and output currents at which
conjugate gradients stop."""

DEFAULT_MAXITER = 2000
"""Default limit on conjugate-gradient iterations per input vector."""


class _Tridiagonal:
    """LDLᵀ factor of a symmetric positive definite tridiagonal matrix (LAPACK dpttrf)."""

    def __init__(self, matrix: sp.csc_matrix) -> None:
        size = matrix.shape[0]
        off = matrix.diagonal(1) if size > 1 else np.zeros(0)
        if matrix.nnz != size + 2 * np.count_nonzero(off):
            raise RuntimeError("line block of the nodal matrix is not tridiagonal; node numbering changed?")
        # LAPACK's wrapper wants a non-empty off-diagonal even for a 1×1 matrix.
        self.d, self.e, info = lapack.dpttrf(matrix.diagonal(), off if size > 1 else np.zeros(1))
        if info:
            raise RuntimeError(f"line block of the nodal matrix is not positive definite (dpttrf info {info})")

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        if self.d.size == 0:
            return rhs
        x, _ = lapack.dpttrs(self.d, self.e, rhs)
        return x


def line_preconditioner(a: sp.csc_matrix, n_word: int) -> Callable[[np.ndarray], np.ndarray]:
    """Symmetric block Gauss–Seidel over word lines and bit lines, applied to (n, B) residuals.

    Args:
        a: (n, n) nodal matrix, word-line nodes first.
        n_word: Number of unknown word-line (and driver) nodes.
    """
    a = a.tocsr()
    word = _Tridiagonal(a[:n_word, :n_word].tocsc())
    bit = _Tridiagonal(a[n_word:, n_word:].tocsc())
    coupling = a[:n_word, n_word:].tocsr()
    coupling_t = coupling.T.tocsr()

    def apply(r: np.ndarray) -> np.ndarray:
        r_w, r_b = r[:n_word], r[n_word:]
        y_b = bit.solve(r_b - coupling_t @ word.solve(r_w))
        return np.concatenate([word.solve(r_w - coupling @ y_b), y_b])

    return apply


def solve_cg(
    a: sp.csc_matrix,
    rhs: np.ndarray,
    n_word: int,
    watch: sp.csr_matrix,
    watch_offset: np.ndarray,
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
) -> np.ndarray:
    """Solve ``a x = rhs`` for all columns at once with preconditioned conjugate gradients.

    The preconditioned residual z = M⁻¹ r approximates the error A⁻¹ r, since M ≈ A. A
    column stops when both its node voltages and the currents ``watch · x + watch_offset``
    change by less
    than ``tol`` relative to their largest magnitude by the step z, i.e. when the
    estimated relative error of the node voltages and of the watched currents is below tol.

    Args:
        a: (n, n) symmetric positive definite nodal matrix, word-line nodes first.
        rhs: (n, B) right-hand sides.
        n_word: Number of unknown word-line (and driver) nodes.
        watch: (K, n) map of the currents whose accuracy matters (output and input currents).
        watch_offset: (K, B) part of those currents that does not depend on x.
        tol: Relative error to reach, per column.
        maxiter: Iteration limit.

    Returns:
        (n, B) solution.

    Raises:
        ConvergenceError: If a column does not reach ``tol`` within ``maxiter`` iterations.
    """
    precondition = line_preconditioner(a, n_word)
    a = a.tocsr()
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = precondition(r)
    p = z.copy()
    rz = np.einsum("ij,ij->j", r, z)
    active = np.any(rhs != 0, axis=0)
    for _ in range(maxiter):
        if not active.any():
            return x
        cols = np.flatnonzero(active)
        q = a @ p[:, cols]
        alpha = rz[cols] / np.einsum("ij,ij->j", p[:, cols], q)
        x[:, cols] += alpha * p[:, cols]
        r[:, cols] -= alpha * q
        z[:, cols] = precondition(r[:, cols])
        rz_new = np.einsum("ij,ij->j", r[:, cols], z[:, cols])
        p[:, cols] = z[:, cols] + (rz_new / rz[cols]) * p[:, cols]
        rz[cols] = rz_new
        node_err = np.abs(z[:, cols]).max(axis=0) / np.abs(x[:, cols]).max(axis=0)
        current = np.abs(watch @ x[:, cols] + watch_offset[:, cols]).max(axis=0)
        current_err = np.abs(watch @ z[:, cols]).max(axis=0) / np.where(current > 0, current, 1.0)
        active[cols] = (node_err > tol) | (current_err > tol)
    if active.any():
        raise ConvergenceError(
            f"conjugate gradients did not reach tol={tol:g} within maxiter={maxiter} iterations "
            f"({np.count_nonzero(active)} input vector(s) left); raise maxiter or tol, or use method='direct'"
        )
    return x
