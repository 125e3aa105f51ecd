"""The compiled kernels of the line solver: its set-up, its conjugate-gradient iteration and its check.

:mod:`memxbar.solver.lines` runs CG on the bit-line Schur complement S = A_bb − D·A_ww⁻¹·D, preconditioned
by A_bb⁻¹. An iteration is one product with S and one preconditioner solve, with element-wise updates
around them; :func:`product` and :func:`advance` each do one of these, with its element-wise work, in one
pass over each vector's (M, N) arrays (in NumPy the same iteration is some twenty array operations, and at
64×64 their call overhead alone exceeds the arithmetic). :func:`build` forms the line factors in one pass;
:func:`solve_block` runs a block of input vectors from start to checked solution in one call, because on a
small array the first call of each Python or NumPy layer after other work (caches cold) costs more than
the arithmetic. Arrays are (K, M, N) C-contiguous float64, K input vectors; the tridiagonal sweeps are those
of :mod:`memxbar.solver.tridiagonal`."""

from __future__ import annotations

import numpy as np
from numba import njit, types

from memxbar.solver.accuracy import relative_figure
from memxbar.solver.tridiagonal import COMPILE, factor_columns, factor_rows, solve_columns, solve_rows

_F1 = "float64[::1]"
_F2 = "float64[:, ::1]"
_F3 = "float64[:, :, ::1]"
FAST = {"contract", "reassoc"}
"""Fused multiply-adds, and sums in any order (so that the inner products vectorise)."""

_relative_figure = njit(relative_figure, **COMPILE)

SCALE_FROM = 60.0
"""Inputs whose largest magnitude is beyond 2^±SCALE_FROM volts are scaled by a power of two for the solve
(:func:`solve_block`)."""


def _build_signature(readonly: bool) -> types.Signature:
    """Signature of :func:`build` for a crossbar's read-only (or writable) arrays."""
    r1, r2 = (types.Array(types.float64, ndim, "C", readonly=readonly) for ndim in (1, 2))
    f2 = types.float64[:, ::1]
    return types.int64(r2, r2, r2, r1, r1, f2, f2, f2, f2, f2, f2, f2)


@njit([_build_signature(True), _build_signature(False)], **COMPILE)
def build(g, r_wl, r_bl, r_driver, r_sense, conductance, gw, hb, word_inverse, word_lower, bit_inverse,
          bit_lower):  # pragma: no cover
    """The line form of a crossbar's equations (:class:`memxbar.solver.lines.LineSystem`) in one pass: a
    writable copy ``conductance`` of ``g``, branch conductances ``gw``, ``hb`` (M, N), and the factors of the
    word lines (``word_inverse`` (M, N), ``word_lower`` (M, max(N − 1, 1))) and of the bit lines
    (``bit_inverse`` (M, N), ``bit_lower`` (max(M − 1, 1), N)), from the (M, N) device
    conductances ``g`` (S), segment resistances ``r_wl``, ``r_bl`` (Ω), (M,) ``r_driver`` and (N,) ``r_sense``
    (Ω). The first word-line segment is joined with the driver, the last bit-line segment with the sense
    resistance. Returns 0, or ±(1 + flat index) of the first pivot that is not positive (+ word lines,
    − bit lines)."""
    m, n = g.shape
    # The diagonals are formed in the pivots' arrays, which the factorisations overwrite element by element
    # after reading them (less fresh memory: first touches of new pages dominate a small solve).
    word_diag = word_inverse
    bit_diag = bit_inverse
    word_off = np.zeros((m, max(n - 1, 1)))
    bit_off = np.zeros((max(m - 1, 1), n))
    for i in range(m):
        gw[i, 0] = 1.0 / (r_driver[i] + r_wl[i, 0])
        for j in range(1, n):
            gw[i, j] = 1.0 / r_wl[i, j]
            word_off[i, j - 1] = -gw[i, j]
        for j in range(n):
            conductance[i, j] = g[i, j]
            word_diag[i, j] = gw[i, j] + g[i, j]
        for j in range(n - 1):
            word_diag[i, j] += gw[i, j + 1]
    for i in range(m):
        for j in range(n):
            hb[i, j] = 1.0 / (r_bl[i, j] + r_sense[j]) if i == m - 1 else 1.0 / r_bl[i, j]
            bit_diag[i, j] = hb[i, j] + g[i, j]
        if i > 0:
            for j in range(n):
                bit_diag[i, j] += hb[i - 1, j]
                bit_off[i - 1, j] = -hb[i - 1, j]
    failed = factor_rows(word_diag, word_off, word_inverse, word_lower)
    if failed:
        return failed
    return -factor_columns(bit_diag, bit_off, bit_inverse, bit_lower)


@njit(f"void({_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F3}, {_F3}, {_F3})", **COMPILE)
def start(g, gw, word_inverse, word_lower, v, w, x, r):  # pragma: no cover
    """CG's starting point for (K, M) inputs ``v`` (V): the word-line voltages ``w`` with the bit lines at
    0 V (A_ww⁻¹·f, f = g_0·V at each word line's first node), bit-line voltages ``x`` = 0 and the
    residual ``r`` = G∘w of the bit lines' equations (A); (K, M, N) arrays filled in place."""
    k_count, m, n = w.shape
    for k in range(k_count):
        for i in range(m):
            w[k, i, 0] = gw[i, 0] * v[k, i]
            for j in range(1, n):
                w[k, i, j] = 0.0
    solve_rows(word_inverse, word_lower, w)
    for k in range(k_count):
        for i in range(m):
            for j in range(n):
                r[k, i, j] = g[i, j] * w[k, i, j]
                x[k, i, j] = 0.0


@njit(f"void({_F2}, {_F2}, {_F2}, {_F2}, {_F1}, {_F3}, {_F3}, {_F3}, {_F3}, {_F1})", fastmath=FAST, **COMPILE)
def product(g, hb, word_inverse, word_lower, beta, z, p, q, induced, pq):  # pragma: no cover
    """The search direction p ← z + β·p, then u = A_ww⁻¹·(G∘p) into ``induced``, q = S·p = A_bb·p − G∘u
    into ``q``, and pᵀq per vector into ``pq``. ``q`` may be ``z`` (read before ``q`` is written).

    ``g`` (M, N) device conductances, ``hb`` (M, N) the bit-line branch conductances below each node
    (A_bb·p at row i is G∘p + hb[i]·(p[i] − p[i + 1]) + hb[i − 1]·(p[i] − p[i − 1]), with p[M] = 0 at
    the virtual grounds), ``word_inverse``/``word_lower`` the word lines' factors
    (:mod:`memxbar.solver.tridiagonal`), ``beta`` (K,).
    """
    k_count, m, n = p.shape
    for k in range(k_count):
        b = beta[k]
        for i in range(m):
            for j in range(n):
                value = z[k, i, j] + b * p[k, i, j]
                p[k, i, j] = value
                induced[k, i, j] = g[i, j] * value
    solve_rows(word_inverse, word_lower, induced)
    for k in range(k_count):
        total = 0.0
        for i in range(m):
            for j in range(n):
                q[k, i, j] = g[i, j] * (p[k, i, j] - induced[k, i, j])
            if i > 0:
                for j in range(n):
                    q[k, i, j] += hb[i - 1, j] * (p[k, i, j] - p[k, i - 1, j])
            if i < m - 1:
                for j in range(n):
                    q[k, i, j] += hb[i, j] * (p[k, i, j] - p[k, i + 1, j])
            else:
                for j in range(n):
                    q[k, i, j] += hb[i, j] * p[k, i, j]
            for j in range(n):
                total += p[k, i, j] * q[k, i, j]
        pq[k] = total


@njit(f"void({_F1}, {_F3}, {_F3}, {_F3}, {_F3}, {_F3}, {_F3}, {_F3}, {_F2}, {_F2}, {_F2})", fastmath=FAST, **COMPILE)
def advance(alpha, p, q, induced, x, w, r, z, bit_inverse, bit_lower, stats):  # pragma: no cover
    """The CG update x ← x + α·p, w ← w + α·u, r ← r − α·q, then the preconditioned residual
    z = A_bb⁻¹·r into ``z``; ``alpha`` (K,). Per vector into the (4, K) ``stats``: rᵀz, max |x|, max |z|
    and max |p| (what CG's stopping estimate needs)."""
    k_count, m, n = p.shape
    for k in range(k_count):
        a = alpha[k]
        x_max = 0.0
        p_max = 0.0
        for i in range(m):
            for j in range(n):
                value = x[k, i, j] + a * p[k, i, j]
                x[k, i, j] = value
                x_max = max(x_max, abs(value))
                p_max = max(p_max, abs(p[k, i, j]))
                w[k, i, j] += a * induced[k, i, j]
                value = r[k, i, j] - a * q[k, i, j]
                r[k, i, j] = value
                z[k, i, j] = value
        stats[1, k] = x_max
        stats[3, k] = p_max
    solve_columns(bit_inverse, bit_lower, z)
    for k in range(k_count):
        total = 0.0
        z_max = 0.0
        for i in range(m):
            for j in range(n):
                total += r[k, i, j] * z[k, i, j]
                z_max = max(z_max, abs(z[k, i, j]))
        stats[0, k] = total
        stats[2, k] = z_max


@njit(f"void({_F2}, {_F2}, {_F3}, {_F3}, {_F2}, {_F2}, float64, {_F3}, {_F3}, {_F1})", fastmath=FAST, **COMPILE)
def residual(g, hb, w, x, bit_inverse, bit_lower, output_floor, r, z, error):  # pragma: no cover
    """The bit lines' Kirchhoff current law r = G∘w − A_bb·x (A) into ``r``, and A_bb⁻¹·r (V), the
    estimated error of the bit-line voltages x, into ``z``, for word-line voltages ``w`` (``hb`` as in
    :func:`product`); per vector into ``error`` (K,) the larger of max |z| relative to max |x| and of each
    output current's error h_last·z[M − 1] (h_last = hb[M − 1]) relative to the current itself, or to
    ``output_floor`` of the largest where smaller
    (0 error relative to 0 is 0, anything else relative to 0 is ∞)."""
    k_count, m, n = x.shape
    h_last = hb[m - 1]
    for k in range(k_count):
        for i in range(m):
            for j in range(n):
                r[k, i, j] = g[i, j] * (w[k, i, j] - x[k, i, j])
            if i > 0:
                for j in range(n):
                    r[k, i, j] -= hb[i - 1, j] * (x[k, i, j] - x[k, i - 1, j])
            if i < m - 1:
                for j in range(n):
                    r[k, i, j] -= hb[i, j] * (x[k, i, j] - x[k, i + 1, j])
            else:
                for j in range(n):
                    r[k, i, j] -= hb[i, j] * x[k, i, j]
            for j in range(n):
                z[k, i, j] = r[k, i, j]
    solve_columns(bit_inverse, bit_lower, z)
    for k in range(k_count):
        size = 0.0
        scale = 0.0
        for i in range(m):
            for j in range(n):
                size = max(size, abs(z[k, i, j]))
                scale = max(scale, abs(x[k, i, j]))
        worst = size / scale if scale > 0 else (np.inf if size > 0 else 0.0)
        largest = 0.0
        for j in range(n):
            largest = max(largest, abs(h_last[j] * x[k, m - 1, j]))
        floor = output_floor * largest
        if floor > 0:
            for j in range(n):
                worst = max(worst, abs(h_last[j] * z[k, m - 1, j]) / max(abs(h_last[j] * x[k, m - 1, j]), floor))
        error[k] = worst


@njit(f"int64({_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F3}, {_F3}, {_F3}, float64, float64, int64, "
      "float64, boolean[::1])", fastmath=FAST, **COMPILE)
def cg(g, hb, word_inverse, word_lower, bit_inverse, bit_lower, x, w, r, tol, gate, maxiter, output_floor,
       done):  # pragma: no cover
    """Preconditioned CG from bit-line voltages x, word-line voltages w and residual r (updated in place)
    until every vector's error estimate is at most ``tol`` or ``maxiter`` iterations; returns the
    iterations used and marks in ``done`` (K,) the vectors that stopped by the estimate.

    The estimate (see :meth:`memxbar.solver.lines.LineSystem.solve`) is evaluated once some vector's rᵀz is
    below ``gate`` times its start. ``hb`` is as in :func:`product` (its last row, h_last, the conductance
    from each bit line's last node to its virtual ground), ``output_floor`` the fraction of a vector's
    largest output current below which an output is held to that floor rather than to itself.
    """
    k_count, m, n = x.shape
    h_last = hb[m - 1]
    z = r.copy()
    solve_columns(bit_inverse, bit_lower, z)
    p = np.zeros_like(z)
    q = z  # S·p overwrites z once p holds it, and z = A_bb⁻¹·r overwrites S·p once r is updated
    induced = np.empty_like(z)
    rz = np.empty(k_count)
    for k in range(k_count):
        total = 0.0
        for i in range(m):
            for j in range(n):
                total += r[k, i, j] * z[k, i, j]
        rz[k] = total
    threshold = rz * gate
    beta = np.zeros(k_count)
    previous = np.ones(k_count)  # the last ratio rᵀz(new)/rᵀz(old); 1 before there is one
    pq = np.empty(k_count)
    alpha = np.empty(k_count)
    stats = np.empty((4, k_count))
    for iteration in range(1, maxiter + 1):
        product(g, hb, word_inverse, word_lower, beta, z, p, q, induced, pq)
        for k in range(k_count):
            alpha[k] = rz[k] / pq[k] if pq[k] > 0 else 0.0
        advance(alpha, p, q, induced, x, w, r, z, bit_inverse, bit_lower, stats)
        gated = False
        for k in range(k_count):
            gated = gated or stats[0, k] <= threshold[k]
        finished = True
        for k in range(k_count):
            rz_new, x_max, z_max, p_max = stats[0, k], stats[1, k], stats[2, k], stats[3, k]
            ratio = rz_new / rz[k] if rz[k] > 0 else 0.0
            if gated and not done[k]:
                size = x_max if x_max > 0 else np.inf
                largest = 0.0
                for j in range(n):
                    largest = max(largest, abs(h_last[j] * x[k, m - 1, j]))
                floor = output_floor * largest
                rate = min(np.sqrt(max(previous[k], ratio)), 0.99)
                tail = rate / (1.0 - rate)
                estimate = max(abs(alpha[k]) * p_max / size * tail, z_max / size)
                if floor > 0:
                    for j in range(n):
                        scale = max(abs(h_last[j] * x[k, m - 1, j]), floor)
                        estimate = max(estimate, abs(h_last[j] * z[k, m - 1, j]) / scale,
                                       abs(alpha[k] * h_last[j] * p[k, m - 1, j]) / scale * tail)
                done[k] = estimate <= tol
            finished = finished and done[k]
            previous[k] = ratio
            beta[k] = ratio
            rz[k] = rz_new
        if gated and finished:
            return iteration
    return maxiter


@njit(f"void({_F2}, {_F2}, {_F2}, {_F2}, {_F3}, {_F3}, {_F2}, {_F2}, {_F2}, float64)", fastmath=FAST, **COMPILE)
def kcl(g, gw, hb, v, w, b, out, i_in, i_out, scale):  # pragma: no cover
    """Kirchhoff's current law at every word-line and bit-line node, branch by branch, as
    :func:`memxbar.solver.accuracy.check` does on the compiled circuit: per vector into the (3, K) ``out``
    its relative residual, rounding floor and largest node current (A)
    (:func:`~memxbar.solver.accuracy.relative_figure` of the largest residual |F_k|, the largest current
    through a node T_k = Σ|branch currents| and the largest Σ g·(|x_a| + |x_b|) over a node's branches, the
    size of the terms before they cancel); and the terminal currents: into (K, M) ``i_in`` each word line's
    input current as the sum of its device currents (Kirchhoff's law, which keeps the solution's relative
    accuracy where the drop across the first segment would not), into (K, N) ``i_out`` each bit line's current
    into its virtual ground (A). Voltages and currents are in units of ``scale`` volts and amperes (1 for
    volts and amperes: the largest node current in ``out`` is in amperes).

    ``gw`` (M, N): conductance of the word-line branch to the left of W[i, j] (from the source for
    j = 0, driver included); ``hb`` (M, N): of the bit-line branch below B[i, j] (to the virtual ground
    for i = M − 1, sense resistance included); ``v`` (K, M) inputs (V); ``w``, ``b`` (K, M, N) voltages (V).
    """
    k_count, m, n = w.shape
    seg = np.zeros(n + 1)  # word-line branch currents, seg[j] from W[i, j] towards the source (A)
    seg_terms = np.zeros(n + 1)
    down = np.zeros(n)  # bit-line branch currents below the current row, towards the virtual grounds (A)
    down_terms = np.zeros(n)
    up = np.zeros(n)  # the same for the row above
    up_terms = np.zeros(n)
    # Running maxima per bit line (element-wise, so that the loops vectorise), reduced at the end.
    f_max = np.zeros(n)
    t_max = np.zeros(n)
    r_max = np.zeros(n)
    for k in range(k_count):
        f_max[:] = 0.0
        t_max[:] = 0.0
        r_max[:] = 0.0
        up[:] = 0.0
        up_terms[:] = 0.0
        for i in range(m):
            total = 0.0
            seg[0] = gw[i, 0] * (w[k, i, 0] - v[k, i])
            seg_terms[0] = gw[i, 0] * (abs(w[k, i, 0]) + abs(v[k, i]))
            for j in range(1, n):
                seg[j] = gw[i, j] * (w[k, i, j] - w[k, i, j - 1])
                seg_terms[j] = gw[i, j] * (abs(w[k, i, j]) + abs(w[k, i, j - 1]))
            if i < m - 1:
                for j in range(n):
                    down[j] = hb[i, j] * (b[k, i, j] - b[k, i + 1, j])
                    down_terms[j] = hb[i, j] * (abs(b[k, i, j]) + abs(b[k, i + 1, j]))
            else:
                for j in range(n):
                    down[j] = hb[i, j] * b[k, i, j]
                    down_terms[j] = hb[i, j] * abs(b[k, i, j])
            for j in range(n):
                device = g[i, j] * (w[k, i, j] - b[k, i, j])
                total += device
                device_terms = g[i, j] * (abs(w[k, i, j]) + abs(b[k, i, j]))
                f_max[j] = max(f_max[j], abs(seg[j] - seg[j + 1] + device), abs(down[j] - up[j] - device))
                t_max[j] = max(t_max[j], abs(seg[j]) + abs(seg[j + 1]) + abs(device),
                               abs(down[j]) + abs(up[j]) + abs(device))
                r_max[j] = max(r_max[j], seg_terms[j] + seg_terms[j + 1] + device_terms,
                               down_terms[j] + up_terms[j] + device_terms)
                up[j] = down[j]
                up_terms[j] = down_terms[j]
            i_in[k, i] = total
        for j in range(n):
            i_out[k, j] = down[j]
        out[0, k], out[1, k], out[2, k] = _relative_figure(f_max.max(), t_max.max(), r_max.max(), scale)


@njit(f"int64({_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F2}, {_F2}, float64, float64, int64, float64, {_F3}, {_F3}, "
      f"{_F2}, {_F2}, {_F2})", fastmath=FAST, **COMPILE)
def solve_block(g, gw, hb, word_inverse, word_lower, bit_inverse, bit_lower, v, tol, gate, maxiter, output_floor, w,
                x, out, i_in, i_out):  # pragma: no cover
    """Solve (K, M) inputs ``v`` (V) vector by vector: :func:`start`, :func:`cg` until its estimate is below
    ``tol``, checked by the true residual (:func:`residual`; CG restarts from it if the check fails), then
    :func:`kcl`. Fills the (K, M, N) word- and bit-line voltages ``w``, ``x`` (V), the (3, K) ``out``, (K, M)
    ``i_in`` and (K, N) ``i_out`` as :func:`kcl` does; returns how many vectors did not reach ``tol`` within
    ``maxiter`` iterations (their figures are filled all the same).

    A vector whose largest input is far from 1 V (beyond 2^±:data:`SCALE_FROM`) is solved divided by a
    power of two near it, then multiplied back (exact): CG's inner products, squares of currents, would
    otherwise underflow or overflow (inputs of 1e-160 V stalled CG; a new-user test)."""
    k_count, m, n = w.shape
    r = np.empty((1, m, n))
    z = np.empty((1, m, n))
    error = np.empty(1)
    done = np.zeros(1, dtype=np.bool_)
    figures = np.empty((3, 1))
    vk = np.empty((1, m))
    failed = 0
    for k in range(k_count):
        wk, xk = w[k:k + 1], x[k:k + 1]
        peak = 0.0
        for i in range(m):
            peak = max(peak, abs(v[k, i]))
        scale = 1.0
        if peak > 0.0 and abs(np.log2(peak)) > SCALE_FROM:
            scale = 2.0 ** np.floor(np.log2(peak))
        for i in range(m):
            vk[0, i] = v[k, i] / scale
        start(g, gw, word_inverse, word_lower, vk, wk, xk, r)
        used = 0
        while True:
            done[0] = False
            used += cg(g, hb, word_inverse, word_lower, bit_inverse, bit_lower, xk, wk, r, tol, gate, maxiter - used,
                       output_floor, done)
            # The true residual, the bit lines' Kirchhoff current law with the word-line voltages CG kept up to
            # date, r = D·W − A_bb·B, whose A_bb⁻¹·r estimates the error of the bit-line voltages.
            residual(g, hb, wk, xk, bit_inverse, bit_lower, output_floor, r, z, error)
            if done[0] and error[0] <= tol:
                break
            if used >= maxiter:
                failed += 1
                break
        kcl(g, gw, hb, vk, wk, xk, figures, i_in[k:k + 1], i_out[k:k + 1], scale)
        for row in range(3):
            out[row, k] = figures[row, 0]
        if scale != 1.0:
            for i in range(m):
                i_in[k, i] *= scale
                for j in range(n):
                    w[k, i, j] *= scale
                    x[k, i, j] *= scale
            for j in range(n):
                i_out[k, j] *= scale
    return failed
