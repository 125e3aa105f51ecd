"""The fast backend against ngspice on the same circuits: they must agree to 1e-9 relative."""

from __future__ import annotations

import numpy as np
import pytest

import memxbar
from memxbar.compare import relative_errors
from tests.conftest import random_crossbar

TOLERANCE = 1e-9


def assert_agree(comparison: memxbar.Comparison) -> None:
    assert comparison.max_rel_error <= TOLERANCE
    scale = np.abs(comparison.spice.voltages).max()
    assert comparison.max_abs_error_volts <= TOLERANCE * scale
    np.testing.assert_allclose(
        comparison.fast.device_currents,
        comparison.spice.device_currents,
        rtol=0,
        atol=TOLERANCE * np.abs(comparison.spice.device_currents).max(),
    )


@pytest.mark.parametrize(
    ("m", "n", "parasitics"),
    [
        (1, 1, {"r_wl": 1.0, "r_bl": 2.0}),
        (32, 32, {"r_wl": 2.0, "r_bl": 2.0}),
        (17, 29, {"r_wl": 1.0, "r_bl": 0.5, "r_driver": 10.0, "r_sense": 20.0}),
        (24, 8, {"r_wl": 0.0, "r_bl": 3.0, "r_sense": 5.0}),
        (8, 24, {"r_wl": 3.0, "r_bl": 0.0, "r_driver": 2.0}),
    ],
)
def test_random_arrays(rng, m, n, parasitics):
    xbar = random_crossbar(rng, m, n, **parasitics)
    assert_agree(memxbar.compare(xbar, rng.uniform(0, 0.5, m)))


def test_per_segment_arrays_with_zeros_open_devices_and_a_batch(rng):
    m, n = 16, 12
    r_wl = rng.uniform(0.5, 5, (m, n))
    r_bl = rng.uniform(0.5, 5, (m, n))
    r_wl[rng.random((m, n)) < 0.2] = 0.0
    r_bl[rng.random((m, n)) < 0.2] = 0.0
    r_bl[-1, 3] = 0.0
    g = rng.uniform(1e-6, 1e-4, (m, n))
    g[rng.random((m, n)) < 0.1] = 0.0
    g[:, 5] = 0.0
    xbar = memxbar.Crossbar(g, r_wl=r_wl, r_bl=r_bl, r_driver=rng.uniform(0, 10, m), r_sense=rng.uniform(0, 10, n))
    v = rng.uniform(-0.5, 0.5, (m, 5))
    comparison = memxbar.compare(xbar, v)
    assert comparison.spice.output_currents.shape == (n, 5)
    assert_agree(comparison)
    for name in ("power_devices", "power_word_lines", "power_bit_lines", "power_drivers", "power_sense", "power_total"):
        np.testing.assert_allclose(getattr(comparison.fast, name), getattr(comparison.spice, name), rtol=1e-9)


def test_spice_output_currents_are_measured_not_derived(rng):
    # ngspice's ammeter currents must equal the sum of the device currents it implies (KCL).
    xbar = random_crossbar(rng, 10, 10, r_wl=1.0, r_bl=1.0, r_sense=3.0)
    sol = memxbar.simulate(xbar, rng.uniform(0, 1, 10), backend="spice")
    np.testing.assert_allclose(sol.output_currents, sol.device_currents.sum(axis=0), rtol=1e-9)


def test_relative_error_floor_handles_zero_currents():
    errors = relative_errors(np.array([1.0, 1e-20, 0.0]), np.array([1.0, 0.0, 0.0]))
    assert errors[0] == 0.0 and errors[2] == 0.0
    assert errors[1] == pytest.approx(1e-20 / 1e-12)
