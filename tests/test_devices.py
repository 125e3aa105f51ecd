"""Device models: their equations, parameters, errors and Verilog-A sources."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import constants

import memxbar
from memxbar.devices import MODELS, get_model
from memxbar.errors import InputError

STATIC = ["ohmic", "sinh", "power-law", "poole-frenkel"]
VOLTAGES = np.concatenate([-np.geomspace(1.0, 1e-4, 40), [0.0], np.geomspace(1e-4, 1.0, 40)])


@pytest.mark.parametrize("device", [get_model(name) for name in STATIC] + [get_model("power-law", n=2.9)], ids=repr)
def test_slope_is_the_derivative_of_the_current(device):
    g = 3e-5
    v = VOLTAGES[VOLTAGES != 0]
    h = 1e-6 * np.abs(v)
    numeric = (device.current(v + h, g) - device.current(v - h, g)) / (2 * h)
    np.testing.assert_allclose(device.slope(v, g), numeric, rtol=1e-7)


@pytest.mark.parametrize(
    ("device", "slope_at_zero"),
    [("ohmic", 1.0), ("sinh", 1.0), ("poole-frenkel", 1.0), (get_model("power-law", n=2.0), 1.0), ("power-law", 0.0)],
)
def test_current_and_slope_are_exact_at_zero_volts(device, slope_at_zero):
    model = memxbar.Crossbar([[1e-4]], device=device).device
    assert model.current(np.zeros(3), 2e-5).tolist() == [0.0, 0.0, 0.0]
    assert model.slope(np.zeros(1), 2e-5)[0] == slope_at_zero * 2e-5


@pytest.mark.parametrize("name", STATIC)
def test_currents_are_odd_in_voltage(name):
    device = get_model(name)
    np.testing.assert_array_equal(device.current(-VOLTAGES, 1e-4), -device.current(VOLTAGES, 1e-4))


def test_sinh_follows_its_definition():
    device = get_model("sinh", v0=0.3)
    np.testing.assert_allclose(device.current(VOLTAGES, 2e-5), 2e-5 * 0.3 * np.sinh(VOLTAGES / 0.3), rtol=1e-15)


@pytest.mark.parametrize("n", [2.0, 2.132, 2.989, 4.0])
def test_power_law_nonlinearity_is_n_at_every_voltage_and_ohmic_at_vref(n):
    device = get_model("power-law", n=n, vref=0.2)
    v = np.geomspace(1e-3, 0.5, 25)
    np.testing.assert_allclose(device.current(2 * v, 1e-4) / device.current(v, 1e-4), n, rtol=1e-12)
    assert device.current(np.array([0.2, -0.2]), 1e-4) == pytest.approx([1e-4 * 0.2, -1e-4 * 0.2], rel=1e-15)


def test_poole_frenkel_is_the_papers_equation_at_20_celsius():
    d_eps = 3e-17
    device = get_model("poole-frenkel", d_eps=d_eps)
    q, k, t = constants.e, constants.k, 293.15
    v = np.abs(VOLTAGES)
    expected = 5e-5 * v * np.exp(q / (k * t) * np.sqrt(q * v / (np.pi * d_eps)))
    np.testing.assert_allclose(device.current(v, 5e-5), expected, rtol=1e-13)


def test_poole_frenkel_tends_to_ohmic_for_thick_films():
    device = get_model("poole-frenkel", d_eps=1e30)
    np.testing.assert_allclose(device.current(VOLTAGES, 1e-4), 1e-4 * VOLTAGES, rtol=1e-9, atol=0)


def test_per_device_parameters_apply_to_their_own_device(rng):
    n = rng.uniform(2.0, 3.5, (3, 4))
    g = rng.uniform(1e-6, 1e-4, (3, 4))
    v = rng.uniform(-0.5, 0.5, (3, 4, 5))
    per_device = get_model("power-law", n=n).current(v, g)
    for i, j in np.ndindex(3, 4):
        single = get_model("power-law", n=n[i, j]).current(v[i, j], g[i, j])
        np.testing.assert_array_equal(per_device[i, j], single)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("memristor", {}, "device model 'memristor' is unknown; choose one of: ohmic, sinh"),
        ("sinh", {"n": 3.0}, "'n' is not a parameter of device model sinh; its parameters are: v0"),
        ("ohmic", {"v0": 1.0}, "its parameters are: none"),
        ("sinh", {"v0": 0.0}, "v0 of model sinh must be > 0 V, got 0 V"),
        ("power-law", {"n": 1.99}, "n of model power-law must be >= 2, got 1.99"),
        ("power-law", {"n": np.array([[3.0, 1.0]])}, "must be >= 2, got 1"),
        ("power-law", {"n": [3.0, 4.0]}, "a number or an (M, N) per-device array"),
        ("poole-frenkel", {"temperature": -1.0}, "temperature of model poole-frenkel must be > 0 K"),
        ("poole-frenkel", {"d_eps": np.nan}, "d_eps of model poole-frenkel contains 1 NaN"),
        ("sinh", {"v0": "big"}, "v0 of model sinh must be numbers (an array or a number), got str"),
    ],
)
def test_bad_models_and_parameters_are_named(name, params, message):
    with pytest.raises(InputError, match=re.escape(message)):
        get_model(name, **params)


def test_boundary_values_of_closed_ranges_are_accepted():
    assert float(get_model("power-law", n=2).values["n"]) == 2.0


def test_crossbar_checks_the_shape_of_per_device_parameters():
    with pytest.raises(InputError, match=r"n of model power-law has shape \(3, 2\); expected a scalar or \(2, 3\)"):
        memxbar.Crossbar(np.full((2, 3), 1e-5), device=get_model("power-law", n=np.full((3, 2), 3.0)))
    with pytest.raises(InputError, match="device must be a model name"):
        memxbar.Crossbar(np.full((2, 3), 1e-5), device=3)
    assert memxbar.Crossbar([[1e-5]], device="sinh").device.name == "sinh"


def test_parameter_values_are_read_only():
    device = get_model("power-law", n=np.full((2, 2), 3.0))
    with pytest.raises(ValueError, match="read-only"):
        device.values["n"][0, 0] = 2.5
    with pytest.raises(TypeError):
        device.values["vref"] = np.array(1.0)


@pytest.mark.parametrize("name", STATIC)
def test_verilog_a_source_declares_g_and_every_parameter_with_its_default(name):
    model = MODELS[name]
    text = model.verilog_a_path().read_text()
    assert re.search(rf"^module memxbar_{name.replace('-', '_')}\(te, be\);$", text, re.MULTILINE)
    declared = dict(re.findall(r"parameter real (\w+) = ([-+.\deE]+)", text))
    assert set(declared) == {"G"} | {p.name for p in model.parameters}
    for p in model.parameters:
        assert float(declared[p.name]) == pytest.approx(p.default, rel=1e-12)
    assert "I(te, be) <+" in text
