"""Batched Newton's method for word-line reads of 1R crossbars of nonlinear devices, in line form.

For a crossbar of static two-terminal devices whose every line segment has resistance
(:func:`memxbar.solver.lines.applicable`), every word-line terminal driven and every bit line
held at 0 V, the unknowns are the word-line node voltages W (M, N) and bit-line node voltages
B (M, N) of each input vector, and Kirchhoff's current law reads

    F_W = A_w·W − f + I(W − B) = 0,     F_B = A_b·B − I(W − B) = 0,

with A_w (A_b) the segment conductances along each word (bit) line, tridiagonal, f the driven
end's current g₀·V, and I(V; G) the device currents. Newton's step with the device slopes
S = dI/dV on a diagonal,

    [[A_w + S, −S], [−S, A_b + S]] [ΔW, ΔB] = −[F_W, F_B],

is solved as :mod:`memxbar.solver.lines` solves the linear read: ΔW is eliminated exactly
(one tridiagonal solve per word line, with this vector's slopes on the diagonal) and the
bit-line Schur complement (A_b + S) − S·(A_w + S)⁻¹·S, symmetric positive definite where no
slope is negative, by conjugate gradients preconditioned with (A_b + S)⁻¹. Each iteration is
two tridiagonal solves (LAPACK ``dpttrs``, the chains of all lines and vectors of a block
stacked into one call; each vector's chains carry its own slopes) and element-wise work on
(K, M, N) arrays, in blocks of vectors small enough to stay in cache; no sparse matrix is built.
(Thomas's recurrences swept along the lines with NumPy, vectorised over lines and vectors,
were measured no faster: 7–16 ns per node against ``dpttrs``'s 10–17 ns at 64×64, NumPy's
per-call cost eating the gain unless blocks are so large that they leave the cache.) The
linear solves are inexact (the forcing term of :mod:`memxbar.solver.newton`), the start is the
ideal-wire solution (W = V, B = 0), and the device model is evaluated once per iteration for
current and slope together (:meth:`~memxbar.devices.base.DeviceModel.current_and_slope`).

A vector has converged when its KCL residual, summed branch by branch and relative to the
largest current through any node, meets the same test as in :mod:`memxbar.solver.newton`
(at most ``tol`` after a small step, or :data:`~memxbar.solver.newton.SURE`·``tol``, or at the
rounding floor). Vectors that do not (a negative slope, a step that is not finite, no
convergence within :data:`MAX_ITERATIONS`) are reported unconverged, for the robust method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from memxbar.crossbar import Crossbar
from memxbar.devices.base import DeviceModel
from memxbar.solver.newton import CLOSE, EPS, ROUNDING, STEP_TOLERANCE, SURE

MAX_ITERATIONS = 20
"""Newton iterations before a vector is handed to the robust method."""

CG_ITERATIONS = 200
"""Conjugate-gradient iterations allowed per Newton step."""

BLOCK_ELEMENTS = 2**14
"""Devices per block of vectors iterated together: a block's arrays (128 KiB) stay in the
processor's cache and below glibc's threshold for allocating by ``mmap`` (above it, every new
temporary array costs fresh pages: measured at 64×64, a chain of element-wise operations on
blocks of 8 vectors took 6× as long per vector as on blocks of 4; whole solves with blocks of 4,
8 and 16 vectors 5.7, 6.4 and 7.1 ms per vector)."""


def block_size(shape: tuple[int, int]) -> int:
    """Input vectors per block for an (M, N) array (see :data:`BLOCK_ELEMENTS`)."""
    return max(1, BLOCK_ELEMENTS // (shape[0] * shape[1]))


@dataclass(frozen=True)
class LineNewtonResult:
    """Solutions of a block of input vectors."""

    w: np.ndarray
    """(K, M, N) word-line node voltages (V)."""
    b: np.ndarray
    """(K, M, N) bit-line node voltages (V)."""
    currents: np.ndarray
    """(K, M, N) device currents (A), from word line to bit line."""
    converged: np.ndarray
    """(K,) whether each vector met the tolerance."""
    iterations: np.ndarray
    """(K,) Newton iterations taken."""
    residual: np.ndarray
    """(K,) relative KCL residual at the end."""
    floor: np.ndarray
    """(K,) rounding floor of that residual (ε times the size of the terms)."""


class _Chains:
    """LDLᵀ factor (LAPACK ``dpttrf``) of independent tridiagonal chains stacked along the last
    axis of (K, C, L) arrays: K vectors, C chains of L nodes; the off-diagonal is the same for
    every vector, the diagonal is each vector's own."""

    def __init__(self, d: np.ndarray, e: np.ndarray) -> None:
        """``d`` (K, C, L) diagonals (overwritten), ``e`` (C, L) off-diagonals, 0 at each chain's end (S)."""
        off = np.broadcast_to(e, d.shape).ravel()[:-1] if d.size > 1 else np.zeros(1)
        self.d, self.e, info = lapack.dpttrf(d.ravel(), off, overwrite_d=True)
        self.positive = info == 0
        """Whether every chain is positive definite (LAPACK found every pivot positive)."""

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solutions for a (K, C, L) right-hand side (overwritten); returns an array of its shape."""
        x, _ = lapack.dpttrs(self.d, self.e, rhs.ravel(), overwrite_b=True)
        return x.reshape(rhs.shape)


def _t(x: np.ndarray) -> np.ndarray:
    """(K, A, B) → C-contiguous (K, B, A)."""
    return np.ascontiguousarray(x.transpose(0, 2, 1))


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(K,) inner products of (K, M, N) arrays."""
    return np.einsum("kij,kij->k", a, b)


def _along_rows(op: np.ufunc, x: np.ndarray, first: np.ndarray, out: np.ndarray) -> None:
    """out[k, i, j] = op(x[k, i, j − 1], x[k, i, j]) along the last axis of (K, M, N) arrays, with
    first[k, i] (K, M) before each row. Shifts along the contiguous axis run on the flat arrays
    (NumPy's inner loops over rows of N are several times slower)."""
    n = x.shape[2]
    flat, o = x.ravel(), out.ravel()
    op(flat[:-1], flat[1:], out=o[1:])
    op(first.ravel(), flat[::n], out=o[::n])


def _add_next(out: np.ndarray, x: np.ndarray, n: int) -> None:
    """out[k, i, j] += x[k, i, j + 1] for j < N − 1 on (K, M, N) arrays, on the flat arrays."""
    o, flat = out.ravel(), x.ravel()
    ends = o[n - 1::n].copy()
    o[:-1] += flat[1:]
    o[n - 1::n] = ends  # the row ends took the next row's first element


def _largest(a: np.ndarray) -> np.ndarray:
    """(K,) largest |a| of each vector of a (K, M, N) array; NaN propagates."""
    return np.maximum(a.max(axis=(1, 2)), -a.min(axis=(1, 2)))


@dataclass(frozen=True, eq=False)
class LineNewton:
    """The nonlinear nodal equations of a crossbar word-line read, in line form, batch first."""

    model: DeviceModel
    """The device model."""
    g: np.ndarray
    """(M, N) programmed conductances (S)."""
    gw: np.ndarray
    """(M, N) conductance of the word-line segment left of W[i, j]; column 0 with the driver (S)."""
    hb: np.ndarray
    """(M, N) conductance of the bit-line segment below B[i, j]; row M − 1 with the sense input (S)."""
    word_diag: np.ndarray
    """(M, N) diagonal of A_w (S)."""
    word_off: np.ndarray
    """(M, N) off-diagonal of A_w along each word line, 0 at its end (S)."""
    bit_diag: np.ndarray
    """(N, M) diagonal of A_b, bit-line major (S)."""
    bit_off: np.ndarray
    """(N, M) off-diagonal of A_b along each bit line, bit-line major, 0 at its end (S)."""

    @classmethod
    def build(cls, crossbar: Crossbar) -> LineNewton:
        """The line form of ``crossbar``; it must satisfy :func:`memxbar.solver.lines.applicable`."""
        g = np.asarray(crossbar.conductances, dtype=np.float64)
        gw = 1.0 / crossbar.r_wl
        gw[:, 0] = 1.0 / (crossbar.r_driver + crossbar.r_wl[:, 0])
        hb = 1.0 / crossbar.r_bl
        hb[-1] = 1.0 / (crossbar.r_bl[-1] + crossbar.r_sense)
        word_diag = gw.copy()
        word_diag[:, :-1] += gw[:, 1:]
        word_off = np.zeros_like(gw)
        word_off[:, :-1] = -gw[:, 1:]
        bit_diag = hb.copy()
        bit_diag[1:] += hb[:-1]
        bit_off = np.zeros_like(hb)
        bit_off[:-1] = -hb[:-1]
        return cls(crossbar.device, g, gw, hb, word_diag, word_off, np.ascontiguousarray(bit_diag.T),
                   np.ascontiguousarray(bit_off.T))

    def devices(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Device currents (A) and slopes dI/dV (S), each (K, M, N), at node voltages w, b (V)."""
        vd = (w - b).transpose(1, 2, 0)  # the models take (M, N, K); this view keeps the memory order
        with np.errstate(over="ignore", invalid="ignore"):
            i, s = self.model.current_and_slope(vd, self.g)
        return np.ascontiguousarray(i.transpose(2, 0, 1)), np.ascontiguousarray(s.transpose(2, 0, 1))

    def residual(self, v: np.ndarray, w: np.ndarray, b: np.ndarray, i: np.ndarray, scale: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """KCL residual, summed branch by branch, for inputs v (K, M) (V) and device currents i.

        Returns:
            F_W, F_B (K, M, N), the net currents leaving each word- and bit-line node (A); the
            largest |F| of each vector (K,) (A); if ``scale``, the largest current through a node
            (K,) (A) and the largest sum of the magnitudes of a node's terms (K,) (A), else None.
        """
        n = w.shape[2]
        seg_w = np.empty_like(w)  # along each word line, into W[i, j] from its left
        _along_rows(np.subtract, w, v, seg_w)
        seg_w *= self.gw
        seg_b = np.empty_like(b)  # along each bit line, from B[i, j] down
        np.subtract(b[:, :-1], b[:, 1:], out=seg_b[:, :-1])
        seg_b[:, -1] = b[:, -1]
        seg_b *= self.hb
        f_w = i - seg_w
        _add_next(f_w, seg_w, n)
        f_b = seg_b - i
        f_b[:, 1:] -= seg_b[:, :-1]
        big = np.maximum(_largest(f_w), _largest(f_b))
        if not scale:
            return f_w, f_b, big, None, None
        ai, a_w, a_b = np.abs(i), np.abs(seg_w), np.abs(seg_b)
        through = a_w + ai
        _add_next(through, a_w, n)
        through_b = a_b + ai
        through_b[:, 1:] += a_b[:, :-1]
        top = np.maximum(through.max(axis=(1, 2)), through_b.max(axis=(1, 2)))
        aw, ab = np.abs(w), np.abs(b)
        size_w = np.empty_like(w)
        _along_rows(np.add, aw, np.abs(v), size_w)
        size_w *= self.gw
        size_b = np.empty_like(b)
        np.add(ab[:, :-1], ab[:, 1:], out=size_b[:, :-1])
        size_b[:, -1] = ab[:, -1]
        size_b *= self.hb
        terms = size_w + ai
        _add_next(terms, size_w, n)
        terms_b = size_b + ai
        terms_b[:, 1:] += size_b[:, :-1]
        return f_w, f_b, big, top, np.maximum(terms.max(axis=(1, 2)), terms_b.max(axis=(1, 2)))

    def solve(self, v: np.ndarray, tol: float) -> LineNewtonResult:
        """Solve a block of input vectors.

        Args:
            v: (K, M) word-line terminal voltages (V).
            tol: Relative KCL residual each vector must reach.

        Returns:
            The :class:`LineNewtonResult`; vectors not converged are flagged, not raised.
        """
        n = self.g.shape[1]
        k = v.shape[0]
        w_out = np.repeat(v[:, :, None], n, axis=2)  # ideal wires: every device sees its input
        b_out = np.zeros_like(w_out)
        i_out = np.zeros_like(w_out)
        converged, small, failed = np.zeros(k, bool), np.zeros(k, bool), np.zeros(k, bool)
        iterations = np.zeros(k, int)
        rel, floor, top = np.full(k, np.inf), np.zeros(k), np.full(k, np.nan)
        cols = np.arange(k)  # the vectors still iterating; w, b and v_a hold only those
        w, b, v_a = w_out.copy(), b_out.copy(), v
        while True:
            i, s = self.devices(w, b)
            f_w, f_b, big, _, _ = self.residual(v_a, w, b, i, scale=False)
            # The scale (largest current through a node) and the rounding floor, for vectors
            # without them yet or close to convergence.
            with np.errstate(invalid="ignore", divide="ignore"):
                close = ~(big / top[cols] > CLOSE * tol)
            if close.any():
                *_, through, terms = self.residual(v_a[close], w[close], b[close], i[close], scale=True)
                top[cols[close]] = through
                with np.errstate(invalid="ignore", divide="ignore"):
                    floor[cols[close]] = np.where(through > 0, EPS * terms / np.where(through > 0, through, 1), 0)
            t = top[cols]
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.where(t > 0, big / np.where(t > 0, t, 1.0), np.where(big > 0, np.inf, 0.0))
            r = np.where(np.isfinite(r), r, np.inf)
            rel[cols] = r
            done = (r <= ROUNDING * floor[cols]) | (r <= tol) & (small[cols] | (r <= SURE * tol))
            stop = (done | failed[cols] | ~np.isfinite(r) | (s < 0).any(axis=(1, 2))
                    | (iterations[cols] >= MAX_ITERATIONS))
            converged[cols[done]] = True
            if stop.any():
                out = cols[stop]
                w_out[out], b_out[out], i_out[out] = w[stop], b[stop], i[stop]
                go = ~stop
                cols = cols[go]
                if not cols.size:
                    break
                w, b, v_a, s, f_w, f_b, r = w[go], b[go], v_a[go], s[go], f_w[go], f_b[go], r[go]
            with np.errstate(divide="ignore"):
                rtol = np.clip(np.maximum(r, SURE * tol / r), 1e-12, 1e-2)
            dw, db, ok = self._step(s, f_w, f_b, rtol)
            step = np.maximum(_largest(dw), _largest(db))
            ok &= np.isfinite(step)
            if not ok.all():  # vectors whose step failed keep their last point, unconverged
                dw[~ok] = 0.0
                db[~ok] = 0.0
                failed[cols[~ok]] = True
            w += dw
            b += db
            scale = np.maximum(np.abs(v_a).max(axis=1), np.abs(w).max(axis=(1, 2)))
            small[cols] = step <= STEP_TOLERANCE * scale
            iterations[cols[ok]] += 1
        return LineNewtonResult(w_out, b_out, i_out, converged, iterations, rel, floor)

    def _step(self, s: np.ndarray, f_w: np.ndarray, f_b: np.ndarray, rtol: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Newton steps ΔW, ΔB (K, M, N) (V) for slopes s and residuals F_W, F_B, by PCG on the
        bit-line Schur complement to relative residual ``rtol`` (K,); and which reached it (a
        vector whose line blocks are not positive definite does not)."""
        k = s.shape[0]
        word = _Chains(self.word_diag + s, self.word_off)
        s_t = _t(s)  # bit-line major (K, N, M) from here on
        bit_d = self.bit_diag + s_t
        bit = _Chains(bit_d.copy(), self.bit_off)
        if not (word.positive and bit.positive):
            return np.zeros_like(s), np.zeros_like(s), np.zeros(k, bool)
        off = np.broadcast_to(self.bit_off, s_t.shape).ravel()[:-1]
        dw = word.solve(-f_w)
        r = _t(s * dw - f_b)
        target = rtol * np.sqrt(_dot(r, r))
        x = np.zeros_like(r)
        p = bit.solve(r.copy())
        rz = _dot(r, p)
        ok = np.zeros(k, bool)
        for _ in range(CG_ITERATIONS):
            t = word.solve(_t(s_t * p))  # word-line major
            q = bit_d * p
            q -= _t(s * t)
            flat_q, flat_p = q.ravel(), p.ravel()  # off is 0 at each chain's end: no mixing
            flat_q[:-1] += off * flat_p[1:]
            flat_q[1:] += off * flat_p[:-1]
            pq = _dot(p, q)
            # Vectors that have reached their tolerance stay where they are, so that a vector's
            # iterates do not depend on the others of its block.
            alpha = np.divide(rz, pq, out=np.zeros(k), where=(pq > 0) & ~ok)[:, None, None]
            x += alpha * p
            dw += alpha * t
            r -= alpha * q
            ok |= np.sqrt(_dot(r, r)) <= target
            if ok.all():
                break
            z = bit.solve(r.copy())
            rz_new = _dot(r, z)
            beta = np.divide(rz_new, rz, out=np.zeros(k), where=rz > 0)[:, None, None]
            p *= beta
            p += z
            rz = rz_new
        return dw, _t(x), ok
