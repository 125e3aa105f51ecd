"""The line solves of a crossbar: many independent tridiagonal systems, compiled by numba.

Each word line and each bit line of a crossbar, with its devices' conductances (or, in Newton's
method, their slopes) on the diagonal, is a symmetric positive definite tridiagonal system, and the
line solvers solve all of them at every iteration: the linear read (:mod:`memxbar.solver.lines`),
the batched Newton for nonlinear devices (:mod:`memxbar.solver.line_newton`, whose chains carry each
input vector's own slopes), and the line preconditioners of :mod:`memxbar.solver.iterative` and of
the robust Newton (:mod:`memxbar.solver.circuit_system`, through :class:`Chains`). They are
factorised as L·D·Lᵀ (Golub & Van Loan, *Matrix Computations*, 4th ed., §4.3.6: d₀ = a₀,
lₖ = eₖ/dₖ, dₖ₊₁ = aₖ₊₁ − lₖ·eₖ; LAPACK's ``dpttrf`` is the same algorithm) and solved by a forward
and a backward sweep.

The arrays are (K, M, N): K input vectors, M word lines, N bit lines, each word line contiguous.
A bit-line solve sweeps along axis 1 with all N bit lines in lock step, so its inner loop runs over
contiguous memory (vectorised, ~1 ns per node); a word-line solve sweeps along axis 2, one word line
after another, its inner loop bound by the latency of each step (measured 5–15 ns per node, which
is still several times faster than LAPACK's ``dpttrs`` called on the same arrays, 13–17 ns per node
with its NumPy reshapes). The kernels are compiled for C-contiguous float64 arrays when this module
is first imported (and cached on disk by numba), so a solve never waits for a compiler. Factors of
chains that differ per input vector are made by calling :func:`factor_rows` or
:func:`factor_columns` on each vector's (M, N) diagonal, and solved on the (1, M, N) slice ``x[k:k + 1]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_F2 = "float64[:, ::1]"
_F3 = "float64[:, :, ::1]"

COMPILE = {"cache": True, "nogil": True, "error_model": "numpy"}
"""How the line kernels are compiled: cached on disk, without the interpreter lock, and with IEEE
arithmetic (x/0 gives ±∞ or NaN, as in NumPy, not an exception)."""


@njit(f"int64({_F2}, {_F2}, {_F2}, {_F2})", **COMPILE)
def factor_rows(diagonal, off, inverse, lower):  # pragma: no cover - compiled
    """Factorise the M word lines of (M, N) ``diagonal`` and (M, N − 1) ``off`` (N > 1; (M, 1),
    unused, for N = 1) into the reciprocal pivots ``inverse`` (M, N) and multipliers ``lower`` (shaped
    like ``off``); returns 0, or 1 + the flat index of the first pivot that is not positive."""
    m, n = diagonal.shape
    # Four word lines at a time: each pivot waits for a division by the one before.
    for first in range(0, m, 4):
        last = min(first + 4, m)
        for i in range(first, last):
            inverse[i, 0] = 1.0 / diagonal[i, 0]
        for j in range(1, n):
            for i in range(first, last):
                l_prev = off[i, j - 1] * inverse[i, j - 1]
                lower[i, j - 1] = l_prev
                inverse[i, j] = 1.0 / (diagonal[i, j] - l_prev * off[i, j - 1])
    for i in range(m):
        for j in range(n):
            if not inverse[i, j] > 0.0 or inverse[i, j] == np.inf:
                return i * n + j + 1
    return 0


@njit(f"int64({_F2}, {_F2}, {_F2}, {_F2})", **COMPILE)
def factor_columns(diagonal, off, inverse, lower):  # pragma: no cover - compiled
    """Factorise the N bit lines of (M, N) ``diagonal`` and (M − 1, N) ``off`` ((1, N), unused, for
    M = 1), as :func:`factor_rows` does the word lines."""
    m, n = diagonal.shape
    for j in range(n):
        inverse[0, j] = 1.0 / diagonal[0, j]
    for i in range(1, m):
        for j in range(n):
            l_prev = off[i - 1, j] * inverse[i - 1, j]
            lower[i - 1, j] = l_prev
            inverse[i, j] = 1.0 / (diagonal[i, j] - l_prev * off[i - 1, j])
    for i in range(m):
        for j in range(n):
            if not inverse[i, j] > 0.0 or inverse[i, j] == np.inf:
                return i * n + j + 1
    return 0


@njit(f"void({_F2}, {_F2}, {_F3})", fastmath={"contract"}, **COMPILE)
def solve_rows(inverse, lower, x):  # pragma: no cover - compiled
    """Solve in place, for each k and i, the word-line system (row i of ``inverse``, ``lower``) for x[k, i, :]."""
    k_count, m, n = x.shape
    # Four word lines at a time, each running value in a register: one line alone waits for every
    # multiply-add of its recurrence (through memory, for every store as well).
    quads = m - m % 4
    for k in range(k_count):
        for i in range(0, quads, 4):
            a, b, c, d = x[k, i, 0], x[k, i + 1, 0], x[k, i + 2, 0], x[k, i + 3, 0]
            for j in range(1, n):
                a = x[k, i, j] - lower[i, j - 1] * a
                b = x[k, i + 1, j] - lower[i + 1, j - 1] * b
                c = x[k, i + 2, j] - lower[i + 2, j - 1] * c
                d = x[k, i + 3, j] - lower[i + 3, j - 1] * d
                x[k, i, j], x[k, i + 1, j], x[k, i + 2, j], x[k, i + 3, j] = a, b, c, d
            a *= inverse[i, n - 1]
            b *= inverse[i + 1, n - 1]
            c *= inverse[i + 2, n - 1]
            d *= inverse[i + 3, n - 1]
            x[k, i, n - 1], x[k, i + 1, n - 1], x[k, i + 2, n - 1], x[k, i + 3, n - 1] = a, b, c, d
            for j in range(n - 2, -1, -1):
                a = x[k, i, j] * inverse[i, j] - lower[i, j] * a
                b = x[k, i + 1, j] * inverse[i + 1, j] - lower[i + 1, j] * b
                c = x[k, i + 2, j] * inverse[i + 2, j] - lower[i + 2, j] * c
                d = x[k, i + 3, j] * inverse[i + 3, j] - lower[i + 3, j] * d
                x[k, i, j], x[k, i + 1, j], x[k, i + 2, j], x[k, i + 3, j] = a, b, c, d
        for i in range(quads, m):
            a = x[k, i, 0]
            for j in range(1, n):
                a = x[k, i, j] - lower[i, j - 1] * a
                x[k, i, j] = a
            a *= inverse[i, n - 1]
            x[k, i, n - 1] = a
            for j in range(n - 2, -1, -1):
                a = x[k, i, j] * inverse[i, j] - lower[i, j] * a
                x[k, i, j] = a


@njit(f"void({_F2}, {_F2}, {_F3})", **COMPILE)
def solve_columns(inverse, lower, x):  # pragma: no cover - compiled
    """Solve in place, for each k and j, the bit-line system (column j of ``inverse``, ``lower``) for x[k, :, j]."""
    k_count, m, n = x.shape
    for k in range(k_count):
        for i in range(1, m):
            for j in range(n):
                x[k, i, j] -= lower[i - 1, j] * x[k, i - 1, j]
        for j in range(n):
            x[k, m - 1, j] *= inverse[m - 1, j]
        for i in range(m - 2, -1, -1):
            for j in range(n):
                x[k, i, j] = x[k, i, j] * inverse[i, j] - lower[i, j] * x[k, i + 1, j]


class Chains:
    """L·D·Lᵀ factors of C independent tridiagonal chains of L nodes, each with its own diagonal: for
    instance the word-line (or bit-line) block of a nodal matrix, its nodes numbered line after line
    (zero off-diagonal between lines), with one input vector's device slopes on each chain's diagonal.
    Solved by :func:`solve_rows`, four chains at a time."""

    def __init__(self, diagonal: np.ndarray, off: np.ndarray) -> None:
        """Factorise.

        Args:
            diagonal: (C, L) diagonals (S).
            off: (L − 1,) off-diagonal shared by every chain, or (C, L − 1) one per chain (S).

        Raises:
            numpy.linalg.LinAlgError: If a chain is not positive definite (a pivot ≤ 0 or not finite).
        """
        diagonal = np.ascontiguousarray(diagonal, dtype=np.float64)
        c, length = diagonal.shape
        padded = np.zeros((c, max(length - 1, 1)))
        padded[:, : length - 1] = off
        self.inverse = np.empty((c, length))
        """(C, L) reciprocal pivots 1/dₖ (Ω)."""
        self.lower = np.zeros_like(padded)
        """(C, max(L − 1, 1)) multipliers lₖ of the unit lower factors (dimensionless)."""
        failed = factor_rows(diagonal, padded, self.inverse, self.lower) if length else 0
        if failed:
            chain, node = divmod(failed - 1, length)
            raise np.linalg.LinAlgError(f"line block {chain} is not positive definite (pivot {node})")

    def solve(self, rhs: np.ndarray, which: np.ndarray | int | None = None) -> np.ndarray:
        """Solve column k of the (L, K) ``rhs`` with chain ``which[k]`` (default: chain k), or every
        column with chain ``which`` if it is an integer; returns a new (L, K) array."""
        length, k = rhs.shape
        x = np.array(rhs.T, dtype=np.float64, order="C")
        if not length or not k:
            return x.T
        if isinstance(which, (int, np.integer)):  # one chain for all: each column a (1, L) line of its own
            solve_rows(self.inverse[which:which + 1], self.lower[which:which + 1], x.reshape(k, 1, length))
        else:
            inverse, lower = (self.inverse, self.lower) if which is None else (self.inverse[which], self.lower[which])
            solve_rows(inverse, lower, x[None])
        return x.T
