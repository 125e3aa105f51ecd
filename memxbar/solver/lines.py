"""Matrix-free conjugate gradients on the bit-line Schur complement of a crossbar.

For a crossbar whose every word-line and bit-line segment has resistance (no merged
nodes), the unknowns are the word-line node voltages W (M, N) and the bit-line node
voltages B (M, N), and the nodal equations have the blocks

    [[A_ww, −D], [−D, A_bb]] [W, B] = [f, 0],

where D = diag(G) holds the device conductances, A_ww is tridiagonal along each word
line (segment conductances, driver end, plus G on the diagonal), A_bb is tridiagonal
along each bit line (segments, sense end, plus G), and f = g_0·V drives the first node of
each word line. Eliminating W leaves the bit-line Schur complement

    S B = D·A_ww⁻¹·f,   S = A_bb − D·A_ww⁻¹·D,   then W = A_ww⁻¹·(f + D·B),

which is symmetric positive definite (a Schur complement of a positive definite matrix).
It is solved by conjugate gradients (Hestenes & Stiefel, J. Res. Natl. Bur. Stand. 49(6),
409–436, 1952) preconditioned by A_bb⁻¹: every iteration is two tridiagonal solves (one along the word
lines inside S, one along the bit lines; :mod:`memxbar.solver.tridiagonal`) and a few
element-wise operations on (M, N) arrays, with no sparse matrix built, all in two compiled
passes per vector (:mod:`memxbar.solver.line_kernels`). (CrossSim, by
contrast, iterates a relaxed fixed point on the device voltages, the line drops taken from
cumulative sums of the device currents.) The iteration count grows with the IR drop (the
product of device conductance, line resistance and line length squared), not with the
array size as such: 64×64 to 1024×1024 with 1–100 µS devices and 1–2.5 Ω segments take
3–24 iterations to 1e-10.

All arrays are (K, M, N), batch first, C-contiguous: each word line is contiguous, and the
bit lines are swept in lock step along the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from memxbar.crossbar import Crossbar

if TYPE_CHECKING:
    from memxbar.solver.accuracy import KclCheck


def applicable(crossbar: Crossbar) -> bool:
    """Whether every node of ``crossbar`` is distinct: each word-line and bit-line segment,
    counting the driver with the first word-line segment and the sense resistance with the
    last bit-line segment, has a resistance above zero."""
    r_wl, r_bl = crossbar.r_wl, crossbar.r_bl
    return bool(
        (r_wl.shape[1] < 2 or r_wl[:, 1:].min() > 0)
        and (crossbar.r_driver + r_wl[:, 0]).min() > 0
        and (r_bl.shape[0] < 2 or r_bl[:-1].min() > 0)
        and (r_bl[-1] + crossbar.r_sense).min() > 0
    )


CACHE_ELEMENTS = 2**13
"""Node voltages per block of a batch solved together: vectors are grouped so that a block's
arrays stay in the processor's cache and below glibc's mmap threshold (128 KiB), so that freed blocks
are reused without page faults (measured with the compiled kernels, one thread, 64×64 with 100 inputs,
outputs only: blocks of 2 vectors 15.0 ms, of 3 14.6 ms, of 4 20.2 ms with 2300 page faults)."""

def block_vectors(devices: int) -> int:
    """Input vectors per block of a batch on an array of ``devices`` devices (:data:`CACHE_ELEMENTS`)."""
    return max(1, CACHE_ELEMENTS // devices)


GATE = 1e3
"""The stopping estimate is evaluated once CG's rᵀz is below (GATE · tol)² of its start."""


@dataclass(frozen=True, eq=False)
class LineSystem:
    """The nodal equations of a crossbar without merged nodes, in line form."""

    g: np.ndarray
    """(M, N) device conductances (S)."""
    gw: np.ndarray
    """(M, N) conductance of the word-line branch to the left of W[i, j]; for j = 0 from the source,
    driver and first segment together (S)."""
    hb: np.ndarray
    """(M, N) conductance of the bit-line branch below B[i, j]; for i = M − 1 to the virtual ground, last
    segment and sense resistance together (S)."""
    word_inverse: np.ndarray
    """(M, N) reciprocal pivots of A_ww's L·D·Lᵀ factors, word line by word line (Ω;
    :mod:`memxbar.solver.tridiagonal`)."""
    word_lower: np.ndarray
    """(M, max(N − 1, 1)) multipliers of A_ww's unit lower factors."""
    bit_inverse: np.ndarray
    """(M, N) reciprocal pivots of A_bb's factors, bit line by bit line (Ω)."""
    bit_lower: np.ndarray
    """(max(M − 1, 1), N) multipliers of A_bb's unit lower factors."""

    @classmethod
    def build(cls, crossbar: Crossbar) -> LineSystem:
        """The line form of ``crossbar``'s equations, in one compiled pass
        (:func:`memxbar.solver.line_kernels.build`); ``crossbar`` must be :func:`applicable`.

        Raises:
            RuntimeError: If a line's matrix is not positive definite (a pivot ≤ 0 or not finite).
        """
        from memxbar.solver.line_kernels import build

        m, n = crossbar.shape
        g, gw, hb, word_inverse, bit_inverse = (np.empty((m, n)) for _ in range(5))
        word_lower, bit_lower = np.zeros((m, max(n - 1, 1))), np.zeros((max(m - 1, 1), n))
        arrays = (crossbar.conductances, crossbar.r_wl, crossbar.r_bl, crossbar.r_driver, crossbar.r_sense)
        failed = build(*(np.ascontiguousarray(a, dtype=np.float64) for a in arrays), g, gw, hb, word_inverse,
                       word_lower, bit_inverse, bit_lower)
        if failed:
            raise RuntimeError(f"a line block of the nodal matrix is not positive definite (pivot {abs(failed) - 1})")
        return cls(g, gw, hb, word_inverse, word_lower, bit_inverse, bit_lower)

    def solve(self, v: np.ndarray, tol: float, maxiter: int, w: np.ndarray, x: np.ndarray) -> LineSolution:
        """Word- and bit-line voltages for (K, M) inputs ``v`` (V), by preconditioned CG, vector by vector in
        one compiled call (:func:`memxbar.solver.line_kernels.solve_block`), with their KCL check and
        terminal currents.

        A vector stops when the estimated relative error of its bit-line voltages (relative to the largest)
        and of each output current (relative to itself, or to :data:`OUTPUT_FLOOR` of the largest where
        smaller) is below ``tol``: the largest of the preconditioned residual z = A_bb⁻¹·r (≈ S⁻¹·r, the
        error itself) and of the steps still to come, if they shrink geometrically at the slowest of the
        last two rates (which covers the slow convergence of severe IR drop, where z underestimates the
        error). Rates come free from CG's rᵀz; the estimate is evaluated only once rᵀz has fallen below
        (:data:`GATE` · tol)² of its start (it costs as much as the rest of an iteration on small arrays).
        The stop is checked once more from the true residual (iterations resume if it fails). The
        word-line voltages' error is at most the bit-line voltages' (A_ww⁻¹·D has non-negative rows summing
        to at most 1), and the input currents are sums of device currents.

        The check is Kirchhoff's current law branch by branch, as :func:`memxbar.solver.accuracy.check` makes
        it on the compiled circuit, on the line form (a driver's output node, if it has one, is left out: its
        current is the first branch's by construction).

        Args:
            v: (K, M) input voltages (V), C-contiguous.
            tol: Relative error to reach.
            maxiter: Iteration limit per vector (all restarts together).
            w: (K, M, N) C-contiguous array to solve the word-line voltages in.
            x: The same for the bit-line voltages.

        Returns:
            The :class:`LineSolution` (its ``w``, ``b`` are ``w``, ``x``).
        """
        from memxbar.solver.accuracy import KclCheck
        from memxbar.solver.line_kernels import solve_block

        k, m, n = w.shape
        out, i_in, i_out = np.empty((3, k)), np.empty((k, m)), np.empty((k, n))
        failed = solve_block(self.g, self.gw, self.hb, self.word_inverse, self.word_lower, self.bit_inverse,
                             self.bit_lower, v, tol, (GATE * tol) ** 2, maxiter, OUTPUT_FLOOR, w, x, out, i_in, i_out)
        return LineSolution(w, x, KclCheck(*out), i_in, i_out, failed)


@dataclass(frozen=True, eq=False)
class LineSolution:
    """A block of K input vectors solved by :meth:`LineSystem.solve`."""

    w: np.ndarray
    """(K, M, N) word-line voltages (V)."""
    b: np.ndarray
    """(K, M, N) bit-line voltages (V)."""
    check: KclCheck
    """Per vector, the KCL residual relative to the largest current through a node, its rounding floor and
    that current (A), as :func:`memxbar.solver.accuracy.check` gives them."""
    input_currents: np.ndarray
    """(K, M) input currents leaving the sources, each the sum of its word line's device currents (A: by
    Kirchhoff's law, which keeps the solution's relative accuracy where the drop across the first segment,
    V − W[:, 0], would not)."""
    output_currents: np.ndarray
    """(K, N) output currents into the virtual grounds (A)."""
    failed: int
    """How many vectors did not reach the tolerance within the iteration limit."""


OUTPUT_FLOOR = 1e-6
"""Each output current is held to ``tol`` relative to itself, or to this fraction of its vector's
largest output current where it is smaller (an output that is zero in exact arithmetic has no
relative accuracy)."""
