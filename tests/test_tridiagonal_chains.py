"""Compiled tridiagonal chains with per-vector diagonals (memxbar.solver.tridiagonal.Chains) and the
compiled Newton step of the line-form nonlinear solver (memxbar.solver.line_newton_kernels), each
against a dense solve of the same matrix."""

from __future__ import annotations

import numpy as np
import pytest

import memxbar
from memxbar.devices import get_model
from memxbar.solver import line_newton_kernels
from memxbar.solver.line_newton import LineNewton
from memxbar.solver.tridiagonal import Chains


def dense(d: np.ndarray, e: np.ndarray) -> np.ndarray:
    return np.diag(d) + np.diag(e, 1) + np.diag(e, -1)


@pytest.mark.parametrize("length", [1, 2, 7])
def test_chains_solve_each_column_with_its_chain(length):
    rng = np.random.default_rng(length)
    d = rng.uniform(2.0, 3.0, (3, length))
    e = rng.uniform(-1.0, 0.0, max(length - 1, 0))
    if length > 2:
        e[1] = 0.0  # a boundary between two lines numbered one after the other
    rhs = rng.normal(size=(length, 5))
    which = np.array([2, 0, 1, 2, 0])
    chains = Chains(d, e)
    x = chains.solve(rhs, which)
    for k in range(5):
        np.testing.assert_allclose(x[:, k], np.linalg.solve(dense(d[which[k]], e), rhs[:, k]), rtol=1e-13)
    np.testing.assert_allclose(chains.solve(rhs, 1), np.linalg.solve(dense(d[1], e), rhs), rtol=1e-13)
    # One off-diagonal per chain; column k with chain k by default.
    e_each = rng.uniform(-1.0, 0.0, (3, max(length - 1, 0)))
    x = Chains(d, e_each).solve(rhs[:, :3])
    for k in range(3):
        np.testing.assert_allclose(x[:, k], np.linalg.solve(dense(d[k], e_each[k]), rhs[:, k]), rtol=1e-13)


def test_chains_that_are_not_positive_definite_are_named():
    d = np.array([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
    e = np.array([-1.0, -1.0])
    with pytest.raises(np.linalg.LinAlgError, match="line block 1 is not positive definite"):
        Chains(d, e)


def test_newton_step_equals_the_dense_solve_of_the_jacobian():
    """The compiled step (word lines eliminated with each vector's slopes, CG on the bit lines) against
    numpy.linalg.solve of [[A_w + S, −S], [−S, A_b + S]]·[ΔW, ΔB] = −[F_W, F_B] built node by node."""
    m, n, k = 4, 5, 3
    rng = np.random.default_rng(2)
    r_wl, r_bl = rng.uniform(1.0, 3.0, (m, n)), rng.uniform(1.0, 3.0, (m, n))
    xbar = memxbar.Crossbar(rng.uniform(1e-5, 1e-3, (m, n)), r_wl=r_wl, r_bl=r_bl,
                            device=get_model("power-law", n=2.7, vref=0.2))
    system = LineNewton.build(xbar)
    w = rng.uniform(0.1, 0.3, (k, m, n))
    b = rng.uniform(0.0, 0.05, (k, m, n))
    v = rng.uniform(0.2, 0.3, (k, m))
    i, s = system.devices(w, b)
    f_w, f_b, *_ = system.residual(v, w, b, i)
    new_w, new_b = w.copy(), b.copy()
    ok, sizes = np.empty(k, bool), np.empty((2, k))
    line_newton_kernels.step(s, f_w, f_b, system.word_diag, system.word_off, system.bit_diag, system.bit_off,
                             np.full(k, 1e-14), 200, new_w, new_b, ok, sizes)
    assert ok.all()
    # Node (i, j) of the word lines is unknown i*n + j, of the bit lines m*n + i*n + j; the word-line
    # segment left of (i, j) has resistance r_wl[i, j] (to the ideal source for j = 0), the bit-line
    # segment below (i, j) r_bl[i, j] (to the virtual ground for i = m − 1).
    size = m * n
    a = np.zeros((2 * size, 2 * size))
    for row in range(m):
        for col in range(n):
            node = row * n + col
            a[node, node] += 1 / r_wl[row, col]
            if col > 0:
                a[node - 1, node - 1] += 1 / r_wl[row, col]
                a[node, node - 1] -= 1 / r_wl[row, col]
                a[node - 1, node] -= 1 / r_wl[row, col]
            bit = size + node
            a[bit, bit] += 1 / r_bl[row, col]
            if row < m - 1:
                a[bit + n, bit + n] += 1 / r_bl[row, col]
                a[bit, bit + n] -= 1 / r_bl[row, col]
                a[bit + n, bit] -= 1 / r_bl[row, col]
    for q in range(k):
        jac = a.copy()
        slope = s[q].ravel()
        idx = np.arange(size)
        jac[idx, idx] += slope
        jac[size + idx, size + idx] += slope
        jac[idx, size + idx] -= slope
        jac[size + idx, idx] -= slope
        delta = np.linalg.solve(jac, -np.concatenate([f_w[q].ravel(), f_b[q].ravel()]))
        np.testing.assert_allclose(new_w[q] - w[q], delta[:size].reshape(m, n), rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(new_b[q] - b[q], delta[size:].reshape(m, n), rtol=1e-9, atol=1e-15)
        assert sizes[0, q] == pytest.approx(np.abs(delta).max(), rel=1e-9)
        assert sizes[1, q] == pytest.approx(np.abs(new_w[q]).max(), rel=1e-15)
