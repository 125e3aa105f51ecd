"""Parameter sweeps: configuration checks, grid expansion, metrics, resumable results, real Dask clusters, CLI."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import numpy as np
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster

import memxbar
from memxbar.cli import main
from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.examples import example_names, example_path
from memxbar.generate import random_conductances, random_inputs
from memxbar.sweeps.api import plan_sweep, run_sweep
from memxbar.sweeps.config import load_config
from memxbar.sweeps.execute import run_distributed
from memxbar.sweeps.grid import expand, grid_axes
from memxbar.sweeps.runner import columns, run_point
from memxbar.sweeps.spec import DEVICE_PARAMETERS, DEVICE_PARAMS, PARAMETERS, Experiment
from memxbar.sweeps.store import read_results
from memxbar.sweeps.tasks import plan_tasks

PHYSICAL = [
    "error_max_rel",
    "error_rms_rel",
    "error_max_A",
    "error_rms_A",
    "ir_drop_max_V",
    "ir_drop_max_frac",
    "power_W",
    "power_parasitic_W",
    "energy_J",
]
"""Metrics that depend only on the point, not on the machine (times excluded). The fast-vs-ngspice
differences are rounding errors, which depend on the factorisation a process uses."""

SMALL_GRID = {"rows": [4, 8], "r_wl": [0.0, 2.0], "device": ["ohmic", "vteam"]}
"""8 configurations; vteam devices of 1-100 µS are outside its conductance range (1-20 mS), which is
found when a point is solved, so half the points record an error."""


def _cli(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def _rows_in(text: str) -> int:
    """Complete lines of a results file that are not provenance comments (header and rows)."""
    return sum(1 for line in text.splitlines(keepends=True) if line.endswith("\n") and not line.startswith("#"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- configuration -------------------------------------------------------------------------------------------------

BAD_CONFIGS = [
    ('[grid]\nr_wl = [1.0, 2.0, "abc"]\n', "grid.r_wl[2]: expected a number, got 'abc'"),
    ("[grid]\nrows = []\n", "grid.rows: the list is empty"),
    ("[grid]\n", "grid: the table is empty"),
    ("[base]\nr_wll = 1.0\n", "base.r_wll: unknown parameter; did you mean r_wl?"),
    ("[grid]\ncolumns = [1, 2]\n", "grid.columns: unknown parameter"),
    ("rows = 4\n", "rows: unknown key"),
    ("[base]\nrows = 4.5\n", "base.rows: expected a whole number, got 4.5"),
    ("[base]\nbatch = true\n", "base.batch: expected a whole number, got True"),
    ("[base]\nr_bl = -1.0\n", "base.r_bl: must be >= 0.0 Ω, got -1.0"),
    ('[base]\nbackend = "hspice"\n', "base.backend: expected one of 'fast', 'spice', 'both', got 'hspice'"),
    ("[grid]\nsize = { rows = [4, 8], cols = [4] }\n", "grid.size.cols: has 1 value(s) but grid.size.rows has 2"),
    ("[grid]\nrows = [4, 4]\n", "grid.rows[1]: repeats the value at index 0"),
    ("[base]\nrows = 4\n[grid]\nrows = 8\n", "grid.rows: expected a list of values, got 8"),
    ("seeds = 0\n", "seeds: expected at least 1 repeat"),
    ("seeds = 2\n[grid]\nseed = [1, 2]\n", "seeds: seed is already set by grid.seed"),
    ("[grid\nrows = [1]\n", "is not valid TOML"),
    ('[base]\ndevice = "sinh"\ndevice_v0 = -1\n', "base.device_v0: device parameter v0 of model sinh must be > 0"),
    ('[base]\ndevice = "memristor"\n', "base.device: expected one of 'ohmic', 'sinh'"),
    ('[base]\nmethod = "weights"\n', "base.method: expected one of 'auto', 'direct', 'iterative', got 'weights'"),
    ("[grid]\ntol = [1e-8, 0.0]\n", "grid.tol[1]: must be > 0.0"),
    (
        "[grid]\ndevice_n = [2.1, 3]\n",
        "device_n is a parameter of device model power-law, but the sweep only uses ohmic",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_config_exits_2_with_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    config = _write(tmp_path / "bad.toml", text)
    result = _cli("sweep", str(config), "--dry-run")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]


def test_device_parameter_names_never_clash_with_experiment_fields() -> None:
    assert len(set(PARAMETERS)) == len(PARAMETERS)
    assert DEVICE_PARAMS not in PARAMETERS and all(name.startswith("device_") for name in DEVICE_PARAMETERS)


def test_example_config_ships_with_the_package_and_expands() -> None:
    config = load_config(example_path("ir_drop_vs_size"))
    plan = plan_sweep(config.base, config.grid, config.seeds)
    assert len(plan.points) == 6 * 4 * 3
    assert all(p.rows == p.cols and p.r_wl == p.r_bl and p.batch == 8 for p in plan.points)


# --- grid, ids and tasks -------------------------------------------------------------------------------------------


def test_grid_is_the_full_product_with_groups_stepping_together_and_seeds_innermost() -> None:
    axes = grid_axes({"size": {"rows": [4, 8], "cols": [5, 9]}, "r_wl": [0, 1.5]}, seeds=[7, 3])
    points = expand({"batch": 2}, axes)
    assert [(p.rows, p.cols, p.r_wl, p.seed) for p in points[:4]] == [
        (4, 5, 0.0, 7),
        (4, 5, 0.0, 3),
        (4, 5, 1.5, 7),
        (4, 5, 1.5, 3),
    ]
    assert len(points) == 8 and {(p.rows, p.cols) for p in points} == {(4, 5), (8, 9)}
    assert all(p.batch == 2 and isinstance(p.r_wl, float) for p in points)
    assert len({p.point_id for p in points}) == 8


def test_point_id_depends_on_values_only_and_is_the_same_in_another_process() -> None:
    point = Experiment(rows=16, r_wl=1, seed=3)
    assert point.point_id == Experiment(seed=3, r_wl=1.0, rows=16).point_id
    assert point.point_id != Experiment(rows=16, r_wl=1.0, seed=4).point_id
    code = "from memxbar.sweeps.spec import Experiment; print(Experiment(rows=16, r_wl=1.0, seed=3).point_id)"
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert other.stdout.strip() == point.point_id


def test_tasks_group_small_points_keep_big_ones_alone_and_hold_every_point_once() -> None:
    points = [Experiment(rows=4, cols=4, seed=s) for s in range(200)] + [Experiment(rows=512, cols=512)]
    tasks = plan_tasks(points, workers=2)
    assert [p for task in tasks for p in task] == points
    assert len(tasks) < 20
    assert tasks[-1] == [points[-1]]


# --- metrics -------------------------------------------------------------------------------------------------------


def test_metrics_are_zero_without_parasitics_and_power_is_gv2() -> None:
    point = Experiment(rows=6, cols=5, batch=3, seed=1, read_time=2e-9)
    row = run_point(point)
    assert row["error"] == ""
    assert row["error_max_rel"] < 1e-13 and row["ir_drop_max_V"] < 1e-13 and row["power_parasitic_W"] == 0
    g = random_conductances(6, 5, point.g_min, point.g_max, 1)
    v = random_inputs(6, 3, point.v_max, 1)
    power = np.einsum("ib,ij->b", v**2, g).mean()
    assert row["power_W"] == pytest.approx(power, rel=1e-12)
    assert row["energy_J"] == pytest.approx(power * 2e-9, rel=1e-12)


def test_metrics_with_line_resistance_match_the_solution_and_conserve_power() -> None:
    point = Experiment(rows=12, cols=10, r_wl=3.0, r_bl=2.0, r_driver=5.0, batch=4, seed=2)
    row = run_point(point)
    crossbar = Crossbar(random_conductances(12, 10, point.g_min, point.g_max, 2), r_wl=3.0, r_bl=2.0, r_driver=5.0)
    v = random_inputs(12, 4, point.v_max, 2)
    solution = memxbar.simulate(crossbar, v)
    assert row["error_max_rel"] == pytest.approx(np.max(solution.relative_deviation), rel=1e-9)
    drop = v[:, None, :] - solution.device_voltages
    assert row["ir_drop_max_V"] == pytest.approx(np.abs(drop).max(), rel=1e-9)
    assert 0 < row["ir_drop_max_frac"] < 1
    dissipated = np.mean(solution.power_devices) + row["power_parasitic_W"]
    assert row["power_W"] == pytest.approx(dissipated, rel=1e-9)
    assert row["time_fast_s"] > 0 and np.isnan(row["time_spice_s"])


def test_error_grows_with_line_resistance() -> None:
    errors = [run_point(Experiment(rows=16, cols=16, r_wl=r, r_bl=r, batch=2))["error_max_rel"] for r in (0.5, 2, 8)]
    assert errors[0] < errors[1] < errors[2]


def test_fast_methods_are_swept_and_agree_with_each_other(tmp_path: Path) -> None:
    base = {"rows": 24, "cols": 20, "r_wl": 2.0, "r_bl": 2.0, "batch": 3, "tol": 1e-12}
    frame = memxbar.sweep(base, {"method": ["direct", "iterative"]}, workers=0).set_index("method")
    assert (frame["error"] == "").all()
    for metric in ("error_max_rel", "ir_drop_max_V", "power_W", "power_parasitic_W"):
        direct, iterative = frame.loc["direct", metric], frame.loc["iterative", metric]
        assert direct > 0 and abs(iterative - direct) <= 1e-8 * direct, metric


def test_both_backends_agree_and_report_their_difference() -> None:
    row = run_point(Experiment(rows=6, cols=7, r_wl=1.0, r_bl=1.0, batch=2, backend="both"))
    assert row["error"] == ""
    assert row["spice_vs_fast_max_rel"] < 1e-9
    assert row["time_spice_s"] > 0 and row["time_fast_s"] > 0


def test_device_models_and_their_parameters_are_swept_and_each_point_keeps_its_own(tmp_path: Path) -> None:
    out = tmp_path / "devices.csv"
    grid = {"device": ["ohmic", "sinh", "power-law"], "device_v0": [0.2, 0.5]}
    base = {"rows": 5, "cols": 4, "batch": 2, "backend": "both", "device_n": 2.5}
    frame = memxbar.sweep(base, grid, out=out, workers=0)
    assert list(frame["device"]) == ["ohmic", "sinh", "sinh", "power-law"]
    assert list(frame["device_params"]) == ["", "v0=0.2", "v0=0.5", "n=2.5;vref=0.25"]
    assert (frame["error"] == "").all() and (frame["spice_vs_fast_max_rel"] < 1e-6).all()
    by_device = read_results(out).set_index("device_params")
    assert np.isnan(by_device.loc["", "device_v0"]) and by_device.loc["n=2.5;vref=0.25", "device_n"] == 2.5
    error = by_device["error_max_rel"]
    assert error[""] < 1e-12 < error["v0=0.5"] < error["v0=0.2"]


def test_a_failing_point_records_its_error() -> None:
    row = run_point(Experiment(g_min=1e-5, g_max=1e-6))
    assert row["error"].startswith("InputError: g_min 1e-05 S exceeds g_max 1e-06 S")
    assert np.isnan(row["error_max_rel"])


# --- real Dask clusters --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sweep on a real local cluster of two worker processes, solved by both backends."""
    out = tmp_path_factory.mktemp("cluster") / "small.csv"
    frame = memxbar.sweep({"batch": 2, "backend": "both"}, SMALL_GRID, seeds=2, out=out, workers=2)
    assert len(frame) == 16
    return out


def test_sweep_on_two_worker_cluster_matches_a_run_in_this_process(cluster_results: Path) -> None:
    frame = read_results(cluster_results)
    failed = frame[frame["error"] != ""]
    assert len(failed) == 8 and set(failed["device"]) == {"vteam"}
    assert failed["error"].str.startswith("InputError").all()
    here = memxbar.sweep({"batch": 2, "backend": "both"}, SMALL_GRID, seeds=2, workers=0)
    merged = here.merge(frame, on="point_id", suffixes=("_here", "_cluster"))
    ok = merged[merged["error_here"] == ""]
    for name in PHYSICAL:
        assert np.allclose(ok[f"{name}_here"], ok[f"{name}_cluster"], rtol=1e-9, atol=0), name
    assert (ok["spice_vs_fast_max_rel_here"] < 1e-9).all() and (ok["spice_vs_fast_max_rel_cluster"] < 1e-9).all()


def test_cli_sweep_on_an_existing_scheduler_given_by_address(tmp_path: Path) -> None:
    config = _write(tmp_path / "remote.toml", "seeds = 2\n[base]\nbackend = 'both'\n[grid]\nrows = [3, 4]\n")
    out = tmp_path / "remote.csv"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.CRITICAL
    ) as cluster:
        result = _cli("sweep", str(config), "--out", str(out), "--scheduler", cluster.scheduler_address, "--progress")
    assert result.exit_code == 0, result.stderr
    assert "4 point(s) run" in result.stderr and "100%" in result.stderr
    frame = read_results(out)
    assert len(frame) == 4 and (frame["error"] == "").all() and (frame["spice_vs_fast_max_rel"] < 1e-9).all()


def test_a_worker_that_dies_fails_only_its_point_and_the_rest_of_its_task_runs() -> None:
    small = [Experiment(rows=8, cols=8, seed=s) for s in range(2)]
    hog = Experiment(rows=64, cols=64, batch=20_000)  # ~2.6 GB: fits the machine (memory check), not the worker
    rows = []
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            memory_limit="250MiB",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        run_distributed(client, [[small[0], hog, small[1]]], rows.extend)
    by_id = {row["point_id"]: row for row in rows}
    assert len(rows) == 3 and set(by_id) == {p.point_id for p in [*small, hog]}
    assert "KilledWorker" in by_id[hog.point_id]["error"]
    assert by_id[small[0].point_id]["error"] == ""
    neighbour = by_id[small[1].point_id]["error"]
    assert neighbour == "" or "KilledWorker" in neighbour, "queued behind the dying point, it may die with it"


# --- results file: resume, torn lines, --force ---------------------------------------------------------------------

RESUME_CONFIG = """
seeds = 8
[base]
batch = 2
[grid]
size = { rows = [80, 96], cols = [80, 96] }
"""


def test_resume_after_the_sweep_was_killed_loses_no_finished_point(tmp_path: Path) -> None:
    config = _write(tmp_path / "resume.toml", RESUME_CONFIG)
    out = tmp_path / "resume.csv"
    command = [
        str(Path(sys.executable).with_name("memxbar")),
        "sweep",
        str(config),
        "--out",
        str(out),
        "--workers",
        "0",
        "--task-seconds",
        "0.001",
        "--no-progress",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if out.exists() and _rows_in(out.read_text()) >= 4:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = out.read_text()
    finished = _rows_in(before) - 1
    assert before.startswith("# command: ")  # the provenance of the file, before its header
    assert 3 <= finished < 16, "the sweep should have been killed midway"

    result = _cli("sweep", str(config), "--out", str(out), "--workers", "0", "--no-progress")
    assert result.exit_code == 0, result.stderr
    assert f"{16 - finished} to run, {finished} already in" in result.stderr
    after = out.read_text()
    assert after.startswith(before)
    frame = read_results(out)
    assert len(frame) == 16 and frame["point_id"].is_unique and (frame["error"] == "").all()
    assert _rows_in(after) == 17


def test_a_torn_last_line_is_cut_and_its_point_run_again(tmp_path: Path) -> None:
    out = tmp_path / "torn.csv"
    grid = {"rows": [3, 4, 5]}
    memxbar.sweep({}, grid, out=out, workers=0)
    complete = out.read_text()
    last = complete.splitlines()[-1]
    out.write_text(complete[: complete.rindex(last)] + last[:25])
    plan = plan_sweep({}, grid, out=out)
    assert len(plan.todo) == 1
    frame = run_sweep(plan, workers=0)
    assert len(frame) == 3 and out.read_text().count("\n") == 4 and (frame["error"] == "").all()


def test_a_failed_point_is_tried_again_on_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "failed.csv"
    memxbar.sweep({}, {"device": ["ohmic", "vteam"]}, out=out, workers=0)
    plan = plan_sweep({}, {"device": ["ohmic", "vteam"]}, out=out)
    assert [p.device for p in plan.todo] == ["vteam"]


def test_results_of_another_sweep_are_never_overwritten_and_force_keeps_a_backup(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    memxbar.sweep({}, {"rows": [3, 4]}, out=out, workers=0)
    first = out.read_text()
    with pytest.raises(InputError, match="2 point\\(s\\) that are not part of this sweep"):
        plan_sweep({}, {"rows": [5]}, out=out)
    result = _cli(
        "sweep",
        str(_write(tmp_path / "other.toml", "[grid]\nrows = [5]\n")),
        "--out",
        str(out),
        "--workers",
        "0",
        "--force",
        "--no-progress",
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "results.backup-1.csv").read_text() == first
    assert len(read_results(out)) == 1
    user_file = _write(tmp_path / "mine.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="not a results file of this memxbar version"):
        plan_sweep({}, {"rows": [5]}, out=user_file)


def test_columns_of_a_results_file() -> None:
    names = columns()
    assert names[0] == "point_id" and names[-1] == "error" and "energy_J" in names and "seed" in names


# --- plot-sweep ----------------------------------------------------------------------------------------------------


def test_plot_sweep_draws_lines_and_heatmaps(cluster_results: Path, tmp_path: Path) -> None:
    lines = tmp_path / "lines.png"
    result = _cli(
        "plot-sweep", str(cluster_results), "--x", "rows", "--series", "r_wl", "--where", "device=ohmic",
        "-o", str(lines),
    )
    assert result.exit_code == 0, result.stderr
    assert lines.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "left out: 8 point(s) failed" in result.stderr
    heat = tmp_path / "heat.png"
    result = _cli(
        "plot-sweep", str(cluster_results), "--x", "rows", "--y", "r_wl", "--metric", "power_W", "-o", str(heat)
    )
    assert result.exit_code == 0, result.stderr
    assert heat.stat().st_size > 1000
    again = _cli("plot-sweep", str(cluster_results), "--x", "rows", "--y", "r_wl", "-o", str(heat))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_plot_sweep_refuses_to_average_over_a_parameter_it_does_not_show(tmp_path: Path) -> None:
    out = tmp_path / "two.csv"
    memxbar.sweep({}, {"rows": [3, 4], "r_wl": [0.0, 1.0]}, out=out, workers=0)
    result = _cli("plot-sweep", str(out), "--x", "rows", "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert "r_wl varies too (0, 1); fix it with --where r_wl=VALUE or plot it with --series r_wl" in result.stderr
    result = _cli("plot-sweep", str(out), "--x", "rows", "--where", "r_wl=3", "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2 and "no successful point has that value; present: 0, 1" in result.stderr


# --- day-one faults (issue 14) -------------------------------------------------------------------------------------


def test_a_point_that_always_fails_is_recorded_once_and_the_sweep_exits_1(tmp_path: Path) -> None:
    config = _write(tmp_path / "fails.toml", "[grid]\ndevice = ['ohmic', 'vteam']\n")
    out = tmp_path / "fails.csv"
    for _ in range(2):
        result = _cli("sweep", str(config), "--out", str(out), "--workers", "0")
        assert result.exit_code == 1, result.stderr
        assert "point/s" not in result.stderr  # no progress bar when standard error is not a terminal
        assert "Error: 1 point(s) failed" in result.stderr and "vteam" in result.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith('# command: "memxbar sweep ') and any("device = ['ohmic', 'vteam']" in line
                                                                      for line in lines)
    assert len([line for line in lines if not line.startswith("#")]) == 3  # header, ohmic, vteam's error once
    assert len(read_results(out)) == 2


def test_an_inconsistent_sweep_is_refused_by_dry_run(tmp_path: Path) -> None:
    config = _write(tmp_path / "bad.toml", "[base]\ng_min = 1e-3\ng_max = 1e-4\n[grid]\nrows = [2, 3]\n")
    result = _cli("sweep", str(config), "--dry-run")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "cannot be built" in result.stderr and "g_min 0.001 S exceeds g_max 0.0001 S" in result.stderr


def test_an_absurd_grid_is_refused_with_its_count_before_it_is_built(tmp_path: Path) -> None:
    values = ", ".join(str(v) for v in range(1, 101))
    text = f"[grid]\nrows = [{values}]\ncols = [{values}]\nbatch = [{values}]\nseed = [{values}]\n"
    result = _cli("sweep", str(_write(tmp_path / "huge.toml", text)), "--dry-run")
    assert result.exit_code == 2 and "the grid has 100,000,000 points" in result.stderr


def test_a_results_file_in_use_is_refused_naming_its_holder(tmp_path: Path) -> None:
    from memxbar.sweeps.store import locked

    out = tmp_path / "busy.csv"
    with locked(out):
        with pytest.raises(InputError, match=f"busy.csv is being written by process {os.getpid()}"):
            memxbar.sweep({}, {"rows": [2, 3]}, out=out, workers=0)
    assert len(memxbar.sweep({}, {"rows": [2, 3]}, out=out, workers=0)) == 2


def test_a_bad_metric_cell_is_not_done_and_is_left_out_of_plots(tmp_path: Path) -> None:
    out = tmp_path / "cells.csv"
    memxbar.sweep({}, {"rows": [2, 3]}, out=out, workers=0)
    header, first, second = out.read_text().splitlines()
    column = header.split(",").index("power_W")
    cells = first.split(",")
    cells[column] = "abc"
    out.write_text("\n".join([header, ",".join(cells), second]) + "\n")
    assert len(plan_sweep({}, {"rows": [2, 3]}, out=out).todo) == 1
    frame = read_results(out)
    assert frame.loc[0, "error"] == "results file: power_W is not a number" and frame["power_W"].dtype == float


def test_non_utf8_config_and_results_give_one_line(tmp_path: Path) -> None:
    config = tmp_path / "latin.toml"
    config.write_bytes("[base]\n# r\xe9sistance\nrows = 2\n".encode("latin-1"))
    result = _cli("sweep", str(config), "--dry-run")
    assert result.exit_code == 2 and "not UTF-8" in result.stderr and result.stderr.count("\n") == 1
    results = tmp_path / "latin.csv"
    results.write_bytes(b"point_id,error\n\xff\xfe\n")
    result = _cli("plot-sweep", str(results), "--x", "rows", "-o", str(tmp_path / "p.png"))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
    good = _write(tmp_path / "good.toml", "[grid]\nrows = [2, 3]\n")
    result = _cli("sweep", str(good), "--out", str(results), "--workers", "0")
    assert result.exit_code == 2 and "not UTF-8" in result.stderr and result.stderr.count("\n") == 1


def test_sweep_examples_print_and_run(tmp_path: Path) -> None:
    names = example_names()
    assert len(names) >= 3
    for name in names:
        result = _cli("sweep", "--example", name, "--print")
        assert result.exit_code == 0 and "[grid]" in result.stdout
        result = _cli("sweep", "--example", name, "--dry-run", "--out", str(tmp_path / f"{name}.csv"))
        assert result.exit_code == 0, result.stderr
    help_text = _cli("sweep", "--help").stdout
    assert re.search(r"g_min +1e-06 S", help_text) and "device_NAME" in help_text
