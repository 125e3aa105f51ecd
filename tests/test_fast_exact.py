"""The fast backend against results known exactly, independent of any simulator."""

from __future__ import annotations

import numpy as np
import pytest

import memxbar
from tests.conftest import random_crossbar


def test_zero_line_resistance_gives_exactly_gt_v(rng):
    xbar = random_crossbar(rng, 20, 13)
    v = rng.uniform(-0.5, 0.5, (20, 4))
    sol = memxbar.simulate(xbar, v)
    np.testing.assert_allclose(sol.output_currents, xbar.conductances.T @ v, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(sol.wl_voltages, np.broadcast_to(v[:, None, :], (20, 13, 4)))
    np.testing.assert_array_equal(sol.bl_voltages, 0.0)
    assert np.all(np.abs(sol.relative_deviation) < 1e-13)


def test_one_by_one_series_circuit():
    # NOTES.md reference: R = 10 Ω, r_wl = 1 Ω, r_bl = 2 Ω, V = 1 V gives I = 1/13 A.
    sol = memxbar.simulate(memxbar.Crossbar([[0.1]], r_wl=1.0, r_bl=2.0), np.array([1.0]))
    assert sol.output_currents.shape == (1,)
    assert sol.output_currents[0] == pytest.approx(1 / 13, rel=1e-14)
    assert sol.wl_voltages[0, 0] == pytest.approx(12 / 13, rel=1e-14)
    assert sol.bl_voltages[0, 0] == pytest.approx(2 / 13, rel=1e-14)


def test_driver_and_sense_resistances_are_in_series():
    sol = memxbar.simulate(memxbar.Crossbar([[0.01]], r_wl=1.0, r_bl=2.0, r_driver=3.0, r_sense=4.0), np.array([2.0]))
    assert sol.output_currents[0] == pytest.approx(2.0 / (100 + 1 + 2 + 3 + 4), rel=1e-14)


def test_single_row_ladder_by_hand():
    # 1×2: V=1 V, driver segment 1 Ω to W0, 1 Ω to W1, devices 1 S each to ground.
    # Nodes: (1 - w0) = (w0 - 0) + (w0 - w1);  (w0 - w1) = w1  →  w1 = w0/2, w0 = 2/5.
    sol = memxbar.simulate(memxbar.Crossbar([[1.0, 1.0]], r_wl=1.0), np.array([1.0]))
    np.testing.assert_allclose(sol.wl_voltages[0], [0.4, 0.2], rtol=1e-14)
    np.testing.assert_allclose(sol.output_currents, [0.4, 0.2], rtol=1e-14)


def test_open_devices_carry_no_current_and_open_columns_output_zero(rng):
    g = rng.uniform(1e-6, 1e-4, (6, 5))
    g[:, 2] = 0.0
    g[3, 4] = 0.0
    sol = memxbar.simulate(memxbar.Crossbar(g, r_wl=2.0, r_bl=3.0), rng.uniform(0, 1, 6))
    assert sol.output_currents[2] == 0.0
    assert np.all(sol.device_currents[:, 2] == 0.0)
    assert sol.device_currents[3, 4] == 0.0
    # The open column's bit line carries no current, so all its nodes sit at 0 V.
    np.testing.assert_array_equal(sol.bl_voltages[:, 2], 0.0)


def test_all_devices_open():
    sol = memxbar.simulate(memxbar.Crossbar(np.zeros((3, 4)), r_wl=1.0, r_bl=1.0), np.ones(3))
    np.testing.assert_array_equal(sol.output_currents, 0.0)
    np.testing.assert_array_equal(sol.wl_voltages, 1.0)


def test_energy_is_conserved(rng):
    xbar = random_crossbar(
        rng, 9, 7, r_wl=rng.uniform(0, 3, (9, 7)), r_bl=rng.uniform(0, 3, (9, 7)), r_driver=2.0, r_sense=5.0
    )
    sol = memxbar.simulate(xbar, rng.uniform(0, 1, (9, 3)))
    parts = sol.power_devices + sol.power_word_lines + sol.power_bit_lines + sol.power_drivers + sol.power_sense
    np.testing.assert_allclose(sol.power_total, parts, rtol=1e-12)
    assert np.all(sol.power_word_lines > 0) and np.all(sol.power_sense > 0)


def test_kirchhoff_current_law_at_every_node(rng):
    xbar = random_crossbar(rng, 8, 6, r_wl=1.5, r_bl=2.5, r_driver=1.0, r_sense=0.5)
    v = rng.uniform(0, 1, 8)
    sol = memxbar.simulate(xbar, v)
    w, b, i_dev = sol.wl_voltages, sol.bl_voltages, sol.device_currents
    # Word line: current in from the left minus current out to the right equals the device current.
    w_ext = np.column_stack([v - sol.input_currents * 1.0, w, w[:, -1]])
    i_seg = np.diff(-w_ext, axis=1)[:, :-1] / 1.5
    i_seg = np.column_stack([i_seg, np.zeros(8)])
    np.testing.assert_allclose(i_seg[:, :-1] - i_seg[:, 1:], i_dev, rtol=1e-9, atol=1e-18)
    # Bit line: the last segment carries the output current through r_bl then r_sense.
    sense = sol.output_currents * 0.5
    np.testing.assert_allclose(b[-1] - sense, sol.output_currents * 2.5, rtol=1e-12)


def test_zero_segments_merge_nodes(rng):
    r_wl = rng.uniform(0.5, 2, (5, 6))
    r_wl[:, 3] = 0.0
    r_bl = rng.uniform(0.5, 2, (5, 6))
    r_bl[2, :] = 0.0
    sol = memxbar.simulate(random_crossbar(rng, 5, 6, r_wl=r_wl, r_bl=r_bl), rng.uniform(0, 1, 5))
    np.testing.assert_array_equal(sol.wl_voltages[:, 3], sol.wl_voltages[:, 2])
    np.testing.assert_array_equal(sol.bl_voltages[2, :], sol.bl_voltages[3, :])


def test_shapes_follow_the_input(rng):
    xbar = random_crossbar(rng, 4, 3, r_wl=1.0)
    single = memxbar.simulate(xbar, np.ones(4))
    batch = memxbar.simulate(xbar, np.ones((4, 2)))
    assert single.output_currents.shape == (3,) and batch.output_currents.shape == (3, 2)
    assert single.wl_voltages.shape == (4, 3) and batch.device_currents.shape == (4, 3, 2)
    assert isinstance(single.power_total, float) and batch.power_total.shape == (2,)
    np.testing.assert_allclose(batch.output_currents[:, 1], single.output_currents, rtol=1e-14)
