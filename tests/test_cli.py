"""The command line, run through click's test runner with the real backends."""

from __future__ import annotations

import json
import re

import numpy as np
from click.testing import CliRunner

import memxbar
from memxbar.cli import main
from memxbar.generate import random_conductances, random_inputs
from memxbar.solver.linalg import pardiso_available


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_simulate_json_holds_the_api_result(tmp_path):
    out = tmp_path / "sim.json"
    invoke("simulate", "--rows", "6", "--cols", "5", "--r-wl", "1", "--r-bl", "2", "--seed", "4", "--json", str(out))
    record = json.loads(out.read_text())
    xbar = memxbar.Crossbar(random_conductances(6, 5, 1e-6, 1e-4, 4), r_wl=1.0, r_bl=2.0)
    expected = memxbar.simulate(xbar, random_inputs(6, 1, 0.5, 4)[:, 0])
    np.testing.assert_allclose(record["output_currents"], expected.output_currents, rtol=1e-15)
    assert record["power_total_watts"] == expected.power_total
    assert record["backend"] == "fast" and record["rows"] == 6 and record["batch"] is None


def test_simulate_outputs_only_by_each_method_matches_the_full_solution(tmp_path):
    common = ["simulate", "--rows", "12", "--cols", "9", "--r-wl", "2", "--r-bl", "1", "--batch", "3", "--seed", "5"]
    full_json = tmp_path / "full.json"
    invoke(*common, "--json", str(full_json))
    full = json.loads(full_json.read_text())
    for method in ("direct", "weights", "iterative"):
        out, arrays = tmp_path / f"{method}.json", tmp_path / f"{method}.npz"
        result = invoke(*common, "--outputs-only", "--method", method, "--tol", "1e-12", "--json", str(out),
                        "--npz", str(arrays))
        assert f"backend fast ({method})" in result.output and "not computed (outputs only)" in result.output
        record = json.loads(out.read_text())
        assert record["method"] == method and record["outputs_only"] and record["power_devices_watts"] is None
        np.testing.assert_allclose(record["output_currents"], full["output_currents"], rtol=1e-9)
        np.testing.assert_allclose(record["power_total_watts"], full["power_total_watts"], rtol=1e-9)
        with np.load(arrays) as saved:
            assert "output_currents" in saved and "wl_voltages" not in saved


def test_weights_file_times_inputs_gives_the_simulated_outputs(tmp_path):
    common = ["--rows", "7", "--cols", "10", "--r-wl", "1.5", "--r-bl", "0.5", "--r-sense", "2", "--seed", "3"]
    for name in ("t.npy", "t.csv"):
        result = invoke("weights", *common, "-o", str(tmp_path / name))
        assert "effective weights (10, 7) S" in result.output
    t = np.load(tmp_path / "t.npy")
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "t.csv", delimiter=","), t)
    sim = tmp_path / "sim.json"
    invoke("simulate", *common, "--batch", "4", "--json", str(sim))
    record = json.loads(sim.read_text())
    outputs = t @ np.array(record["voltages_volts"])
    np.testing.assert_allclose(outputs, record["output_currents"], rtol=1e-10)


def test_compare_json_reports_agreement(tmp_path):
    out = tmp_path / "cmp.json"
    result = invoke(
        "compare",
        "--rows",
        "10",
        "--cols",
        "7",
        "--r-wl",
        "2",
        "--r-bl",
        "2",
        "--batch",
        "3",
        "--json",
        str(out),
        "--plot",
        str(tmp_path / "cmp.png"),
    )
    record = json.loads(out.read_text())
    assert record["max_rel_error"] <= 1e-9
    for key in ("max_abs_error_volts", "spice_seconds", "fast_seconds", "max_abs_error_amperes"):
        assert record[key] >= 0
    assert np.shape(record["spice"]["output_currents"]) == (7, 3)
    assert "max relative error" in result.output
    assert (tmp_path / "cmp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_problem_in_every_command(tmp_path):
    common = ["--rows", "5", "--cols", "4", "--r-wl", "1.5", "--r-bl", "0.5", "--seed", "11"]
    invoke("netlist", *common, "-o", str(tmp_path / "x.cir"))
    invoke("simulate", *common, "--backend", "spice", "--json", str(tmp_path / "s.json"))
    invoke("compare", *common, "--json", str(tmp_path / "c.json"))
    text = (tmp_path / "x.cir").read_text()
    netlist_v = [float(v) for v in re.findall(r"^Vin\d+ \S+ 0 DC (\S+)$", text, re.M)]
    spice = json.loads((tmp_path / "s.json").read_text())
    compared = json.loads((tmp_path / "c.json").read_text())
    assert netlist_v == spice["voltages_volts"] == compared["fast"]["voltages_volts"]
    assert spice["output_currents"] == compared["spice"]["output_currents"]


def test_files_for_conductances_inputs_and_segments(tmp_path):
    rng = np.random.default_rng(5)
    g = rng.uniform(1e-6, 1e-4, (4, 3))
    v = rng.uniform(0, 1, (4, 2))
    r_wl = rng.uniform(0, 2, (4, 3))
    np.save(tmp_path / "g.npy", g)
    np.savetxt(tmp_path / "v.csv", v, delimiter=",")
    np.savetxt(tmp_path / "rwl.csv", r_wl, delimiter=",")
    invoke(
        "simulate",
        "--conductances",
        str(tmp_path / "g.npy"),
        "--inputs",
        str(tmp_path / "v.csv"),
        "--r-wl",
        str(tmp_path / "rwl.csv"),
        "--r-sense",
        "2",
        "--json",
        str(tmp_path / "o.json"),
        "--npz",
        str(tmp_path / "o.npz"),
        "--plot",
        str(tmp_path / "o.png"),
    )
    expected = memxbar.simulate(memxbar.Crossbar(g, r_wl=r_wl, r_sense=2.0), v)
    record = json.loads((tmp_path / "o.json").read_text())
    np.testing.assert_allclose(record["output_currents"], expected.output_currents, rtol=1e-12)
    arrays = np.load(tmp_path / "o.npz")
    assert arrays["wl_voltages"].shape == (4, 3, 2)
    np.testing.assert_allclose(arrays["device_currents"], expected.device_currents, rtol=1e-12)


def test_netlist_to_stdout_and_doctor():
    result = invoke("netlist", "--rows", "2", "--cols", "2")
    assert result.output.startswith("* memxbar crossbar") and result.output.rstrip().endswith(".end")
    doctor = invoke("doctor")
    assert re.search(r"ngspice\s+\d+ \(ok\)", doctor.output) and re.search(r"KLU\s+yes", doctor.output)
    assert re.search(r"PARDISO\s+" + ("yes" if pardiso_available() else "no"), doctor.output)


def test_force_overwrites_only_when_asked(tmp_path):
    out = tmp_path / "x.cir"
    invoke("netlist", "--rows", "2", "--cols", "2", "-o", str(out))
    first = out.read_text()
    invoke("netlist", "--rows", "3", "--cols", "2", "-o", str(out), "--force")
    assert out.read_text() != first
