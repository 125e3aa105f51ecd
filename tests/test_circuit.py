"""The compiled circuit: bias conditions on every line, cells with access devices, in both backends."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

import memxbar
from memxbar.circuit.bias import scheme_bias
from memxbar.circuit.cells import get_cell
from memxbar.circuit.compile import compile_circuit
from memxbar.circuit.mosfet import GMIN, Mosfets
from memxbar.compare import relative_errors
from memxbar.errors import InputError

BACKENDS = ("fast", "spice")


@pytest.mark.parametrize("backend", BACKENDS)
def test_sneak_path_through_floating_lines_is_exact(backend: str) -> None:
    """2×2 of 10 kΩ, ideal wires, word line 0 at 1 V, bit line 0 at 0 V, the others floating: the current
    into bit line 0 is the selected device's plus the sneak path through the three others in series."""
    xbar = memxbar.Crossbar(np.full((2, 2), 1e-4))
    sol = memxbar.simulate(xbar, [1.0, 0.0], backend, floating_wl=np.array([False, True]),
                           floating_bl=np.array([False, True]))
    expected = 1 / 10e3 + 1 / 30e3
    assert sol.output_currents[0] == pytest.approx(expected, rel=1e-12)
    assert np.isnan(sol.output_currents[1]) and np.isnan(sol.input_currents[1])
    assert sol.input_currents[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("scheme", "fraction"), [("v2", 1 / 2), ("v3", 1 / 3)])
def test_write_schemes_put_the_textbook_voltage_on_half_selected_devices(backend, scheme, fraction, rng) -> None:
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (5, 6)))
    bias = scheme_bias(xbar.shape, scheme, (2, 3), 0.9)
    sol = memxbar.simulate(xbar, bias.voltages, backend, bl_voltages=bias.bl_voltages)
    v = sol.device_voltages
    assert v[2, 3] == pytest.approx(0.9, abs=1e-12)
    half = np.zeros(xbar.shape, dtype=bool)
    half[2, :] = half[:, 3] = True
    half[2, 3] = False
    np.testing.assert_allclose(v[half], 0.9 * fraction, atol=1e-12)
    unselected = np.ones(xbar.shape, dtype=bool)
    unselected[2, :] = unselected[:, 3] = False
    np.testing.assert_allclose(np.abs(v[unselected]), 0.0 if scheme == "v2" else 0.3, atol=1e-12)


def test_bit_line_driven_read_is_the_word_line_read_of_the_rotated_transposed_array(rng) -> None:
    m, n = 7, 5
    g = rng.uniform(1e-6, 1e-4, (m, n))
    r_wl, r_bl = rng.uniform(0.5, 3, (m, n)), rng.uniform(0.5, 3, (m, n))
    r_driver, r_sense = rng.uniform(1, 5, m), rng.uniform(1, 5, n)
    xbar = memxbar.Crossbar(g, r_wl=r_wl, r_bl=r_bl, r_driver=r_driver, r_sense=r_sense)
    v_bl = rng.uniform(0, 0.5, (n, 3))
    driven_from_bit_lines = memxbar.simulate(xbar, np.zeros((m, 3)), bl_voltages=v_bl)
    # Row r of the rotated array is bit line n-1-r, its column c word line m-1-c.
    rotated = memxbar.Crossbar(g[::-1, ::-1].T, r_wl=r_bl[::-1, ::-1].T, r_bl=r_wl[::-1, ::-1].T,
                               r_driver=r_sense[::-1], r_sense=r_driver[::-1])
    read = memxbar.simulate(rotated, v_bl[::-1])
    np.testing.assert_allclose(read.output_currents, -driven_from_bit_lines.input_currents[::-1], rtol=1e-12)
    np.testing.assert_allclose(read.input_currents, -driven_from_bit_lines.output_currents[::-1], rtol=1e-12)
    spice = memxbar.simulate(xbar, np.zeros((m, 3)), "spice", bl_voltages=v_bl)
    assert relative_errors(spice.input_currents, driven_from_bit_lines.input_currents).max() < 1e-9


def _level1_current(vgs: float, vds: float, p: dict[str, float]) -> float:
    """Shichman–Hodges drain current for vds ≥ 0 (independent of memxbar's code)."""
    beta = p["kp"] * p["w"] / p["l"]
    vgst = vgs - p["vto"]
    if vgst <= 0:
        return 0.0
    if vgst <= vds:
        return 0.5 * beta * vgst**2 * (1 + p["lambda"] * vds)
    return beta * vds * (vgst - 0.5 * vds) * (1 + p["lambda"] * vds)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_transistor_one_memristor_cell_matches_the_level1_equations(backend: str) -> None:
    cell = get_cell("1t1r")
    p = dict(cell.values)
    g, v_in = 1e-3, 0.6
    xbar = memxbar.Crossbar([[g]], cell=cell)

    # KCL at the internal node m: transistor current (drain at v_in, source at m, bulk at 0, gmin
    # across both junctions) equals the memristor current g·m plus the source junction's gmin·m.
    def kcl(mid: float) -> float:
        channel = _level1_current(p["v_gate"] - mid, v_in - mid, p)
        return channel - g * mid - GMIN * mid

    mid = brentq(kcl, 0.0, v_in, xtol=1e-16, rtol=1e-15)
    sol = memxbar.simulate(xbar, [v_in], backend)
    assert sol.output_currents[0] == pytest.approx(g * mid, rel=1e-10)
    assert sol.device_voltages[0, 0] == pytest.approx(mid, rel=1e-10)
    assert sol.input_currents[0] == pytest.approx(g * mid + GMIN * (mid + v_in), rel=1e-10)


@pytest.mark.parametrize("cell", ["1t1r", "1s1r"])
def test_cells_agree_with_ngspice_with_line_resistance(cell: str, rng) -> None:
    g = rng.uniform(1e-6, 1e-4, (12, 10))
    g[rng.random(g.shape) < 0.1] = 0.0
    xbar = memxbar.Crossbar(g, r_wl=1.0, r_bl=1.0, r_driver=2.0, r_sense=3.0, cell=cell)
    v = rng.uniform(-0.5, 0.5, (12, 2))
    comparison = memxbar.compare(xbar, v)
    assert comparison.max_rel_error <= 1e-9
    assert comparison.max_abs_error_volts <= 1e-9
    fast = comparison.fast
    dissipated = sum(getattr(fast, f"power_{name}") for name in
                     ("devices", "word_lines", "bit_lines", "access", "drivers", "sense"))
    np.testing.assert_allclose(fast.power_total, dissipated, rtol=1e-9)
    assert np.all(fast.power_access > 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gate_voltage_below_threshold_turns_a_row_off(backend: str, rng) -> None:
    xbar = memxbar.Crossbar(rng.uniform(1e-5, 1e-4, (4, 3)), r_wl=1.0, r_bl=1.0, cell="1t1r")
    gates = np.array([1.8, 0.0, 1.8, 0.0])
    sol = memxbar.simulate(xbar, np.full(4, 0.5), backend, gate_voltages=gates)
    off = np.abs(sol.device_currents[gates == 0]).max()
    on = np.abs(sol.device_currents[gates > 0]).min()
    assert off < 1e-11 < 1e-6 < on


def test_mosfet_jacobian_matches_finite_differences(rng) -> None:
    group = Mosfets(np.zeros((6, 4), dtype=np.int64), lambda: np.array(["M"] * 6), vto=0.5, kp=3e-4, lam=0.05,
                    width=1e-6, length=1.8e-7)
    v = np.stack([rng.uniform(-1, 1, 6), rng.uniform(0, 2, 6), rng.uniform(-1, 1, 6), np.zeros(6)], axis=1)[..., None]
    _, jac = group.evaluate(v)
    h = 1e-7
    for t in range(4):
        up, down = v.copy(), v.copy()
        up[:, t] += h
        down[:, t] -= h
        numeric = (group.evaluate(up)[0] - group.evaluate(down)[0]) / (2 * h)
        np.testing.assert_allclose(jac[:, :, t], numeric, rtol=1e-5, atol=1e-10)


def test_a_floating_island_is_refused_with_its_place() -> None:
    g = np.full((3, 3), 1e-4)
    g[1, :] = 0.0
    with pytest.raises(InputError, match=r"word line 1 .*connects to no driven terminal"):
        compile_circuit(memxbar.Crossbar(g, r_driver=1.0), floating_wl=np.array([False, True, False]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"floating_wl": [True, False]}, "floating_wl must be a boolean mask of shape \\(3,\\)"),
        ({"floating_bl": np.array([1, 0])}, "floating_bl must be a boolean mask"),
        ({"bl_voltages": np.ones(3)}, "bl_voltages must be a number, \\(2,\\)"),
        ({"floating_wl": np.array([True, False, False])}, "voltages gives word line 0 a voltage"),
        ({"gate_voltages": 1.0}, "gate_voltages apply to cells with an access transistor"),
    ],
)
def test_bad_bias_is_named(kwargs: dict, message: str) -> None:
    xbar = memxbar.Crossbar(np.full((3, 2), 1e-5))
    with pytest.raises(InputError, match=message):
        memxbar.simulate(xbar, [0.1, 0.2, 0.3], **kwargs)


def test_unknown_cell_and_parameter_are_named() -> None:
    with pytest.raises(InputError, match="cell '2t2r' is unknown"):
        memxbar.Crossbar(np.ones((2, 2)), cell="2t2r")
    with pytest.raises(InputError, match="'vt' is not a parameter of cell 1t1r"):
        get_cell("1t1r", vt=0.4)


def test_cli_compares_cells_and_writes_the_error(tmp_path) -> None:
    from click.testing import CliRunner

    from memxbar.cli import main

    for cell in ("1t1r", "1s1r"):
        out = tmp_path / f"{cell}.json"
        result = CliRunner().invoke(main, ["compare", "--rows", "8", "--cols", "8", "--r-wl", "1", "--r-bl", "1",
                                           "--cell", cell, "--json", str(out)])
        assert result.exit_code == 0, result.output
        import json

        record = json.loads(out.read_text())
        assert record["max_rel_error"] <= 1e-9 and record["fast"]["cell"].startswith(cell)
    listing = CliRunner().invoke(main, ["cells"])
    assert listing.exit_code == 0 and "1t1r" in listing.output and "v_gate" in listing.output


def test_cli_scheme_reports_selected_and_half_selected_devices(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from memxbar.cli import main

    out = tmp_path / "v2.json"
    result = CliRunner().invoke(main, ["simulate", "--rows", "6", "--cols", "5", "--scheme", "v2", "--select", "2,3",
                                       "--v-write", "1.2", "--json", str(out)])
    assert result.exit_code == 0, result.output
    scheme = json.loads(out.read_text())["scheme"]
    assert scheme["selected_voltage_V"] == pytest.approx(1.2, abs=1e-12)
    assert scheme["worst_half_selected_voltage_V"] == pytest.approx(0.6, abs=1e-12)
    assert "worst half-selected device" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--floating-wl", "0,9"], "--floating-wl: word line 9 does not exist"),
        (["--floating-bl", "a"], "is not a comma-separated list"),
        (["--scheme", "v3", "--select", "1,1"], "--scheme needs --select I,J"),
        (["--scheme", "v3", "--select", "1,1", "--v-write", "1", "--batch", "3"], "drop --inputs/--batch"),
        (["--select", "1,1"], "--select and --v-write belong to --scheme"),
        (["--scheme", "v2", "--select", "7,1", "--v-write", "1"], "select \\(7, 1\\) is outside the 4x4 array"),
        (["--cell", "1t1r", "--cell-param", "l=0"], "must be > 0"),
    ],
)
def test_cli_bias_mistakes_give_one_line(args: list[str], message: str) -> None:
    import re

    from click.testing import CliRunner

    from memxbar.cli import main

    result = CliRunner().invoke(main, ["simulate", "--rows", "4", "--cols", "4", *args])
    assert result.exit_code == 2, result.output
    assert re.search(message, result.output) and len(result.output.strip().splitlines()) == 1


def test_effective_weights_refuse_cells_with_access_devices() -> None:
    with pytest.raises(InputError, match="effective weights need a passive 1r crossbar"):
        memxbar.effective_weights(memxbar.Crossbar(np.full((3, 3), 1e-5), cell="1t1r"))


def test_ideal_references_follow_the_bit_line_voltages(rng) -> None:
    import warnings

    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (5, 6)))
    bias = scheme_bias(xbar.shape, "v2", (2, 3), 0.9)
    sol = memxbar.simulate(xbar, bias.voltages, bl_voltages=bias.bl_voltages)
    # Ideal wires: the circuit is its own ideal reference, whatever the bit-line voltages.
    assert sol.relative_deviation < 1e-12
    expected = xbar.conductances.T @ bias.voltages - xbar.conductances.sum(axis=0) * bias.bl_voltages
    np.testing.assert_allclose(sol.ideal_currents, expected, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        some = memxbar.simulate(xbar, np.r_[1.0, np.zeros(4)], floating_bl=np.arange(6) > 0)
        assert np.isfinite(some.relative_deviation) and np.isnan(some.ideal_currents[1:]).all()
        every = memxbar.simulate(xbar, np.ones(5), floating_bl=np.ones(6, dtype=bool))
        assert np.isnan(every.relative_deviation)


def test_a_number_for_bit_lines_applies_to_the_driven_ones_and_huge_values_are_refused() -> None:
    xbar = memxbar.Crossbar(np.full((2, 3), 1e-4))
    sol = memxbar.simulate(xbar, [0.0, 0.0], bl_voltages=0.5, floating_bl=np.array([False, True, False]))
    # Word lines at 0 V through ideal wires: each device of a driven bit line carries 0.5 V · 1e-4 S back.
    assert np.isnan(sol.output_currents[1]) and sol.output_currents[0] == pytest.approx(-2 * 0.5e-4, rel=1e-12)
    with pytest.raises(InputError, match="bl_voltages reaches 1e\\+200 V"):
        memxbar.simulate(xbar, [0.0, 0.0], bl_voltages=1e200)
    with pytest.raises(InputError, match="bl_voltages must be a number.*got None"):
        memxbar.simulate(xbar, [0.0, 0.0], bl_voltages=None)


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("netlist", ["--gate-voltages", "1.0"], "gate_voltages apply to cells with an access transistor"),
        ("simulate", ["--floating-wl", "1,1"], "word line 1 is listed twice"),
        ("simulate", ["--scheme", "v2", "--select", "1,1", "--v-write", "1", "--v-max", "0.2"],
         "drop --inputs/--batch/--v-max"),
        ("simulate", ["--cell", "1t1r", "--cell-param", "vto=abc"], "cell parameter vto of cell 1t1r"),
        ("simulate", ["--scheme", "v3", "--select", "1,1", "--v-write", "1e300"], "v_write is 1e\\+300 V"),
    ],
)
def test_more_cli_bias_mistakes_give_one_line(command: str, args: list[str], message: str) -> None:
    import re

    from click.testing import CliRunner

    from memxbar.cli import main

    result = CliRunner().invoke(main, [command, "--rows", "4", "--cols", "4", *args])
    assert result.exit_code == 2, result.output
    assert re.search(message, result.output) and len(result.output.strip().splitlines()) == 1


def test_cli_inputs_file_with_a_voltage_on_a_floating_line_is_refused(tmp_path) -> None:
    from click.testing import CliRunner

    from memxbar.cli import main

    inputs = tmp_path / "v.csv"
    inputs.write_text("0.1\n0.2\n0.3\n")
    result = CliRunner().invoke(main, ["simulate", "--rows", "3", "--cols", "2", "--inputs", str(inputs),
                                       "--floating-wl", "1"])
    assert result.exit_code == 2 and "gives word line 1 a voltage" in result.output
