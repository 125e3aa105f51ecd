"""Every user mistake ends in one clear line (CLI exit code 2) or an InputError naming the parameter."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import memxbar
from memxbar.cli import main
from memxbar.errors import InputError


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"conductances": [[1e-5, -1e-6]]}, "conductances"),
        ({"conductances": [[np.nan, 1e-6]]}, "conductances"),
        ({"conductances": [[np.inf]]}, "conductances"),
        ({"conductances": [1e-5, 2e-5]}, "conductances"),
        ({"conductances": np.zeros((0, 3))}, "conductances"),
        ({"conductances": [["a", "b"]]}, "conductances"),
        ({"conductances": [[1e-5]], "r_wl": -1.0}, "r_wl"),
        ({"conductances": [[1e-5]], "r_bl": np.nan}, "r_bl"),
        ({"conductances": np.ones((2, 3)), "r_wl": np.ones((3, 2))}, "r_wl"),
        ({"conductances": np.ones((2, 3)), "r_driver": np.ones(3)}, "r_driver"),
        ({"conductances": np.ones((2, 3)), "r_sense": [-1.0, 0.0, 0.0]}, "r_sense"),
    ],
)
def test_crossbar_rejects(kwargs, name):
    with pytest.raises(InputError, match=name):
        memxbar.Crossbar(**kwargs)


@pytest.mark.parametrize(
    ("voltages", "backend", "name"),
    [
        (np.ones(3), "fast", "voltages"),
        (np.ones((2, 0)), "fast", "voltages"),
        (np.ones((2, 2, 2)), "fast", "voltages"),
        ([np.nan, 1.0], "spice", "voltages"),
        (np.ones(2), "xyce", "backend"),
    ],
)
def test_simulate_rejects(voltages, backend, name):
    with pytest.raises(InputError, match=name):
        memxbar.simulate(memxbar.Crossbar(np.ones((2, 2))), voltages, backend)


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


def write(tmp_path, name: str, content: str | np.ndarray) -> str:
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        np.save(path, content)
    else:
        path.write_text(content)
    return str(path)


CASES = {
    "negative conductance": (
        lambda t: ["--conductances", write(t, "g.csv", "1e-5,-2e-5\n1e-5,1e-5\n")],
        "conductances",
    ),
    "nan conductance": (lambda t: ["--conductances", write(t, "g.npy", np.array([[np.nan, 1.0]]))], "NaN"),
    "infinite conductance": (lambda t: ["--conductances", write(t, "g.csv", "inf,1e-5\n")], "infinite"),
    "1-D conductances": (lambda t: ["--conductances", write(t, "g.npy", np.ones(3))], "--conductances"),
    "empty conductances": (lambda t: ["--conductances", write(t, "g.csv", "")], "--conductances"),
    "malformed csv": (lambda t: ["--conductances", write(t, "g.csv", "1e-5,abc\n")], "--conductances"),
    "missing file": (lambda t: ["--conductances", str(t / "nope.npy")], "does not exist"),
    "wrong file type": (lambda t: ["--conductances", write(t, "g.txt", "1")], ".npy"),
    "pickled npy": (lambda t: ["--conductances", write(t, "g.npy", np.array([{"a": 1}], dtype=object))], "cannot read"),
    "negative r-wl": (lambda t: ["--rows", "2", "--cols", "2", "--r-wl", "-1"], "--r-wl"),
    "nan r-bl": (lambda t: ["--rows", "2", "--cols", "2", "--r-bl", "nan"], "--r-bl"),
    "r-wl file wrong shape": (
        lambda t: ["--rows", "2", "--cols", "3", "--r-wl", write(t, "r.npy", np.ones((3, 2)))],
        "--r-wl",
    ),
    "r-wl neither number nor file": (lambda t: ["--rows", "2", "--r-wl", "abc"], "--r-wl"),
    "inputs wrong rows": (
        lambda t: ["--rows", "3", "--cols", "2", "--inputs", write(t, "v.csv", "1\n2\n")],
        "--inputs",
    ),
    "nan inputs": (lambda t: ["--rows", "2", "--cols", "2", "--inputs", write(t, "v.csv", "nan\n1\n")], "--inputs"),
    "rows disagree with file": (
        lambda t: ["--rows", "3", "--conductances", write(t, "g.npy", np.ones((2, 2)))],
        "--rows",
    ),
    "zero rows": (lambda t: ["--rows", "0"], "--rows"),
    "g-min above g-max": (lambda t: ["--g-min", "1e-3", "--g-max", "1e-4"], "--g-min"),
    "negative v-max": (lambda t: ["--v-max", "-1"], "--v-max"),
    "unknown backend": (lambda t: ["--backend", "xyce"], "--backend"),
    "unknown method": (lambda t: ["--method", "lu"], "--method"),
    "tolerance of 1": (lambda t: ["--tol", "1"], "--tol"),
    "tolerance beyond double precision": (lambda t: ["--tol", "1e-300"], "--tol"),
    "method with spice": (lambda t: ["--rows", "2", "--backend", "spice", "--method", "direct"], "method"),
    "weights of a full solution": (lambda t: ["--rows", "2", "--method", "weights"], "--outputs-only"),
    "plot of outputs only": (lambda t: ["--outputs-only", "--plot", str(t / "p.png")], "--outputs-only"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_gives_one_line_and_exit_code_2(case, tmp_path):
    make_args, fragment = CASES[case]
    result = CliRunner().invoke(main, ["simulate", *make_args(tmp_path)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert fragment in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--rows", "3", "-o", "t.txt"], ".npy or .csv"),
        (["--rows", "3", "--device", "sinh", "-o", "t.npy"], "'sinh' is not 'ohmic'"),
        (["--rows", "3", "--r-wl", "-1", "-o", "t.npy"], "--r-wl"),
    ],
)
def test_weights_bad_input_gives_one_line(args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["weights", *args])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and fragment in result.output, result.output
    assert not (tmp_path / "t.npy").exists()


def test_existing_output_is_not_overwritten(tmp_path):
    out = tmp_path / "result.json"
    out.write_text("my precious results")
    for command in (
        ["simulate", "--json", str(out)],
        ["compare", "--plot", str(out)],
        ["netlist", "-o", str(out)],
        ["simulate", "--npz", str(out)],
    ):
        result = CliRunner().invoke(main, [*command, "--rows", "2", "--cols", "2"])
        assert result.exit_code == 2
        assert "already exists" in result.output and "--force" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert out.read_text() == "my precious results"


def test_output_folder_must_exist(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "--json", str(tmp_path / "no" / "x.json")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_netlist_refuses_a_batch():
    result = CliRunner().invoke(main, ["netlist", "--rows", "2", "--cols", "2", "--batch", "2"])
    assert result.exit_code == 2 and "one input vector" in result.output


def test_the_cli_mirrors_the_solver_constants_it_does_not_import():
    """The CLI keeps the fast backend's names and tolerances without importing the solver (fast start)."""
    from memxbar.cli import simulate as cli
    from memxbar.solver import iterative, options

    assert cli.METHOD_NAMES == options.METHODS
    assert (cli.DEFAULT_TOL, cli.MIN_TOL) == (iterative.DEFAULT_TOL, options.MIN_TOL)


def test_text_voltages_are_named_whole_not_cut_mid_array():
    """An array of strings was quoted up to 40 characters, cut mid-array (a new-user test)."""
    crossbar = memxbar.Crossbar(np.full((5, 5), 1e-5), r_wl=1.0, r_bl=1.0)
    with pytest.raises(InputError, match=r"^voltages must be numbers \(an array or a number\), got ndarray of text "
                                         r"entries, shape \(5,\)$"):
        memxbar.simulate(crossbar, np.array(["0.1"] * 5))
