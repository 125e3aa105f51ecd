"""A user's own Verilog-A file as a crossbar device: compiled to OSDI, run by both backends."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from memxbar.cli import main
from memxbar.crossbar import Crossbar
from memxbar.devices import MODELS, get_model
from memxbar.devices.base import VERILOG_A_DIRECTORY
from memxbar.devices.verilog_a import from_verilog_a
from memxbar.errors import InputError
from memxbar.iv.integrate import integrate_states
from memxbar.iv.stimulus import Stimulus
from memxbar.osdi.compiler import VerilogACompileError, compile_verilog_a, find_compiler
from memxbar.simulate import simulate

pytestmark = pytest.mark.skipif(
    find_compiler() is None, reason="no Verilog-A compiler: pip install 'memxbar[verilog-a]'"
)

CUBIC = """// A user's device: I = G*V + b*V^3.
`include "disciplines.vams"
module user_cubic(p, n);
    inout p, n;
    electrical p, n;
    (* type="instance", units="S", desc="conductance at 0 V" *) parameter real G = 1e-5 from [0:inf);
    (* type="instance", units="A/V^3" *) parameter real b = 2e-6 from [0:inf);
    analog begin
        I(p, n) <+ G * V(p, n) + b * pow(V(p, n), 3);
    end
endmodule
"""


def write(tmp_path, text, name="user.va"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def cubic(tmp_path):
    return write(tmp_path, CUBIC, "cubic.va")


def test_compiled_model_evaluates_the_file_exactly(cubic):
    model = from_verilog_a(cubic, b=3e-6)
    v = np.linspace(-1.5, 1.5, 31)
    assert np.abs(model.current(v, 2e-5) - (2e-5 * v + 3e-6 * v**3)).max() <= 1e-12 * 2e-5
    np.testing.assert_allclose(model.slope(v, 2e-5), 2e-5 + 9e-6 * v**2, rtol=1e-13)
    assert [p.name for p in model.parameters] == ["b"]
    assert model.parameters[0].unit == "A/V^3" and model.parameters[0].default == 2e-6


def test_sinh_file_matches_the_numpy_model():
    model = from_verilog_a(VERILOG_A_DIRECTORY / "sinh.va", v0=0.3)
    g = np.random.default_rng(1).uniform(1e-6, 1e-4, (8, 5))
    v = np.random.default_rng(2).uniform(-1, 1, (8, 5, 3))
    reference = get_model("sinh", v0=0.3)
    np.testing.assert_allclose(model.current(v, g), reference.current(v, g), rtol=1e-12, atol=0)
    np.testing.assert_allclose(model.slope(v, g), reference.slope(v, g), rtol=1e-12, atol=0)


def test_per_device_instance_parameters_agree_in_both_backends(cubic):
    rng = np.random.default_rng(3)
    b = rng.uniform(0, 5e-5, (6, 7))
    crossbar = Crossbar(rng.uniform(1e-6, 1e-4, (6, 7)), r_wl=2.0, r_bl=1.5, device=from_verilog_a(cubic, b=b))
    voltages = rng.uniform(-0.8, 0.8, 6)
    fast = simulate(crossbar, voltages, backend="fast").output_currents
    spice = simulate(crossbar, voltages, backend="spice").output_currents
    assert np.abs(fast - spice).max() <= 1e-9 * np.abs(fast).max()
    ideal_devices = Crossbar(crossbar.conductances, r_wl=2.0, r_bl=1.5, device=from_verilog_a(cubic, b=0.0))
    linear = Crossbar(crossbar.conductances, r_wl=2.0, r_bl=1.5)
    assert np.allclose(simulate(ideal_devices, voltages).output_currents, simulate(linear, voltages).output_currents,
                       rtol=1e-12)


def test_netlist_runs_in_ngspice_batch_as_written(tmp_path, cubic):
    netlist = tmp_path / "x.cir"
    args = ["--rows", "3", "--cols", "4", "--r-wl", "1", "--r-bl", "1", "--device-file", str(cubic)]
    result = CliRunner().invoke(main, ["netlist", *args, "-o", str(netlist)])
    assert result.exit_code == 0, result.output
    assert "pre_osdi" in netlist.read_text()
    run = subprocess.run([shutil.which("ngspice") or "ngspice", "-b", str(netlist)], capture_output=True, text=True,
                         timeout=60, check=False)
    row = next(line for line in run.stdout.splitlines() if line.startswith("0\t"))
    batch = np.array([float(x) for x in row.split()[1:]])
    out = tmp_path / "s.json"
    result = CliRunner().invoke(main, ["simulate", *args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    fast = np.array(json.loads(out.read_text())["output_currents"]).ravel()
    np.testing.assert_allclose(batch, fast, rtol=1e-5)  # .print writes 7 digits


def test_compare_and_simulate_take_a_device_file(tmp_path, cubic):
    out = tmp_path / "c.json"
    args = ["--rows", "10", "--cols", "9", "--r-wl", "1", "--r-bl", "1", "--device-file", str(cubic)]
    result = CliRunner().invoke(main, ["compare", *args, "--device-param", "b=1e-5", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["max_rel_error"] <= 1e-9
    for backend in ("fast", "spice"):
        result = CliRunner().invoke(main, ["simulate", *args, "--backend", backend])
        assert result.exit_code == 0, result.output


def test_models_lists_the_file_parameters(cubic):
    result = CliRunner().invoke(main, ["models", "--device-file", str(cubic)])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.split()[:1] == ["b"])
    assert line.split()[:4] == ["b", "A/V^3", "2e-06", "[0,"]


def test_compiler_errors_name_file_line_and_column(tmp_path):
    path = write(tmp_path, CUBIC.replace("b * pow", "undefined_thing * pow"))
    with pytest.raises(VerilogACompileError, match=rf"{path}:9:34: error: 'undefined_thing' was not found"):
        compile_verilog_a(path)
    result = CliRunner().invoke(main, ["simulate", "--rows", "2", "--cols", "2", "--device-file", str(path)])
    assert result.exit_code == 2 and "9:34" in result.output and "Traceback" not in result.output


def test_compiled_objects_are_cached_by_content(tmp_path, monkeypatch, cubic):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = compile_verilog_a(cubic)
    assert first.is_relative_to(tmp_path / "cache") and compile_verilog_a(cubic) == first
    changed = compile_verilog_a(write(tmp_path, CUBIC.replace("2e-6", "3e-6"), "cubic.va"))
    assert changed != first and changed.exists()


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("b * pow", "$random * 1e-9 * pow"), r":9: \$random: random numbers .* fix: draw per-device values"),
        (("b * pow", "$rdist_normal(1, 0, 1) * pow"), r":9: \$rdist_normal: .*per-device"),
        (("analog begin", "analog begin\n @(cross(V(p, n) - 1)) ;"), r":9: @\(cross: events .*ddt"),
        (("module user_cubic", "module memristor"), r":3: module memristor: ngspice has a built-in .* rename"),
        (("analog begin", "real s;\n    analog begin\n s = s + V(p, n);"),
         r":10: variable s is read before it is assigned .*electrical x"),
    ],
)
def test_constructs_osdi_cannot_run_are_refused_with_line_and_fix(tmp_path, replace, message):
    path = write(tmp_path, CUBIC.replace(*replace))
    with pytest.raises(InputError, match=message):
        from_verilog_a(path)


def test_missing_or_unsuitable_conductance_parameter_is_refused(tmp_path, cubic):
    with pytest.raises(InputError, match="no parameter G .*--conductance-param"):
        from_verilog_a(write(tmp_path, CUBIC.replace("real G", "real Gx").replace("G *", "Gx *")))
    with pytest.raises(InputError, match="must be an instance parameter"):
        attributes = '(* type="instance", units="S", desc="conductance at 0 V" *) '
        from_verilog_a(write(tmp_path, CUBIC.replace(attributes, "")))
    model = from_verilog_a(cubic, conductance_param="b", G=1e-5)
    assert model.conductance_param == "b"
    with pytest.raises(InputError, match="must be >= 0"):
        from_verilog_a(cubic, b=-1.0)
    with pytest.raises(InputError, match="'q' is not a parameter"):
        from_verilog_a(cubic, q=1.0)


VTEAM_LIKE = """// A user's VTEAM-like device: state x in [0, 1] on a ddt node, thresholds v_on < 0 < v_off.
`include "disciplines.vams"
module user_vteam(p, n);
    inout p, n;
    electrical p, n;
    electrical x;
    (* type="instance", desc="initial state" *) parameter real x0 = 0.5 from [0:1];
    parameter real r_on = 1e3 from (0:inf);
    parameter real r_off = 1e5 from (0:inf);
    parameter real v_on = -0.5 from (-inf:0);
    parameter real v_off = 0.5 from (0:inf);
    parameter real k_on = -2e4 from (-inf:0);
    parameter real k_off = 1e4 from (0:inf);
    parameter real alpha = 3 from (0:inf);
    real v, xs, rate;
    analog begin
        v = V(p, n);
        xs = V(x);
        rate = k_off * pow(max(v / v_off - 1.0, 0.0), alpha) + k_on * pow(max(v / v_on - 1.0, 0.0), alpha);
        rate = rate * (rate > 0.0 ? 1.0 - xs : xs);
        I(p, n) <+ v / (r_on + (r_off - r_on) * xs);
        I(x) <+ ddt(V(x)) - rate + (V(x) - x0) / 1e15;
    end
endmodule
"""


@pytest.fixture
def vteam_like(tmp_path):
    return write(tmp_path, VTEAM_LIKE, "vteam_like.va")


def test_dynamic_file_state_equations_and_conductance_map(vteam_like):
    model = from_verilog_a(vteam_like)
    assert [s.name for s in model.states] == ["x"] and (model.states[0].minimum, model.states[0].maximum) == (0, 1)
    x = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(model.conductance(x[None]), 1 / (1e3 + 99e3 * x), rtol=1e-12)
    np.testing.assert_allclose(model.state_from_conductance(1 / (1e3 + 99e3 * x))[0], x, rtol=1e-12)
    v = np.array([0.8, 0.3, -0.9])
    expected = [1e4 * (0.8 / 0.5 - 1) ** 3 * 0.9, 0.0, -2e4 * (0.9 / 0.5 - 1) ** 3 * 0.9]
    np.testing.assert_allclose(model.state_derivative(v, x[None])[0], expected, rtol=1e-12, atol=1e-9)
    with pytest.raises(InputError, match=r"conductances must lie in \[1e-05, 0.001\] S"):
        model.state_from_conductance(1e-7)


def test_dynamic_file_in_a_crossbar_read_agrees_in_both_backends(tmp_path, vteam_like):
    out = tmp_path / "c.json"
    args = ["--rows", "8", "--cols", "6", "--r-wl", "1", "--r-bl", "1", "--g-min", "1.2e-5", "--g-max", "9e-4",
            "--v-max", "0.3", "--device-file", str(vteam_like)]  # reads below the 0.5 V thresholds
    result = CliRunner().invoke(main, ["compare", *args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["max_rel_error"] <= 1e-9


def test_dynamic_file_runs_through_iv_in_ngspice_and_scipy(tmp_path, vteam_like):
    out = tmp_path / "iv.json"
    args = ["iv", "--device-file", str(vteam_like), "--amplitude", "1", "--frequency", "1e3", "--cycles", "1"]
    result = CliRunner().invoke(main, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "states agree within 1%" in result.output
    result = CliRunner().invoke(main, ["iv", "--device-file", str(vteam_like)])
    assert result.exit_code == 2 and "--amplitude, --frequency" in result.output


def test_dynamic_file_needs_an_initial_state_parameter(tmp_path):
    text = VTEAM_LIKE.replace('(* type="instance", desc="initial state" *) parameter real x0 = 0.5 from [0:1];', "")
    with pytest.raises(InputError, match=r"state node x .* needs its initial state .*parameter real x0"):
        from_verilog_a(write(tmp_path, text.replace("- x0)", "- 0.5)")))


@pytest.mark.parametrize("name", list(MODELS))
def test_every_device_model_file_compiled_matches_its_numpy_model(name):
    """Static: current and slope within 1e-12; dynamic: current and rates within 1e-12, trajectories within 1 %."""
    reference = MODELS[name]()
    values = reference.verilog_a_values() if reference.dynamic else {k: float(v) for k, v in reference.values.items()}
    compiled = from_verilog_a(reference.verilog_a_path(), **values)
    v = np.linspace(-1.3, 1.3, 27)
    if not reference.dynamic:
        g = np.full(v.shape, 3e-5)
        np.testing.assert_allclose(compiled.current(v, g), reference.current(v, g), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(compiled.slope(v, g), reference.slope(v, g), rtol=1e-12, atol=1e-300)
        return
    state = np.stack([np.linspace(0.02, 0.98, v.size)] * len(reference.states))
    np.testing.assert_allclose(compiled.state_current(v, state), reference.state_current(v, state), rtol=1e-12)
    leak = (state - reference.initial_state().reshape(-1, 1)) / 1e15  # each file's 1e15 ohm leak towards <state>0
    np.testing.assert_allclose(compiled.state_derivative(v, state) + leak, reference.state_derivative(v, state),
                               rtol=1e-12, atol=1e-300)
    stimulus = Stimulus(amplitude=reference.sweep_amplitude, frequency=reference.sweep_frequency, cycles=1.0)
    times = np.linspace(0, stimulus.duration, 200)
    initial = reference.initial_state().reshape(-1)
    span = np.array([[s.maximum - s.minimum] for s in reference.states])
    difference = (integrate_states(compiled, stimulus, initial, times) - integrate_states(reference, stimulus, initial,
                                                                                        times)) / span
    assert np.abs(difference).max() <= 0.01


def test_without_the_compiler_the_error_says_how_to_install_it(monkeypatch, cubic):
    import memxbar.osdi.compiler as compiler

    monkeypatch.setattr(compiler, "find_compiler", lambda: None)
    with pytest.raises(compiler.CompilerMissingError, match=r"pip install 'memxbar\[verilog-a\]'"):
        from_verilog_a(cubic)
    assert "pip install 'memxbar[verilog-a]'" in compiler.compiler_status()


def test_internal_nodes_without_ddt_are_refused(tmp_path):
    text = CUBIC.replace("electrical p, n;", "electrical p, n, m;").replace(
        "I(p, n) <+ G * V(p, n) + b * pow(V(p, n), 3);", "I(p, m) <+ G * V(p, m);\n        I(m, n) <+ V(m, n) / 10;"
    )
    with pytest.raises(InputError, match=r"internal nodes \(m\) without ddt"):
        from_verilog_a(write(tmp_path, text))


def test_integer_and_per_device_parameters_reach_the_compiled_model(tmp_path):
    text = CUBIC.replace(
        '(* type="instance", units="A/V^3" *) parameter real b = 2e-6 from [0:inf);',
        '(* type="instance" *) parameter integer k = 1 from [0:10];\n    parameter real b = 2e-6;',
    ).replace("b * pow(V(p, n), 3)", "k * b * pow(V(p, n), 3)")
    k = np.arange(6).reshape(2, 3)
    model = from_verilog_a(write(tmp_path, text), k=k)
    v = np.full((2, 3), 0.5)
    np.testing.assert_allclose(model.current(v, 1e-5), 1e-5 * 0.5 + k * 2e-6 * 0.125, rtol=1e-14)
    with pytest.raises(InputError, match="must be a whole number"):
        from_verilog_a(write(tmp_path, text), k=1.5)


def test_parallel_workers_share_one_compiled_object(tmp_path, monkeypatch, cubic):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        paths = set(pool.map(compile_verilog_a, [cubic] * 4))
    assert len(paths) == 1
    objects = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    assert objects == [paths.pop()]
    assert from_verilog_a(cubic).current(np.array(1.0), 1e-5) == pytest.approx(1e-5 + 2e-6, rel=1e-14)


def test_an_edited_include_file_is_recompiled(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "law.vams").write_text("`define LAW(v) (G * (v))\n")
    text = CUBIC.replace('`include "disciplines.vams"', '`include "disciplines.vams"\n`include "law.vams"')
    path = write(tmp_path, text.replace("G * V(p, n) + b", "`LAW(V(p, n)) + b"))
    first = compile_verilog_a(path)
    (tmp_path / "law.vams").write_text("`define LAW(v) (2 * G * (v))\n")
    second = compile_verilog_a(path)
    assert second != first
    assert from_verilog_a(path, b=0.0).current(np.array(1.0), 1e-5) == pytest.approx(2e-5, rel=1e-14)


def test_names_in_strings_are_not_reads(tmp_path):
    text = CUBIC.replace("analog begin", 'real s;\n    analog begin\n        $strobe("s");\n        s = 1;')
    assert from_verilog_a(write(tmp_path, text)).current(np.array(1.0), 1e-5) == pytest.approx(1.2e-5, rel=1e-14)


def test_a_model_that_prints_runs_in_both_backends_in_turn(tmp_path):
    text = CUBIC.replace("analog begin", 'analog begin\n        $strobe("V = %g", V(p, n));')
    crossbar = Crossbar(np.full((3, 3), 1e-5), r_wl=1.0, r_bl=1.0, device=from_verilog_a(write(tmp_path, text)))
    v = np.array([0.1, 0.2, 0.3])
    first, spice, again = (simulate(crossbar, v, backend=b).output_currents for b in ("fast", "spice", "fast"))
    assert np.array_equal(first, again) and np.abs(spice - first).max() <= 1e-9 * np.abs(first).max()


def test_done_when_sinh_file_32x32_compare(tmp_path):
    """The issue's acceptance command: the spice backend runs the compiled sinh.va."""
    out = tmp_path / "f.json"
    args = ["compare", "--rows", "32", "--cols", "32", "--r-wl", "1", "--r-bl", "1",
            "--device-file", str(VERILOG_A_DIRECTORY / "sinh.va"), "--json", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["max_rel_error"] <= 1e-9 and "memxbar_sinh" in record["spice"]["device"]


def test_a_sweep_point_runs_a_verilog_a_file_like_the_built_in_model():
    from memxbar.sweeps.runner import run_point
    from memxbar.sweeps.spec import Experiment

    common = {"rows": 4, "cols": 5, "r_wl": 1.0, "r_bl": 2.0, "seed": 3}
    compiled = run_point(Experiment(**common, device_file=str(VERILOG_A_DIRECTORY / "sinh.va"), backend="both"))
    built_in = run_point(Experiment(**common, device="sinh"))
    assert compiled["error"] == "" and built_in["error"] == ""
    assert compiled["spice_vs_fast_max_rel"] <= 1e-9
    assert compiled["error_max_rel"] == pytest.approx(built_in["error_max_rel"], rel=1e-9)
    with pytest.raises(InputError, match="device_file: expected the path of an existing file"):
        Experiment(**common, device_file="missing.va")
