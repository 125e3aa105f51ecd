"""The command line with device models: `memxbar models`, --device and --device-param."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import memxbar
from memxbar.cli import main
from memxbar.devices import MODELS, get_model
from memxbar.generate import random_conductances, random_inputs


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_models_lists_every_model_with_parameters_units_defaults_ranges_and_sources():
    result = run("models")
    assert result.exit_code == 0, result.output
    for model in MODELS.values():
        assert f"{model.name}: {model.summary}" in result.output
        assert model.citation in result.output
        for p in model.parameters:
            assert any(
                line.split()[:3] == [p.name, p.unit, f"{p.default:g}"] and p.range_text() in line
                for line in result.output.splitlines()
            )


def test_models_shows_only_the_named_model():
    result = run("models", "power-law")
    assert result.exit_code == 0
    assert "power-law:" in result.output and "sinh:" not in result.output


@pytest.mark.parametrize("name", ["sinh", "power-law", "poole-frenkel"])
def test_compare_with_a_nonlinear_device_agrees(tmp_path, name):
    out = tmp_path / "cmp.json"
    result = run(
        "compare",
        "--rows",
        "12",
        "--cols",
        "10",
        "--r-wl",
        "2.5",
        "--r-bl",
        "2.5",
        "--device",
        name,
        "--json",
        str(out),
    )
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["max_rel_error"] <= 1e-9
    assert record["fast"]["device"] == repr(get_model(name))


def test_simulate_takes_per_device_parameters_from_a_file(tmp_path):
    n = np.linspace(2.0, 3.0, 20).reshape(4, 5)
    np.save(tmp_path / "n.npy", n)
    out = tmp_path / "sim.json"
    result = run(
        "simulate",
        "--rows",
        "4",
        "--cols",
        "5",
        "--r-wl",
        "1",
        "--r-bl",
        "1",
        "--seed",
        "2",
        "--device",
        "power-law",
        "--device-param",
        f"n={tmp_path / 'n.npy'}",
        "--device-param",
        "vref=0.3",
        "--json",
        str(out),
    )
    assert result.exit_code == 0, result.output
    device = get_model("power-law", n=n, vref=0.3)
    xbar = memxbar.Crossbar(random_conductances(4, 5, 1e-6, 1e-4, 2), r_wl=1.0, r_bl=1.0, device=device)
    expected = memxbar.simulate(xbar, random_inputs(4, 1, 0.5, 2)[:, 0])
    np.testing.assert_allclose(json.loads(out.read_text())["output_currents"], expected.output_currents, rtol=1e-15)


def test_netlist_writes_the_device_model():
    result = run("netlist", "--rows", "2", "--cols", "2", "--device", "poole-frenkel")
    assert result.exit_code == 0
    assert result.output.count("*exp(") == 4 and "\nRm" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--device", "memristor"], "Invalid value for '--device'"),
        (["--device", "sinh", "--device-param", "n=3"], "'n' is not a parameter of device model sinh"),
        (["--device", "sinh", "--device-param", "v0=-1"], "v0 of model sinh must be > 0 V"),
        (["--device", "sinh", "--device-param", "v0"], "is not KEY=VALUE"),
        (["--device", "sinh", "--device-param", "v0=1", "--device-param", "v0=2"], "v0 is given twice"),
        (["--device", "power-law", "--device-param", "n=n.npy"], "--device-param n: file n.npy does not exist"),
    ],
)
@pytest.mark.parametrize("command", ["simulate", "compare", "netlist"])
def test_bad_device_options_end_in_one_line_and_exit_code_2(command, args, message):
    result = CliRunner().invoke(main, [command, "--rows", "3", "--cols", "3", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0], result.output


def test_models_rejects_an_unknown_name_in_one_line():
    result = run("models", "nosuch")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: device model 'nosuch' is unknown; choose one of: " + ", ".join(MODELS)
