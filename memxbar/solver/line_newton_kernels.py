"""The compiled passes of the batched Newton's method in line form (:mod:`memxbar.solver.line_newton`).

Two kernels: the branch-by-branch KCL residual of a block of input vectors (with the sizes its
convergence test needs), and a whole Newton step: the word-line elimination and conjugate gradients on
the bit-line Schur complement, each vector's word-line and bit-line chains factorised with its own
device slopes on the diagonal. The step runs one vector after another through its whole CG, so that a
vector's working set (a dozen (M, N) arrays) stays in cache and its iterates do not depend on the
other vectors of its block; each CG iteration is four passes over the vector's arrays, the tridiagonal
sweeps those of :mod:`memxbar.solver.tridiagonal`. Arrays are (K, M, N) C-contiguous float64: K input
vectors, M word lines, N bit lines, each word line contiguous.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from memxbar.solver.tridiagonal import COMPILE, factor_columns, factor_rows, solve_columns, solve_rows

_F1 = "float64[::1]"
_F2 = "float64[:, ::1]"
_F3 = "float64[:, :, ::1]"
FAST = {"contract", "reassoc"}
"""Fused multiply-adds, and sums in any order (so that the inner products vectorise)."""


@njit(f"void({_F2}, {_F2}, {_F2}, {_F3}, {_F3}, {_F3}, {_F3}, {_F3}, {_F2})", **COMPILE)
def kcl(gw, hb, v, w, b, current, f_w, f_b, stats):  # pragma: no cover - compiled
    """Kirchhoff's current law at every word-line and bit-line node, summed branch by branch.

    Into ``f_w`` and ``f_b`` (K, M, N) the net current leaving each word-line and bit-line node (A);
    per vector into the (3, K) ``stats`` the largest |F| (A; infinite if any F is not finite), the
    largest current through a node Σ|branch currents| (A) and the largest Σ g·(|x_a| + |x_b|) + |I| over
    a node's branches (A, the size of the terms before they cancel).

    ``gw`` (M, N): conductance of the word-line segment left of W[i, j] (driver included for j = 0);
    ``hb`` (M, N): of the bit-line segment below B[i, j] (sense input included for i = M − 1);
    ``v`` (K, M) inputs (V); ``w``, ``b`` (K, M, N) node voltages (V); ``current`` (K, M, N) device
    currents from word line to bit line (A).
    """
    k_count, m, n = w.shape
    for k in range(k_count):
        big = 0.0
        top = 0.0
        size = 0.0
        finite = True
        for i in range(m):
            for j in range(n):
                x = w[k, i, j]
                left = v[k, i] if j == 0 else w[k, i, j - 1]
                seg = gw[i, j] * (left - x)  # into W[i, j] from its left
                terms = gw[i, j] * (abs(left) + abs(x))
                c = current[k, i, j]
                f = c - seg
                through = abs(seg) + abs(c)
                terms = terms + abs(c)
                if j < n - 1:
                    right = w[k, i, j + 1]
                    seg = gw[i, j + 1] * (x - right)
                    f += seg
                    through += abs(seg)
                    terms += gw[i, j + 1] * (abs(x) + abs(right))
                f_w[k, i, j] = f
                finite = finite and abs(f) < np.inf
                big, top, size = max(big, abs(f)), max(top, through), max(size, terms)
                y = b[k, i, j]
                below = b[k, i + 1, j] if i < m - 1 else 0.0
                seg = hb[i, j] * (y - below)  # from B[i, j] down
                f = seg - c
                through = abs(seg) + abs(c)
                terms = hb[i, j] * (abs(y) + abs(below)) + abs(c)
                if i > 0:
                    above = b[k, i - 1, j]
                    seg = hb[i - 1, j] * (above - y)
                    f -= seg
                    through += abs(seg)
                    terms += hb[i - 1, j] * (abs(above) + abs(y))
                f_b[k, i, j] = f
                finite = finite and abs(f) < np.inf
                big, top, size = max(big, abs(f)), max(top, through), max(size, terms)
        stats[0, k] = big if finite else np.inf
        stats[1, k] = top
        stats[2, k] = size


@njit(f"boolean({_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F2}, float64, int64, {_F3}, {_F2}, {_F3}, {_F3}, "
      f"{_F2}, {_F2}, {_F2})", fastmath=FAST, **COMPILE)
def _cg(s, f_b, bit_d, bit_off, word_inverse, word_lower, bit_inverse, bit_lower, rtol, maxiter, dw, x, t, z, q, r,
        p):  # pragma: no cover - compiled
    """One vector's Newton step from its factorised chains: ΔW = (A_w + S)⁻¹·(−F_W) given in ``dw``
    (1, M, N) on entry, then PCG on the Schur complement for ΔB into ``x`` (M, N, zero on entry),
    with ΔW corrected alongside; ``t``, ``z``, ``q``, ``r``, ``p`` are work arrays. Returns whether the
    relative residual reached ``rtol`` (False if CG broke down)."""
    m, n = x.shape
    dwk = dw[0]
    solve_rows(word_inverse, word_lower, dw)
    rr = 0.0
    for i in range(m):
        for j in range(n):
            value = s[i, j] * dwk[i, j] - f_b[i, j]
            r[i, j] = value
            z[0, i, j] = value
            rr += value * value
    target = rtol * np.sqrt(rr)
    solve_columns(bit_inverse, bit_lower, z)
    rz = 0.0
    beta = 0.0
    for i in range(m):
        for j in range(n):
            rz += r[i, j] * z[0, i, j]
            p[i, j] = 0.0
    for _ in range(maxiter):
        for i in range(m):
            for j in range(n):
                value = z[0, i, j] + beta * p[i, j]
                p[i, j] = value
                t[0, i, j] = s[i, j] * value
        solve_rows(word_inverse, word_lower, t)
        pq = 0.0
        for i in range(m):
            for j in range(n):
                q[i, j] = bit_d[i, j] * p[i, j] - s[i, j] * t[0, i, j]
            if i > 0:
                for j in range(n):
                    q[i, j] += bit_off[i - 1, j] * p[i - 1, j]
            if i < m - 1:
                for j in range(n):
                    q[i, j] += bit_off[i, j] * p[i + 1, j]
            for j in range(n):
                pq += p[i, j] * q[i, j]
        if not pq > 0.0:  # breakdown: the Schur complement is not positive definite
            return False
        alpha = rz / pq
        rr = 0.0
        for i in range(m):
            for j in range(n):
                x[i, j] += alpha * p[i, j]
                dwk[i, j] += alpha * t[0, i, j]
                value = r[i, j] - alpha * q[i, j]
                r[i, j] = value
                z[0, i, j] = value
                rr += value * value
        if np.sqrt(rr) <= target:
            return True
        solve_columns(bit_inverse, bit_lower, z)
        rz_new = 0.0
        for i in range(m):
            for j in range(n):
                rz_new += r[i, j] * z[0, i, j]
        beta = rz_new / rz if rz > 0.0 else 0.0
        rz = rz_new
    return False


@njit(f"void({_F3}, {_F3}, {_F3}, {_F2}, {_F2}, {_F2}, {_F2}, {_F1}, int64, {_F3}, {_F3}, boolean[::1], {_F2})",
      fastmath=FAST, **COMPILE)
def step(s, f_w, f_b, word_diag, word_off, bit_diag, bit_off, rtol, maxiter, w, b, ok, sizes):  # pragma: no cover
    """One Newton step of each vector: w += ΔW and b += ΔB (K, M, N) (V) where the step was solved,
    and into ``ok`` (K,) whether it was (CG reached the relative residual ``rtol`` (K,) within
    ``maxiter`` iterations and the step is finite; not if the vector's line chains are not positive
    definite or CG broke down, and then w and b are left as they were). Per vector into the (2, K)
    ``sizes``: the largest |ΔW|, |ΔB| (V; infinite if not finite) and the largest |w| after the step (V).

    ``s`` (K, M, N) device slopes (S); ``f_w``, ``f_b`` (K, M, N) KCL residuals (A); ``word_diag`` (M, N)
    and ``word_off`` (M, max(N − 1, 1)) the word lines' segment matrix A_w, ``bit_diag`` (M, N) and
    ``bit_off`` (max(M − 1, 1), N) the bit lines' A_b (S). Solves [[A_w + S, −S], [−S, A_b + S]]·[ΔW, ΔB]
    = −[F_W, F_B] by eliminating ΔW and running CG on the Schur complement
    (A_b + S) − S·(A_w + S)⁻¹·S preconditioned by (A_b + S)⁻¹.
    """
    k_count, m, n = s.shape
    word_d = np.empty((m, n))
    bit_d = np.empty((m, n))
    word_inverse = np.empty((m, n))
    word_lower = np.zeros(word_off.shape)
    bit_inverse = np.empty((m, n))
    bit_lower = np.zeros(bit_off.shape)
    dw = np.empty((1, m, n))
    t = np.empty((1, m, n))
    z = np.empty((1, m, n))
    x = np.empty((m, n))
    q = np.empty((m, n))
    r = np.empty((m, n))
    p = np.empty((m, n))
    for k in range(k_count):
        sk, dwk = s[k], dw[0]
        ok[k] = False
        for i in range(m):
            for j in range(n):
                word_d[i, j] = word_diag[i, j] + sk[i, j]
                bit_d[i, j] = bit_diag[i, j] + sk[i, j]
                dwk[i, j] = -f_w[k, i, j]
                x[i, j] = 0.0
        if not (factor_rows(word_d, word_off, word_inverse, word_lower)
                or factor_columns(bit_d, bit_off, bit_inverse, bit_lower)):
            ok[k] = _cg(sk, f_b[k], bit_d, bit_off, word_inverse, word_lower, bit_inverse, bit_lower, rtol[k],
                        maxiter, dw, x, t, z, q, r, p)
        largest = 0.0
        for i in range(m):
            for j in range(n):
                largest = max(largest, abs(dwk[i, j]), abs(x[i, j]))
        if not largest < np.inf:  # NaN or infinite
            largest = np.inf
            ok[k] = False
        w_max = 0.0
        for i in range(m):
            for j in range(n):
                if ok[k]:
                    w[k, i, j] += dwk[i, j]
                    b[k, i, j] += x[i, j]
                w_max = max(w_max, abs(w[k, i, j]))
        sizes[0, k] = largest
        sizes[1, k] = w_max
