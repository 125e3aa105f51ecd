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
slope is negative, by conjugate gradients preconditioned with (A_b + S)⁻¹. Each CG iteration is
two tridiagonal solves (:mod:`memxbar.solver.tridiagonal`; each vector's chains factorised with its
own slopes) and element-wise work, compiled into four passes over the vector's (M, N) arrays
(:mod:`memxbar.solver.line_newton_kernels`, which also computes the KCL residual in one pass);
no sparse matrix is built. The Newton iteration itself (the device model, the convergence test)
runs in NumPy on blocks of vectors. The
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

from memxbar.crossbar import Crossbar
from memxbar.devices.base import DeviceModel
from memxbar.solver import line_newton_kernels as kernels
from memxbar.solver.newton import CLOSE, EPS, ROUNDING, STEP_TOLERANCE, SURE

MAX_ITERATIONS = 20
"""Newton iterations before a vector is handed to the robust method."""

CG_ITERATIONS = 200
"""Conjugate-gradient iterations allowed per Newton step."""

BLOCK_ELEMENTS = 2**14
"""Devices per block of vectors iterated together: a block's arrays (128 KiB) stay in the
processor's cache and below glibc's threshold for allocating by ``mmap`` (above it, every new
temporary array costs fresh pages: measured at 64×64 when the step was NumPy, a chain of
element-wise operations on blocks of 8 vectors took 6× as long per vector as on blocks of 4).
With the compiled step only the device model and the bookkeeping see the block: at 64×64, blocks
of 1 to 32 vectors took 2.5–3.6 ms per vector with no trend (128 power-law vectors, machine load 4)."""


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
    """(M, max(N − 1, 1)) off-diagonal of A_w along each word line (S; 0 and unused if N = 1)."""
    bit_diag: np.ndarray
    """(M, N) diagonal of A_b (S)."""
    bit_off: np.ndarray
    """(max(M − 1, 1), N) off-diagonal of A_b along each bit line (S; 0 and unused if M = 1)."""

    @classmethod
    def build(cls, crossbar: Crossbar) -> LineNewton:
        """The line form of ``crossbar``; it must satisfy :func:`memxbar.solver.lines.applicable`."""
        g = np.asarray(crossbar.conductances, dtype=np.float64)
        m, n = g.shape
        gw = 1.0 / crossbar.r_wl
        gw[:, 0] = 1.0 / (crossbar.r_driver + crossbar.r_wl[:, 0])
        hb = 1.0 / crossbar.r_bl
        hb[-1] = 1.0 / (crossbar.r_bl[-1] + crossbar.r_sense)
        word_diag = gw.copy()
        word_diag[:, :-1] += gw[:, 1:]
        word_off = np.zeros((m, max(n - 1, 1)))
        word_off[:, : n - 1] = -gw[:, 1:]
        bit_diag = hb.copy()
        bit_diag[1:] += hb[:-1]
        bit_off = np.zeros((max(m - 1, 1), n))
        bit_off[: m - 1] = -hb[:-1]
        return cls(crossbar.device, g, np.ascontiguousarray(gw), np.ascontiguousarray(hb), word_diag, word_off,
                   bit_diag, bit_off)

    def devices(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Device currents (A) and slopes dI/dV (S), each (K, M, N), at node voltages w, b (V)."""
        vd = (w - b).transpose(1, 2, 0)  # the models take (M, N, K); this view keeps the memory order
        with np.errstate(over="ignore", invalid="ignore"):
            i, s = self.model.current_and_slope(vd, self.g)
        return np.ascontiguousarray(i.transpose(2, 0, 1)), np.ascontiguousarray(s.transpose(2, 0, 1))

    def residual(self, v: np.ndarray, w: np.ndarray, b: np.ndarray, i: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """KCL residual, summed branch by branch, for inputs v (K, M) (V), node voltages w, b and
        device currents i (K, M, N) (V, A).

        Returns:
            F_W, F_B (K, M, N), the net currents leaving each word- and bit-line node (A); the
            largest |F| of each vector (K,) (A; infinite if an F is not finite), the largest current
            through a node (K,) (A) and the largest sum of the magnitudes of a node's terms (K,) (A).
        """
        f_w, f_b = np.empty_like(w), np.empty_like(b)
        stats = np.empty((3, w.shape[0]))
        kernels.kcl(self.gw, self.hb, np.ascontiguousarray(v, dtype=np.float64), w, b, i, f_w, f_b, stats)
        return f_w, f_b, stats[0], stats[1], stats[2]

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
            f_w, f_b, big, through, terms = self.residual(v_a, w, b, i)
            # The scale (largest current through a node) and the rounding floor, for vectors
            # without them yet or close to convergence.
            with np.errstate(invalid="ignore", divide="ignore"):
                close = ~(big / top[cols] > CLOSE * tol)
            if close.any():
                through, terms = through[close], terms[close]
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
            ok = np.empty(cols.size, bool)
            sizes = np.empty((2, cols.size))
            kernels.step(s, f_w, f_b, self.word_diag, self.word_off, self.bit_diag, self.bit_off, rtol,
                         CG_ITERATIONS, w, b, ok, sizes)
            failed[cols[~ok]] = True  # these keep their last point, unconverged
            scale = np.maximum(np.abs(v_a).max(axis=1), sizes[1])
            small[cols] = sizes[0] <= STEP_TOLERANCE * scale
            iterations[cols[ok]] += 1
        return LineNewtonResult(w_out, b_out, i_out, converged, iterations, rel, floor)
