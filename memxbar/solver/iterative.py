"""Conjugate gradients preconditioned by word-line and bit-line tridiagonal solves.

Unknown nodes are numbered word-line chains first, then bit-line chains, each chain in
order along its line (:mod:`memxbar.circuit.compile`). The nodal matrix then has the blocks

    A = [[A_ww, C], [Cᵀ, A_bb]],

where A_ww and A_bb are tridiagonal (the lines, plus each device's conductance on the
diagonal) and C holds the devices coupling them. The preconditioner is one symmetric
block Gauss–Seidel sweep over the two blocks, i.e. alternating line solves
(:class:`memxbar.solver.tridiagonal.Chains`):

    y_b = A_bb⁻¹ (r_b − Cᵀ A_ww⁻¹ r_w),   z_w = A_ww⁻¹ (r_w − C y_b),   z = [z_w, y_b],

which is symmetric positive definite, so conjugate gradients (Hestenes & Stiefel, J. Res.
Natl. Bur. Stand. 49(6), 409–436, 1952) apply. The tridiagonal blocks are factorised once.
Memory is a few vectors of the size of the circuit, against the O(n log n) of a sparse factor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from memxbar.errors import ConvergenceError

if TYPE_CHECKING:
    from memxbar.solver.tridiagonal import Chains

DEFAULT_TOL = 1e-10
"""Default relative error (estimated) of node voltages and output currents at which
conjugate gradients stop."""

DEFAULT_MAXITER = 2000
"""Default limit on conjugate-gradient iterations per input vector."""


def _chain(matrix: sp.csr_matrix) -> Chains:
    """L·D·Lᵀ factor of a line block of the nodal matrix, its lines one tridiagonal chain."""
    from memxbar.solver.tridiagonal import Chains  # numba: imported only where it is used

    size = matrix.shape[0]
    off = matrix.diagonal(1) if size > 1 else np.zeros(0)
    if matrix.nnz != size + 2 * np.count_nonzero(off):
        raise RuntimeError("line block of the nodal matrix is not tridiagonal; node numbering changed?")
    try:
        return Chains(matrix.diagonal()[None], off)
    except np.linalg.LinAlgError:
        raise RuntimeError("line block of the nodal matrix is not positive definite") from None


def line_preconditioner(a: sp.csc_matrix, n_word: int) -> Callable[[np.ndarray], np.ndarray]:
    """Symmetric block Gauss–Seidel over word lines and bit lines, applied to (n, B) residuals.

    Args:
        a: (n, n) nodal matrix, word-line nodes first.
        n_word: Number of unknown word-line (and driver) nodes.
    """
    a = a.tocsr()
    word = _chain(a[:n_word, :n_word])
    bit = _chain(a[n_word:, n_word:])
    coupling = a[:n_word, n_word:].tocsr()
    coupling_t = coupling.T.tocsr()

    def apply(r: np.ndarray) -> np.ndarray:
        r_w, r_b = r[:n_word], r[n_word:]
        y_b = bit.solve(r_b - coupling_t @ word.solve(r_w, 0), 0)
        return np.concatenate([word.solve(r_w - coupling @ y_b, 0), y_b])

    return apply


CG_REMEDY = "raise maxiter or tol, or use the direct method (method='direct'; CLI --method direct)"
"""What to do when conjugate gradients stop short, as error messages say it."""


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
    result = np.zeros_like(rhs)
    # Work arrays hold the unconverged columns only (``cols``); converged ones are dropped.
    cols = np.flatnonzero(np.any(rhs != 0, axis=0))
    x = np.zeros((rhs.shape[0], cols.size))
    r = rhs[:, cols]
    z = precondition(r)
    p = z.copy()
    offset = watch_offset[:, cols]
    rz = np.einsum("ij,ij->j", r, z)
    # Relative sizes of the last step (node voltages, currents) and of their last two ratios.
    steps = np.full((2, cols.size), np.inf)
    ratios = np.ones((2, 2, cols.size))
    for _ in range(maxiter):
        if cols.size == 0:
            return result
        q = a @ p
        # A column solved exactly (small circuits, in a few steps) has r = z = p = 0: α and β are then 0,
        # not 0/0 (which returned NaN currents in silence: found by a new-user test).
        pq = np.einsum("ij,ij->j", p, q)
        alpha = np.divide(rz, pq, out=np.zeros_like(rz), where=pq > 0)
        step = alpha * p
        x += step
        r -= alpha * q
        z = precondition(r)
        rz_new = np.einsum("ij,ij->j", r, z)
        p = z + np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0) * p
        rz = rz_new

        current = np.abs(watch @ x + offset)
        scale = np.maximum(current, 1e-12 * current.max(axis=0))
        scale[scale == 0] = 1.0
        size = np.abs(x).max(axis=0)
        size[size == 0] = 1.0
        new = np.stack([np.abs(step).max(axis=0) / size, (np.abs(watch @ step) / scale).max(axis=0)])
        ratios = np.stack([ratios[1], np.divide(new, steps, out=np.zeros_like(new), where=steps > 0)])
        steps = new
        # Error left after a step, if the steps keep shrinking at the slowest recent rate;
        # and the preconditioned residual M⁻¹r, which approximates A⁻¹r = the error itself.
        geometric = new / (1.0 - np.clip(ratios.max(axis=0), 0.0, 0.99))
        residual = np.stack([np.abs(z).max(axis=0) / size, (np.abs(watch @ z) / scale).max(axis=0)])
        done = ~(np.maximum(geometric, residual) > tol).any(axis=0) | (rz == 0)
        if done.any():
            result[:, cols[done]] = x[:, done]
            keep = ~done
            cols, x, r, z, p, offset, rz = cols[keep], x[:, keep], r[:, keep], z[:, keep], p[:, keep], \
                offset[:, keep], rz[keep]
            steps, ratios = steps[:, keep], ratios[:, :, keep]
    if cols.size:
        raise ConvergenceError(
            f"conjugate gradients did not reach tol={tol:g} within maxiter={maxiter} iterations "
            f"for {cols.size} of {result.shape[1]} input vector(s); {CG_REMEDY}"
        )
    return result
