"""Neural-network hardware: mapping round trips, tiling, nonideality statistics, energy bookkeeping,
and inference through the circuit against independent references (digital products, ngspice)."""

from __future__ import annotations

import numpy as np
import pytest

import memxbar
from memxbar.devices import get_model
from memxbar.errors import InputError
from memxbar.nn import nonidealities as nid
from memxbar.nn.devices import HIGH_R, LOW_R, DeviceSet
from memxbar.nn.energy import energy_breakdown, operations, tops_per_watt
from memxbar.nn.mapping import (
    Mapping,
    conductance_scale,
    conductances_to_weights,
    currents_to_outputs,
    tiles,
    weights_to_conductances,
)
from memxbar.nn.network import Hardware, digital_forward, program

OHMIC = DeviceSet("ohmic", 1e-6, 1e-4)
CONTEXT = nid.Context(OHMIC, Mapping())


def _weights(rng, sizes=(12, 7, 4)):
    return [rng.normal(0, 0.8, (k + 1, n)) for k, n in zip(sizes[:-1], sizes[1:], strict=True)]


@pytest.mark.parametrize("scheme", ["differential", "offset"])
def test_mapping_round_trip_and_range(rng, scheme):
    w = rng.normal(size=(9, 5))
    k_g = conductance_scale(w, LOW_R.g_off, LOW_R.g_on, scheme)
    g = weights_to_conductances(w, k_g, LOW_R.g_off, LOW_R.g_on, scheme)
    assert g.shape == ((9, 10) if scheme == "differential" else (9, 6))
    assert g.min() >= LOW_R.g_off * (1 - 1e-12) and g.max() <= LOW_R.g_on * (1 + 1e-12)
    assert np.isclose(g.max(), LOW_R.g_on, rtol=1e-12) or np.isclose(g.min(), LOW_R.g_off, rtol=1e-12)
    np.testing.assert_allclose(conductances_to_weights(g, k_g, scheme), w, rtol=1e-10, atol=1e-12)
    # Ideal read: currents Gᵀ·V back to outputs give x·w exactly.
    x = rng.uniform(0, 1, (3, 9))
    y = currents_to_outputs((0.5 * x) @ g, k_g, 0.5, scheme)
    np.testing.assert_allclose(y, x @ w, rtol=1e-9, atol=1e-12)


def test_tiles_cover_the_matrix_once():
    mapping = Mapping(tile_rows=4, tile_cols=6)
    covered = np.zeros((10, 7), dtype=int)
    for tile in tiles(10, 7, mapping):
        covered[tile.rows, tile.neurons] += 1
        assert tile.rows.stop - tile.rows.start <= 4 and tile.neurons.stop - tile.neurons.start <= 3
    assert (covered == 1).all()


@pytest.mark.parametrize("mapping", [Mapping(), Mapping(tile_rows=5, tile_cols=4),
                                     Mapping(scheme="offset", tile_rows=6, tile_cols=3)], ids=repr)
def test_ideal_crossbars_compute_the_digital_network(rng, mapping):
    """Ohmic devices and ideal wires: the circuit computes x·W exactly, tiled or not."""
    weights = _weights(rng)
    x = rng.uniform(0, 1, (5, 12))
    result = program(weights, Hardware(OHMIC, mapping=mapping), rng).infer(x)
    np.testing.assert_allclose(result.outputs, digital_forward(weights, x), rtol=1e-10, atol=1e-12)
    assert result.operations == operations(13, 7) + operations(8, 4)


def test_tiling_with_line_resistance_sums_separate_tile_solves(rng):
    """A tiled layer with resistive lines equals the digital sum of each tile's own circuit solve."""
    w = rng.normal(size=(10, 3))
    mapping = Mapping(tile_rows=4, tile_cols=4)
    hardware = Hardware(OHMIC, r_line=50.0, mapping=mapping)
    x = rng.uniform(0, 1, (6, 9))
    net = program([w], hardware, np.random.default_rng(1))
    k_g = net.layers[0].k_g
    v = 0.5 * np.hstack([x, np.ones((6, 1))])
    expected = np.zeros((6, 3))
    for tile in tiles(10, 3, mapping):
        g = weights_to_conductances(w[tile.rows, tile.neurons], k_g, OHMIC.g_off, OHMIC.g_on, "differential")
        i = memxbar.simulate(memxbar.Crossbar(g, r_wl=50.0, r_bl=50.0), v[:, tile.rows].T).output_currents.T
        expected[:, tile.neurons] += currents_to_outputs(i, k_g, 0.5, "differential")
    np.testing.assert_allclose(net.infer(x).outputs, expected, rtol=1e-12)
    untiled = program([w], Hardware(OHMIC, r_line=50.0), np.random.default_rng(1)).infer(x).outputs
    assert not np.allclose(untiled, expected, rtol=1e-6)  # IR drop depends on the array size


def test_device_set_nonlinearity_draws():
    n = HIGH_R.sample_n((400, 500), np.random.default_rng(0))
    assert n.min() >= 2.0
    # Truncated normal at 2 (a = (2 - 2.989)/0.369): mean 2.989 + 0.369·φ(a)/(1 − Φ(a)).
    from scipy.stats import truncnorm

    a = (2.0 - HIGH_R.n_mean) / HIGH_R.n_std
    assert abs(n.mean() - truncnorm.mean(a, np.inf, HIGH_R.n_mean, HIGH_R.n_std)) < 3e-3
    assert abs(n.std() - truncnorm.std(a, np.inf, HIGH_R.n_mean, HIGH_R.n_std)) < 3e-3
    assert OHMIC.model(OHMIC.sample_n((2, 2), np.random.default_rng(0))).linear


def test_device_variability_is_lognormal_with_state_dependent_spread():
    rng = np.random.default_rng(0)
    model = nid.DeviceVariability(sigma_on=0.2, sigma_off=0.4)
    for g0, sigma in ((OHMIC.g_on, 0.2), (OHMIC.g_off, 0.4)):
        g = np.full(200_000, g0)
        log_ratio = np.log(model.apply(g, model.sample(g.shape, rng), CONTEXT) / g0)
        assert abs(log_ratio.mean()) < 3e-3 and abs(log_ratio.std() - sigma) < 3e-3


def test_stuck_devices_fractions_and_values():
    rng = np.random.default_rng(0)
    model = nid.StuckDevices(fraction_on=0.05, fraction_off=0.1)
    g = np.full(200_000, 5e-5)
    out = model.apply(g, model.sample(g.shape, rng), CONTEXT)
    assert abs(np.mean(out == OHMIC.g_on) - 0.05) < 3e-3
    assert abs(np.mean(out == OHMIC.g_off) - 0.1) < 3e-3
    assert np.mean(out == 5e-5) == pytest.approx(1 - np.mean(out != 5e-5))


def test_programming_error_finite_levels_and_drift():
    rng = np.random.default_rng(0)
    span = OHMIC.g_on - OHMIC.g_off
    error = nid.ProgrammingError(0.02)
    g = np.full(200_000, 5e-5)
    assert abs((error.apply(g, error.sample(g.shape, rng), CONTEXT) - g).std() / span - 0.02) < 3e-4
    levels = nid.FiniteLevels(5)
    g = rng.uniform(OHMIC.g_off, OHMIC.g_on, 10_000)
    snapped = levels.apply(g, None, CONTEXT)
    np.testing.assert_allclose(np.unique(snapped), np.linspace(OHMIC.g_off, OHMIC.g_on, 5), rtol=1e-12)
    assert np.abs(snapped - g).max() <= span / 8 * (1 + 1e-12)
    drift = nid.Drift(time=100.0, t0=1.0, nu_mean=0.05)
    np.testing.assert_allclose(drift.apply(g, drift.sample(g.shape, rng), CONTEXT), g * 100.0**-0.05, rtol=1e-12)


def test_read_noise_is_fresh_and_has_the_device_current_spread():
    rng = np.random.default_rng(0)
    g = rng.uniform(OHMIC.g_off, OHMIC.g_on, (6, 2))
    v = rng.uniform(0, 0.5, (1, 6))
    context = nid.Context(OHMIC, Mapping(), g, np.repeat(v, 100_000, axis=0))
    model = nid.ReadNoise(0.05)
    i = np.repeat(v @ g, 100_000, axis=0)
    first = model.apply(i, model.sample(i.shape, rng), context)
    second = model.apply(i, model.sample(i.shape, rng), context)
    expected = 0.05 * np.sqrt((v**2) @ (g**2))[0]
    np.testing.assert_allclose((first - i).std(axis=0), expected, rtol=0.01)
    assert not np.allclose(first, second)


def test_converters_quantize_and_clip():
    x = np.array([[-0.2, 0.0, 0.26, 0.5, 0.74, 1.0, 1.3]])
    np.testing.assert_allclose(nid.DAC(2).apply(x, None, CONTEXT), [[0, 0, 1 / 3, 2 / 3, 2 / 3, 1, 1]])
    g = np.full((4, 2), OHMIC.g_on)
    context = nid.Context(OHMIC, Mapping(v_read=0.5), g, None)
    full = 0.5 * OHMIC.g_on * 4
    i = np.array([[0.1 * full, 2 * full]])
    np.testing.assert_allclose(nid.ADC(1).apply(i, None, context), [[0.0, full]])
    with pytest.raises(InputError, match="ADC: bits"):
        nid.ADC(0)
    with pytest.raises(InputError, match="repeated: DAC"):
        nid.compose([nid.DAC(4), nid.DAC(6)])
    order = nid.compose([nid.ADC(), nid.StuckDevices(0.1), nid.FiniteLevels(), nid.DAC()])
    assert [type(item).__name__ for item in order] == ["DAC", "FiniteLevels", "StuckDevices", "ADC"]


def test_programming_is_seeded(rng):
    weights = _weights(rng)
    hardware = Hardware(HIGH_R, r_line=1.0, nonidealities=(nid.DeviceVariability(0.1), nid.StuckDevices(0.02)))
    first = program(weights, hardware, np.random.default_rng(3))
    again = program(weights, hardware, np.random.default_rng(3))
    other = program(weights, hardware, np.random.default_rng(4))
    a, b, c = (net.layers[0].crossbars[0] for net in (first, again, other))
    np.testing.assert_array_equal(a.conductances, b.conductances)
    np.testing.assert_array_equal(a.device.values["n"], b.device.values["n"])
    assert not np.array_equal(a.conductances, c.conductances)


@pytest.mark.parametrize("device", [get_model("ohmic"), get_model("power-law", n=2.9)], ids=repr)
def test_energy_bookkeeping_devices_plus_wires_equal_source_power(rng, device):
    xbar = memxbar.Crossbar(rng.uniform(LOW_R.g_off, LOW_R.g_on, (8, 6)), r_wl=1.0, r_bl=1.5, r_driver=2.0,
                            r_sense=0.5, device=device)
    parts = energy_breakdown(memxbar.simulate(xbar, rng.uniform(0, 0.5, (8, 4))), 1e-8)
    dissipated = parts["devices"] + parts["word_lines"] + parts["bit_lines"] + parts["drivers"] + parts["sense"]
    np.testing.assert_allclose(dissipated, parts["total"], rtol=1e-10)
    assert (parts["word_lines"] > 0).all() and (parts["devices"] > parts["word_lines"]).all()


def test_inference_energy_and_tops_per_watt_match_the_circuit(rng):
    w = rng.normal(size=(6, 2))
    hardware = Hardware(LOW_R, r_line=0.0)
    x = rng.uniform(0, 1, (3, 5))
    net = program([w], hardware, np.random.default_rng(0))
    result = net.infer(x)
    xbar = net.layers[0].crossbars[0]
    v = 0.5 * np.hstack([x, np.ones((3, 1))]).T
    # Ideal wires: each device sees V_i, so the power is Σ_ij V_i·I(V_i; G_ij, n_ij).
    power = (v[:, None, :] * xbar.device.current(np.repeat(v[:, None, :], 4, axis=1), xbar.conductances)).sum((0, 1))
    assert result.energy_per_inference == pytest.approx(power.mean() * 10e-9, rel=1e-12)
    assert result.tops_per_watt == pytest.approx(tops_per_watt(2 * 6 * 2, power.mean() * 10e-9), rel=1e-12)


def test_fast_and_spice_inference_agree(rng):
    weights = _weights(rng, (6, 4, 3))
    net = program(weights, Hardware(HIGH_R, r_line=2.0), np.random.default_rng(0))
    x = rng.uniform(0, 1, (3, 6))
    fast, spice = net.infer(x), net.infer(x, backend="spice")
    np.testing.assert_allclose(spice.outputs, fast.outputs, rtol=1e-9, atol=1e-9 * np.abs(fast.outputs).max())
    assert spice.energy_per_inference == pytest.approx(fast.energy_per_inference, rel=1e-9)


def test_bad_input_names_the_parameter(rng):
    with pytest.raises(InputError, match="g_off < g_on"):
        DeviceSet("bad", 1e-4, 1e-6)
    with pytest.raises(InputError, match="scheme"):
        Mapping(scheme="single")
    with pytest.raises(InputError, match="r_line"):
        Hardware(OHMIC, r_line=-1.0)
    net = program(_weights(rng), Hardware(OHMIC, nonidealities=(nid.ReadNoise(0.01),)), rng)
    with pytest.raises(InputError, match="x must be"):
        net.infer(np.ones((2, 5)))
    with pytest.raises(InputError, match="rng is needed"):
        net.infer(np.ones((2, 12)))


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_from_the_users_idx_files_and_npz(tmp_path, rng):
    from memxbar.nn.data import MNIST_FILES, load_mnist

    images = rng.integers(0, 256, (5, 28, 28))
    labels = rng.integers(0, 10, 5)
    arrays = {"x_train": images, "y_train": labels, "x_test": images[:2], "y_test": labels[:2]}
    for key, stem in MNIST_FILES.items():
        _write_idx(tmp_path / stem, arrays[key])
    data = load_mnist(tmp_path)
    assert data.x_train.shape == (5, 784) and data.features == 784
    np.testing.assert_allclose(data.x_train[1], images[1].ravel() / 255.0)
    np.testing.assert_array_equal(data.y_test, labels[:2])
    np.savez(tmp_path / "mnist.npz", **arrays)
    np.testing.assert_allclose(load_mnist(tmp_path / "mnist.npz").x_test, data.x_test)
    (tmp_path / MNIST_FILES["y_test"]).write_bytes(b"\x00\x00\x0d\x01")
    with pytest.raises(InputError, match="not an IDX file"):
        load_mnist(tmp_path)
    with pytest.raises(InputError, match="directory of MNIST IDX files"):
        load_mnist(tmp_path / "missing")
