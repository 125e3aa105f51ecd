"""Nonlinear devices with line resistance: Newton's method in the fast backend, B-sources in ngspice.

Exact references: with ideal lines every device sees its input voltage, so each output is a
sum of I(V_i); a single device in series with its lines is a scalar equation, solved here by
a bracketing root finder independent of both backends.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

import memxbar
from memxbar.devices import get_model
from memxbar.errors import ConvergenceError
from memxbar.solver import line_newton, newton

NONLINEAR = [
    get_model("sinh"),
    get_model("power-law"),
    get_model("power-law", n=3.5, vref=0.3),
    get_model("poole-frenkel"),
]
ALL = [get_model("ohmic"), *NONLINEAR]
AGREEMENT = 1e-9
"""Relative agreement required of the backends (the issue asks for 1e-6; ~1e-11 is typical)."""


def crossbar(rng, m, n, device, **parasitics):
    return memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (m, n)), device=device, **parasitics)


@pytest.mark.parametrize("backend", ["fast", "spice"])
@pytest.mark.parametrize("device", ALL, ids=repr)
def test_ideal_lines_give_each_device_its_input_voltage(rng, device, backend):
    xbar = crossbar(rng, 5, 4, device)
    v = np.array([0.5, -0.3, 0.0, 0.1, -0.45])
    expected = device.current(np.broadcast_to(v[:, None], (5, 4)), xbar.conductances).sum(axis=0)
    solution = memxbar.simulate(xbar, v, backend)
    np.testing.assert_allclose(solution.output_currents, expected, rtol=1e-12 if backend == "fast" else AGREEMENT)


@pytest.mark.parametrize("device", ALL, ids=repr)
def test_one_device_in_series_with_its_lines_matches_a_scalar_root(device):
    g, v_in = 2e-3, 0.8
    xbar = memxbar.Crossbar([[g]], r_wl=40.0, r_bl=25.0, r_driver=10.0, r_sense=5.0, device=device)
    r_series = 80.0
    current = brentq(lambda i: i - device.current(np.array(v_in - i * r_series), g), 0.0, v_in / r_series, xtol=1e-20)
    for backend in ("fast", "spice"):
        solution = memxbar.simulate(xbar, np.array([v_in]), backend)
        assert solution.output_currents[0] == pytest.approx(current, rel=1e-12 if backend == "fast" else AGREEMENT)
        assert solution.device_currents[0, 0] == pytest.approx(current, rel=1e-12 if backend == "fast" else AGREEMENT)


@pytest.mark.parametrize(
    "parasitics",
    [
        {"r_wl": 2.5, "r_bl": 2.5, "r_driver": 5.0, "r_sense": 3.0},
        {"r_wl": 0.0, "r_bl": 3.0, "r_sense": 5.0},
        {"r_wl": 3.0, "r_bl": 0.0, "r_driver": 2.0},
    ],
)
@pytest.mark.parametrize("device", NONLINEAR, ids=repr)
def test_backends_agree_with_line_resistance(rng, device, parasitics):
    xbar = crossbar(rng, 24, 16, device, **parasitics)
    comparison = memxbar.compare(xbar, rng.uniform(-0.5, 0.5, 24))
    assert comparison.max_rel_error <= AGREEMENT
    np.testing.assert_allclose(
        comparison.fast.device_currents,
        comparison.spice.device_currents,
        rtol=0,
        atol=AGREEMENT * np.abs(comparison.spice.device_currents).max(),
    )


@pytest.mark.parametrize("name", ["sinh", "power-law", "poole-frenkel"])
def test_issue_acceptance_64x64_with_2_5_ohm_segments(rng, name):
    xbar = crossbar(rng, 64, 64, name, r_wl=2.5, r_bl=2.5)
    assert memxbar.compare(xbar, rng.uniform(0, 0.5, 64)).max_rel_error <= 1e-6


def test_batch_equals_vectors_one_at_a_time_including_zero_inputs(rng):
    xbar = crossbar(rng, 12, 9, get_model("power-law", n=3.0), r_wl=2.0, r_bl=3.0)
    v = rng.uniform(-0.5, 0.5, (12, 4))
    v[:, 1] = 0.0
    v[::3, 2] = 0.0
    batch = memxbar.simulate(xbar, v)
    assert np.all(batch.output_currents[:, 1] == 0.0)
    for k in range(4):
        single = memxbar.simulate(xbar, v[:, k])
        np.testing.assert_allclose(batch.output_currents[:, k], single.output_currents, rtol=1e-13, atol=1e-25)


def test_power_law_at_zero_volts_with_per_device_exponents_agrees_with_ngspice(rng):
    n = rng.uniform(2.0, 4.0, (10, 8))
    xbar = crossbar(rng, 10, 8, get_model("power-law", n=n), r_wl=1.5, r_bl=2.5)
    v = rng.uniform(-0.4, 0.4, 10)
    v[::2] = 0.0
    assert memxbar.compare(xbar, v).max_rel_error <= AGREEMENT


def test_damping_handles_strong_nonlinearity_and_large_line_resistance(rng):
    device = get_model("sinh", v0=0.05)
    xbar = memxbar.Crossbar(rng.uniform(1e-5, 1e-3, (16, 16)), r_wl=10.0, r_bl=10.0, device=device)
    v = rng.uniform(0.5, 1.0, 16)
    result = newton.newton_solve(xbar, v[:, None])
    assert result.iterations[0] > 4
    assert memxbar.compare(xbar, v).max_rel_error <= AGREEMENT


def test_non_convergence_says_what_was_tried_and_names_the_worst_node(rng, monkeypatch):
    monkeypatch.setattr(newton, "MAX_ITERATIONS", 1)
    monkeypatch.setattr(newton, "STEP_ITERATIONS", 1)
    monkeypatch.setattr(newton, "KRYLOV_NEWTON_ITERATIONS", 1)
    monkeypatch.setattr(line_newton, "MAX_ITERATIONS", 1)
    xbar = memxbar.Crossbar(rng.uniform(1e-5, 1e-3, (6, 5)), r_wl=10.0, r_bl=10.0, device=get_model("sinh", v0=0.05))
    with pytest.raises(ConvergenceError, match=r"stalled after 1 iterations; source stepping reached .* gmin stepping "
                       r"stopped at gmin = .* KCL residual left .* at node [WB]\["):
        memxbar.simulate(xbar, np.full(6, 1.0))


def test_a_finite_solution_beyond_the_linear_guess_is_found():
    """The linear start puts ~100 V on each sinh device (sinh(400) overflows); the solution has ~4 V."""
    xbar = memxbar.Crossbar(np.full((3, 3), 1e-4), r_wl=1.0, r_bl=1.0, device="sinh")
    comparison = memxbar.compare(xbar, np.full(3, 300.0))
    assert np.abs(comparison.fast.device_voltages).max() < 6.0
    assert comparison.max_rel_error <= AGREEMENT
