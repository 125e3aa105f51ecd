"""What a researcher meets on day one (issue 14): each fault found by trying memxbar as a new user,
with the right value or one clear line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import memxbar
from memxbar.build import build
from memxbar.cli import main
from memxbar.devices import get_model
from memxbar.errors import InputError
from memxbar.generate import random_conductances, random_inputs
from memxbar.reference import ideal_wire_currents


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


# --- tracebacks and misleading messages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["simulate", "--seed", "-1"], "--seed"),
        (["simulate", "--v-max", "-0.5"], "--v-max must be a finite number >= 0 V, got -0.5"),
        (["simulate", "--backend", "spice", "--outputs-only"], "--outputs-only applies to --backend fast only"),
        (["simulate", "--backend", "spice", "--method", "direct"], "--method applies to --backend fast only"),
        (["simulate", "--method", "weights"], "--method weights gives output currents only: add --outputs-only"),
        (["simulate", "--device", "sinh", "--method", "iterative"], "--method iterative applies to ohmic devices"),
        (["simulate", "--rows", "1024", "--cols", "1024", "--batch", "10000"], "try --outputs-only"),
        (["simulate", "--rows", "8192", "--cols", "8192", "--method", "direct"], "or --method iterative"),
    ],
)
def test_mistakes_give_one_line_naming_the_cli_option(args, fragment):
    assert fragment in one_line_error(run(*args))


def test_an_unknown_image_format_is_refused_before_any_work(tmp_path):
    for args in (
        ["simulate", "--plot", str(tmp_path / "out.xyz")],
        ["simulate", "--plot", str(tmp_path / "out")],
        ["iv", "--device", "hp", "--plot", str(tmp_path / "x.xyz")],
    ):
        assert "an image needs one of" in one_line_error(run(*args))
    assert not list(tmp_path.iterdir())


def test_two_outputs_in_one_file_are_refused(tmp_path):
    same = str(tmp_path / "same.png")
    message = one_line_error(run("simulate", "--json", same, "--plot", same))
    assert "--json and --plot name the same file" in message


def test_a_full_disk_names_the_file():
    result = run("simulate", "--rows", "2", "--cols", "2", "--json", "/dev/full", "--force")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: --json: cannot write /dev/full: No space left on device"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a read-only folder")
def test_a_read_only_folder_is_found_before_the_solve(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    assert "is not writable" in one_line_error(run("simulate", "--json", str(folder / "x.json")))


def test_a_non_utf8_csv_gives_one_line(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes("# r\xe9sistance\n1e-5,2e-5\n".encode("latin-1"))
    assert "not UTF-8" in one_line_error(run("simulate", "--conductances", str(path)))


# --- conflicting options -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--batch", "2"], "--batch conflicts with --inputs"),
        (["--v-max", "1"], "--v-max conflicts with --inputs"),
        (["--g-min", "1e-6"], "--g-min conflicts with --conductances"),
        (["--seed", "3"], "--seed draws random conductances and inputs, but both are given"),
    ],
)
def test_conflicting_options_are_refused(extra, fragment, tmp_path):
    g = tmp_path / "g.npy"
    v = tmp_path / "v.npy"
    np.save(g, np.full((2, 2), 1e-5))
    np.save(v, np.ones(2))
    args = ["simulate", "--conductances", str(g), "--inputs", str(v), *extra]
    assert fragment in one_line_error(run(*args))


# --- CSV as spreadsheets write it ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1e-5,2e-5\n3e-5,4e-5\n",
        "\ufeffg0,g1\n1e-5,2e-5\n3e-5,4e-5\n",
        "1e-5;2e-5\r\n3e-5;4e-5\r\n",
        "1e-5\t2e-5\n3e-5\t4e-5\n",
        "1e-5   2e-5\n  3e-5 4e-5\n\n",
    ],
)
def test_spreadsheet_csv_files_give_the_same_conductances(text, tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(text.encode("utf8"))
    crossbar = build({"conductances": str(path)}, inputs=False).crossbar
    np.testing.assert_array_equal(crossbar.conductances, [[1e-5, 2e-5], [3e-5, 4e-5]])


def test_a_bad_csv_cell_is_named_by_line_and_position(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("1e-5,2e-5\n3e-5,4,5e-5\n")
    message = one_line_error(run("simulate", "--conductances", str(path)))
    assert "line 2 has 3 value(s), the rows above have 2" in message
    path.write_text("1e-5;2e-5\n3e-5;4,5e-5\n")
    message = one_line_error(run("simulate", "--conductances", str(path)))
    assert "line 2, value 2: expected a number, got '4,5e-5' (use a decimal point" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1e-4,O.5e-4\n2e-4,1e-4\n", "line 1, value 2: expected a number, got 'O.5e-4'"),
        ("1e-4,1e-4x\n1e-4,1e-4\n1e-4,1e-4\n", "line 1, value 2: expected a number, got '1e-4x'"),
        ("1,0e-4;1,0e-4\n1,0e-4;1,0e-4\n", "line 1, value 1: expected a number, got '1,0e-4' (use a decimal point"),
    ],
)
def test_a_typo_in_the_first_row_is_not_taken_for_a_header(text, fragment, tmp_path):
    """A first row with any number in it is data: a typo there is named, not dropped as a header."""
    path = tmp_path / "g.csv"
    path.write_text(text)
    assert fragment in one_line_error(run("simulate", "--conductances", str(path)))


# --- silent wrong results ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("voltages", "fragment"),
    [
        (np.array([0.1 + 0.2j, 0.3]), "complex"),
        (np.array([True, False]), "booleans"),
        (np.ma.masked_array([0.1, 0.2], mask=[False, True]), "masked"),
        (np.array([1e200, 0.0]), "check the units"),
    ],
)
def test_arrays_that_would_change_silently_are_refused(voltages, fragment):
    with pytest.raises(InputError, match=fragment):
        memxbar.simulate(memxbar.Crossbar(np.full((2, 2), 1e-5)), voltages)


def test_complex_or_boolean_conductances_are_refused():
    with pytest.raises(InputError, match="complex"):
        memxbar.Crossbar(np.full((2, 2), 1e-5 + 0j))
    with pytest.raises(InputError, match="booleans"):
        memxbar.Crossbar(np.ones((2, 2), dtype=bool))


# --- provenance, references, warnings ------------------------------------------------------------------------------


def test_every_output_file_records_how_it_was_made(tmp_path):
    out = tmp_path / "sim"
    result = run("simulate", "--rows", "6", "--cols", "5", "--r-wl", "1.5", "--seed", "4", "--device", "sinh",
                 "--device-param", "v0=0.3", "--json", f"{out}.json", "--npz", f"{out}.npz")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "sim.json").read_text())["provenance"]
    assert record["memxbar"] == memxbar.__version__ and record["command"].startswith("memxbar simulate --rows 6")
    parameters = record["parameters"]
    assert parameters["rows"] == 6 and parameters["seed"] == 4 and parameters["r_wl"] == 1.5
    assert parameters["g_min"] == 1e-6 and parameters["v_max"] == 0.5 and parameters["device_params"] == {"v0": 0.3}
    with np.load(tmp_path / "sim.npz") as arrays:
        assert json.loads(str(arrays["provenance"]))["parameters"] == parameters
    result = run("simulate", "--rows", "3", "--cols", "2", "--plot", str(tmp_path / "sim.png"))
    assert result.exit_code == 0, result.output
    from PIL import Image

    with Image.open(tmp_path / "sim.png") as image:
        assert json.loads(image.info["Description"])["parameters"]["cols"] == 2
    weights = tmp_path / "T.npy"
    result = run("weights", "--rows", "3", "--cols", "2", "--r-wl", "1", "-o", str(weights),
                 "--conductances-out", str(tmp_path / "g.csv"))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "T.npy.json").read_text())["provenance"]["parameters"]["cols"] == 2
    np.testing.assert_allclose(np.loadtxt(tmp_path / "g.csv", delimiter=","), random_conductances(3, 2, 1e-6, 1e-4, 0),
                               rtol=1e-16)


def test_ideal_wires_separate_ir_drop_from_nonlinearity():
    g = random_conductances(5, 4, 1e-6, 1e-4, 1)
    v = random_inputs(5, 3, 0.5, 1)
    expected = (g[:, :, None] * 0.2 * np.sinh(v[:, None, :] / 0.2)).sum(axis=0)  # Σ_i G·V0·sinh(V_i/V0)
    sinh = get_model("sinh", v0=0.2)
    np.testing.assert_allclose(ideal_wire_currents(memxbar.Crossbar(g, device=sinh), v), expected, rtol=1e-14)
    without_wires = memxbar.simulate(memxbar.Crossbar(g, device=sinh), v)
    np.testing.assert_allclose(without_wires.output_currents, expected, rtol=1e-10)
    ohmic = memxbar.Crossbar(g)
    np.testing.assert_allclose(ideal_wire_currents(ohmic, v), g.T @ v, rtol=1e-14)


def test_a_read_beyond_a_switching_threshold_is_warned_about():
    args = ["simulate", "--rows", "2", "--cols", "2", "--device", "vteam", "--g-min", "2e-3", "--g-max", "5e-3"]
    result = run(*args, "--v-max", "0.5")
    assert result.exit_code == 0, result.output
    assert "Warning: at these inputs the state of" in result.stderr and "vteam" in result.stderr
    quiet = run(*args, "--v-max", "0.01")  # below v_off = 0.02 V
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr


def test_the_command_line_imports_no_heavy_library_until_it_needs_one():
    code = "import sys, memxbar.cli; print(sorted({'matplotlib', 'scipy', 'dask', 'pandas'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


# --- iv ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--cycles", "1e9"], "would need 2e+12 time steps"), (["--frequency", "1e30"], "at most 1e+12 Hz")],
)
def test_iv_refuses_runs_without_limit(args, fragment):
    assert fragment in one_line_error(run("iv", "--device", "hp", *args))


def test_iv_runs_the_published_biolek_device_and_exports_its_traces(tmp_path):
    import pandas as pd

    params = ["r_on=100", "r_off=1000", "d=16e-9", "mu_v=40e-15", "p=7", "x0=0.076"]
    args = [item for pair in (("--device-param", p) for p in params) for item in pair]
    csv = tmp_path / "biolek.csv"
    result = run("iv", "--device", "hp-biolek", *args, "--amplitude", "1", "--frequency", "1", "--cycles", "1",
                 "--csv", str(csv), "--npz", str(tmp_path / "biolek.npz"))
    assert result.exit_code == 0, result.output
    assert "ngspice needed looser tolerances" in result.output and "states agree" in result.output
    traces = pd.read_csv(csv, comment="#")
    for name in ("current_spice_A", "current_numpy_A"):  # Biolek et al. 2009: 10 mA at 0.25 s, -1 mA at 0.75 s
        assert np.interp(0.25, traces["time_s"], traces[name]) == pytest.approx(10.0e-3, rel=1e-3)
        assert np.interp(0.75, traces["time_s"], traces[name]) == pytest.approx(-1.0e-3, rel=1e-3)
    with np.load(tmp_path / "biolek.npz") as arrays:
        np.testing.assert_array_equal(arrays["time_s"], traces["time_s"])
        assert "hp-biolek" in str(arrays["provenance"])


def test_one_builder_names_parameters_as_its_caller_does():
    with pytest.raises(InputError, match="colz: unknown parameter"):
        build({"rows": 2, "colz": 3})
    with pytest.raises(InputError, match="--g-min 0.001 S exceeds --g-max"):
        build({"g_min": 1e-3}, label=lambda name: "--" + name.replace("_", "-"))
    problem = build({"rows": 3, "cols": 2, "seed": None, "batch": 4, "r_driver": [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(problem.crossbar.conductances, random_conductances(3, 2, 1e-6, 1e-4, 0))
    np.testing.assert_array_equal(problem.voltages, random_inputs(3, 4, 0.5, 0))
    np.testing.assert_array_equal(problem.crossbar.r_driver, [1.0, 2.0, 3.0])


def test_the_api_refuses_a_solve_that_cannot_fit_in_memory_before_solving():
    crossbar = memxbar.Crossbar(np.full((2048, 2048), 1e-5))
    with pytest.raises(InputError, match="needs about .* GiB, .* GiB is available; try outputs_only=True"):
        memxbar.simulate(crossbar, np.zeros((2048, 1000)))


@pytest.mark.parametrize("command", [["iv"], ["models"], ["simulate", "--rows", "2", "--cols", "2"]])
def test_a_binary_device_file_gives_one_line(command, tmp_path):
    """A .npy (binary) given as --device-file is named as not being text, with exit 2, not a traceback."""
    path = tmp_path / "v.npy"
    np.save(path, np.arange(10.0))
    assert "is not UTF-8 text" in one_line_error(run(*command, "--device-file", str(path)))


def test_the_api_warns_of_a_read_that_disturbs_dynamic_devices():
    """VTEAM's v_off threshold is exceeded by a 1 V read: simulate and compare warn, as the CLI does;
    the bit-line voltage counts (0 V on the word line, −1 V on the bit line puts +1 V across);
    a 10 mV read and static devices give no warning."""
    import warnings

    import memxbar
    from memxbar.errors import ReadDisturbWarning

    crossbar = memxbar.Crossbar(np.full((2, 2), 5e-3), device="vteam")
    with pytest.warns(ReadDisturbWarning, match="state of 4 vteam device"):
        memxbar.simulate(crossbar, np.array([1.0, 1.0]))
    with pytest.warns(ReadDisturbWarning):
        memxbar.compare(crossbar, np.array([1.0, 1.0]))
    with pytest.warns(ReadDisturbWarning):
        memxbar.simulate(crossbar, np.zeros(2), bl_voltages=-1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReadDisturbWarning)
        memxbar.simulate(crossbar, np.array([0.01, 0.01]))
        memxbar.simulate(memxbar.Crossbar(np.full((2, 2), 5e-3)), np.array([1.0, 1.0]))


@pytest.mark.parametrize(
    ("command", "absent"),
    [
        (["netlist", "-o", "big.cir"], "--outputs-only"),
        (["compare"], "--outputs-only"),
        (["compare"], "--backend"),
        (["weights", "-o", "T.npy"], "--outputs-only"),
    ],
)
def test_a_huge_array_is_refused_naming_only_options_the_command_has(command, absent, tmp_path, monkeypatch):
    """100 000 × 100 000 devices: one line with the estimate, exit 2, no traceback, and no advice to use an
    option the command does not have."""
    monkeypatch.chdir(tmp_path)
    message = one_line_error(run(*command, "--rows", "100000", "--cols", "100000"))
    assert "GiB is available; try" in message and absent not in message


def test_a_one_row_array_is_one_vector_only_from_a_csv_line(tmp_path):
    """A CSV line of M values is one (M,) vector (as a spreadsheet writes it); a (1, M) .npy has a definite
    shape and is refused for M word lines, as in the Python API; a report of all-zero currents prints no
    NaN and no negative zero."""
    csv_path, npy_path = tmp_path / "v.csv", tmp_path / "v.npy"
    csv_path.write_text("0.1,0.2,0.3,0.4\n")
    np.save(npy_path, np.full((1, 4), 0.1))
    result = run("simulate", "--rows", "4", "--cols", "4", "--inputs", str(csv_path))
    assert result.exit_code == 0 and "1 input vector(s)" in result.output
    assert "has 1 row(s) but the crossbar has 4 word lines" in one_line_error(
        run("simulate", "--rows", "4", "--cols", "4", "--inputs", str(npy_path)))
    zero = run("simulate", "--rows", "4", "--cols", "4", "--v-max", "0")
    assert zero.exit_code == 0 and "nan" not in zero.output and "-0" not in zero.output
    assert "none to compare (the ideal currents are all 0 A)" in zero.output


def test_wrong_kinds_of_input_are_named(tmp_path):
    """None or a string where numbers belong, and a text file named .npy: each named for what it is."""
    import memxbar

    crossbar = memxbar.Crossbar(np.full((2, 2), 1e-4))
    for call, fragment in [
        (lambda: memxbar.Crossbar(None), "conductances must be numbers (an array or a number), got NoneType"),
        (lambda: memxbar.simulate(crossbar, None), "voltages must be numbers (an array or a number), got NoneType"),
        (lambda: memxbar.simulate(crossbar, "0.5"), "voltages must be numbers (an array or a number), got str"),
    ]:
        with pytest.raises(ValueError, match=re.escape(fragment)):
            call()
    text = tmp_path / "g.npy"
    text.write_text("1e-4,1e-4\n")
    assert "is not a .npy file (numpy.save writes one)" in one_line_error(run("simulate", "--conductances", str(text)))


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--rows", "100000", "--cols", "100000"], "GiB is available; try a smaller crossbar"),
        (["--points", "2000000000000"], "at most 1e+06 output times"),
        (["--scheme", "v3"], "--scheme applies to --write-pulse only"),
        (["--t-stop", "1e-12"], "ends before the pulse's top does (at 1.2e-09 s)"),
    ],
)
def test_transient_refuses_what_it_cannot_do_well(extra, fragment):
    """Too large, too many output times, an option that would be ignored, an end before the read: one line,
    exit 2, before any work."""
    args = ["transient", "--rows", "4", "--cols", "4", "--r-wl", "2", "--c-wl", "1e-14", "--read-pulse", "0.2,1e-9"]
    assert fragment in one_line_error(run(*args, *extra))


def test_transient_api_refuses_millions_of_output_times():
    import memxbar
    from memxbar.transient import TransientOptions, read_pulse

    crossbar = memxbar.Crossbar(np.full((2, 2), 1e-4), r_wl=1.0, c_wl=1e-15)
    with pytest.raises(InputError, match="points is 2000000"):
        memxbar.transient(crossbar, read_pulse((2, 2), 0.1, 1e-9), 2e-9, options=TransientOptions(points=2_000_000))


def test_a_transient_stimulus_in_megavolts_is_a_unit_mistake():
    import memxbar
    from memxbar.transient import read_pulse

    with pytest.raises(InputError, match=r"the stimulus reaches 5e\+06 V, above 1e\+06 V"):
        memxbar.transient(memxbar.Crossbar(np.full((2, 2), 1e-4)), read_pulse((2, 2), 5e6, 1e-9), 2e-9)
    assert "above 1e+06 V" in one_line_error(run("transient", "--rows", "2", "--cols", "2", "--read-pulse", "2e6,1e-9"))
