"""Adjoint gradients of the output currents against central finite differences of real solves.

The loss is L = Σ ḡ·I_out with random ḡ, so ∂L/∂G and ∂L/∂V are the vector–Jacobian products
that :func:`memxbar.solver.adjoint.vjp` returns. The finite differences solve the perturbed
circuits from scratch (fast backend), independently of the adjoint.
"""

from __future__ import annotations

import numpy as np
import pytest

import memxbar
from memxbar.devices import get_model
from memxbar.errors import InputError
from memxbar.solver.adjoint import vjp

TOLERANCE = 1e-6
"""Largest error of the adjoint gradient relative to the largest finite-difference entry."""

LINES = [
    {"r_wl": 2.0, "r_bl": 3.0, "r_driver": 1.0, "r_sense": 0.5},
    {"r_wl": 0.0, "r_bl": 0.0},
    {"r_wl": 2.0, "r_bl": 0.0},
    {"r_wl": 0.0, "r_bl": 2.0, "r_sense": 1.0},
]
DEVICES = [get_model("ohmic"), get_model("power-law", n=2.9), get_model("sinh", v0=0.2)]


def _finite_differences(make, g, v, grad):
    def loss(g, v):
        return float((memxbar.simulate(make(g), v).output_currents * grad).sum())

    fd_g = np.zeros_like(g)
    for idx in np.ndindex(*g.shape):
        h = 1e-4 * g[idx]
        up, down = g.copy(), g.copy()
        up[idx] += h
        down[idx] -= h
        fd_g[idx] = (loss(up, v) - loss(down, v)) / (2 * h)
    fd_v = np.zeros_like(v)
    for idx in np.ndindex(*v.shape):
        up, down = v.copy(), v.copy()
        up[idx] += 1e-5
        down[idx] -= 1e-5
        fd_v[idx] = (loss(g, up) - loss(g, down)) / 2e-5
    return fd_g, fd_v


def _relative(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("lines", LINES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
@pytest.mark.parametrize("device", DEVICES, ids=repr)
def test_adjoint_matches_finite_differences(rng, device, lines):
    g = rng.uniform(1e-3, 5e-3, (4, 3))
    v = rng.uniform(0.05, 0.5, (4, 2))
    grad = rng.normal(size=(3, 2))

    def make(g):
        return memxbar.Crossbar(g, device=device, **lines)

    grad_g, grad_v = vjp(make(g), v, grad)
    fd_g, fd_v = _finite_differences(make, g, v, grad)
    assert _relative(grad_g, fd_g) < TOLERANCE
    assert _relative(grad_v, fd_v) < TOLERANCE


def test_per_device_nonlinearity_and_given_solution(rng):
    n = rng.uniform(2.0, 3.5, (4, 3))
    g = rng.uniform(1e-3, 5e-3, (4, 3))
    v = rng.uniform(0.05, 0.5, (4, 2))
    grad = rng.normal(size=(3, 2))

    def make(g):
        return memxbar.Crossbar(g, r_wl=2.0, r_bl=1.0, device=get_model("power-law", n=n))

    xbar = make(g)
    grad_g, grad_v = vjp(xbar, v, grad, solution=memxbar.simulate(xbar, v))
    fd_g, fd_v = _finite_differences(make, g, v, grad)
    assert _relative(grad_g, fd_g) < TOLERANCE
    assert _relative(grad_v, fd_v) < TOLERANCE


def test_ideal_wires_give_the_outer_product(rng):
    """Without line resistance I = Gᵀ·V, so ∂L/∂G = V·ḡᵀ and ∂L/∂V = G·ḡ exactly."""
    g = rng.uniform(1e-6, 1e-4, (6, 5))
    v = rng.uniform(0, 0.5, (6, 3))
    grad = rng.normal(size=(5, 3))
    grad_g, grad_v = vjp(memxbar.Crossbar(g), v, grad)
    np.testing.assert_allclose(grad_g, v @ grad.T, rtol=1e-13)
    np.testing.assert_allclose(grad_v, g @ grad, rtol=1e-13)


def test_single_vector_shapes_and_bad_input(rng):
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (3, 2)), r_wl=1.0, r_bl=1.0)
    grad_g, grad_v = vjp(xbar, np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0]))
    assert grad_g.shape == (3, 2) and grad_v.shape == (3,)
    with pytest.raises(InputError, match="grad_outputs"):
        vjp(xbar, np.ones(3), np.ones(3))
    with pytest.raises(InputError, match="full solution"):
        vjp(xbar, np.ones((3, 1)), np.ones((2, 1)), solution=memxbar.simulate(xbar, np.ones((3, 1)), outputs_only=True))
