"""Network sweeps: neural networks on crossbars as sweep points (one row per point, resumable), their
rows against ``memxbar nn`` on the same settings, and bad configurations."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("jax")

import memxbar  # noqa: E402
from memxbar.cli import main  # noqa: E402
from memxbar.errors import InputError  # noqa: E402
from memxbar.examples import example_path  # noqa: E402
from memxbar.sweeps import NetworkExperiment, load_config, plan_sweep, read_results  # noqa: E402
from memxbar.sweeps.network import METRICS  # noqa: E402

QUICK = {"hidden": 6, "epochs": 1, "circuit_steps": 1, "test_samples": 8, "tile_rows": 16, "tile_cols": 16}
"""Settings of a network point that runs in about a second."""

CONFIG = """
kind = "network"
seeds = 2

[base]
devices = "high-R"
r_line = 1.0
hidden = 6
epochs = 1
circuit_steps = 1
test_samples = 8
tile_rows = 16
tile_cols = 16

[grid]
training = ["plain", "aware-circuit"]
"""
"""Four points: plain and aware-circuit training (aware-ideal, then one minibatch through the circuit),
two seeds, high-R devices on 16×16 tiles with 1 Ω segments."""


def _cli(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def _rows_in(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")][1:]


def test_network_sweep_writes_one_row_per_point_resumes_and_equals_memxbar_nn(tmp_path: Path) -> None:
    config = tmp_path / "nn.toml"
    config.write_text(CONFIG)
    out = tmp_path / "nn.csv"
    result = _cli("sweep", str(config), "--out", str(out), "--workers", "0", "--no-progress")
    assert result.exit_code == 0, result.stderr
    frame = read_results(out)
    assert len(frame) == 4 and len(_rows_in(out)) == 4 and (frame["error"] == "").all()
    assert set(METRICS) <= set(frame.columns)
    assert sorted(zip(frame["training"], frame["seed"], strict=True)) == [
        ("aware-circuit", 0), ("aware-circuit", 1), ("plain", 0), ("plain", 1)]
    assert (frame["devices"] == "high-R").all() and (frame["g_on"] == 1 / 366.2e3).all()
    assert ((frame["accuracy"] >= 0) & (frame["accuracy"] <= 1)).all() and (frame["tops_per_watt"] > 0).all()

    # The same configurations run by `memxbar nn` (seeds 0 and 1): the same accuracy and energy per row.
    report = tmp_path / "nn.json"
    direct = _cli("nn", "--devices", "high-R", "--r-line", "1", "--training", "plain", "--training", "aware-circuit",
                  "--seeds", "2", "--hidden", "6", "--epochs", "1", "--circuit-steps", "1", "--test-samples", "8",
                  "--tile-rows", "16", "--tile-cols", "16", "--json", str(report))
    assert direct.exit_code == 0, direct.stderr
    runs = json.loads(report.read_text())["runs"]
    assert len(runs) == 4
    rows = frame.set_index(["training", "seed"])
    for run in runs:
        row = rows.loc[(run["training"], run["seed"])]
        assert row["accuracy"] == run["accuracy"]
        assert row["energy_per_inference_J"] == pytest.approx(run["energy_per_inference_J"], rel=1e-9)
        assert row["operations"] == run["operations"]

    # A killed sweep: its last row lost and the one before torn. Only those two points run again.
    lines = out.read_text().splitlines(keepends=True)
    kept = "".join(lines[:-2]) + lines[-2][:20]
    out.write_text(kept)
    loaded = load_config(config)
    assert len(plan_sweep(loaded.base, loaded.grid, loaded.seeds, out=out, kind=loaded.kind).todo) == 2
    again = _cli("sweep", str(config), "--out", str(out), "--workers", "0", "--no-progress")
    assert again.exit_code == 0, again.stderr
    assert "4 points, 2 to run, 2 already in" in again.stderr
    resumed = read_results(out)
    assert len(_rows_in(out)) == 4 and (resumed["error"] == "").all()
    assert (resumed.set_index("point_id")["accuracy"] == frame.set_index("point_id")["accuracy"]).all()
    untouched = _cli("sweep", str(config), "--out", str(out), "--workers", "0", "--no-progress")
    assert untouched.exit_code == 0 and "0 to run" in untouched.stderr and len(_rows_in(out)) == 4

    figure = tmp_path / "accuracy.png"
    drawn = _cli("plot-sweep", str(out), "--x", "training", "--metric", "tops_per_watt", "-o", str(figure))
    assert drawn.exit_code == 0, drawn.stderr
    assert figure.stat().st_size > 1000


def test_network_sweep_on_a_dask_worker_with_nonidealities_and_custom_devices() -> None:
    base = NetworkExperiment(devices="custom", g_off=1e-6, g_on=1e-4, n_mean=2.5, n_std=0.1, **QUICK)
    grid = {"faults": {"stuck_off": [0.0, 0.5], "adc_bits": [0, 2]}}
    frame = memxbar.sweep(base, grid, workers=1)
    assert len(frame) == 2 and (frame["error"] == "").all()
    here = memxbar.sweep(base, grid, workers=0)
    assert list(here["accuracy"]) == list(frame["accuracy"])
    assert here["energy_per_inference_J"].to_numpy() == pytest.approx(frame["energy_per_inference_J"].to_numpy(),
                                                                     rel=1e-9)
    assert (frame["g_on"] == 1e-4).all() and list(frame["adc_bits"]) == [0, 2]
    clean, faulty = frame["accuracy"]
    assert clean > faulty  # half the devices stuck at G_off and a 2-bit ADC
    assert (frame["accuracy_software"] == frame["accuracy_software"].iloc[0]).all()  # same plain network


def test_aware_circuit_training_with_ideal_wires_is_the_aware_ideal_network() -> None:
    frame = memxbar.sweep({**QUICK, "devices": "high-R"}, {"training": ["aware-ideal", "aware-circuit"]},
                          kind="network", workers=0)
    assert (frame["error"] == "").all()
    ideal, circuit = frame.to_dict("records")
    for name in ("accuracy", "accuracy_software", "energy_per_inference_J"):
        assert ideal[name] == circuit[name]


def test_named_device_sets_fill_the_device_columns_and_a_custom_range_is_only_theirs() -> None:
    points = plan_sweep({**QUICK, "g_off": 1e-6}, {"devices": ["low-R", "custom"], "g_on": [1e-4, 2e-4]},
                        kind="network").points
    assert [(p.devices, p.g_off, p.g_on) for p in points] == [
        ("low-R", 1 / 1003.0, 1 / 284.6), ("custom", 1e-6, 1e-4), ("custom", 1e-6, 2e-4)]
    assert points[0].n_mean == 2.132 and points[0].n_std == 0.095
    with pytest.raises(InputError, match="g_on describes custom devices"):
        plan_sweep({**QUICK}, {"devices": ["low-R", "high-R"], "g_on": [1e-4, 2e-4]}, kind="network")


BAD = [
    ('kind = "network"\n[grid]\ntile_size = [16, 32]', "grid.tile_size: unknown parameter of a network sweep"),
    ('kind = "network"\n[grid]\ndevices = ["low-R", "medium-R"]', "grid.devices[1]: expected one of 'low-R'"),
    ('kind = "network"\n[grid]\ntile_rows = [1, 16]', "grid.tile_rows[0]: must be >= 2, got 1"),
    ('kind = "network"\n[base]\ntile_cols = 1', "base.tile_cols: must be >= 2, got 1"),
    ('kind = "network"\n[base]\ndevices = "custom"\ng_off = 1e-4\ng_on = 1e-5', "need 0 < g_off < g_on"),
    ('kind = "network"\n[base]\ng_on = 1e-4', "g_on describes custom devices"),
    ('kind = "network"\n[base]\nlevels = 1', "(levels=1): FiniteLevels: levels must be a whole number in [2"),
    ('kind = "network"\n[base]\ndataset = "mnist"', "data: give the MNIST files"),
    ('kind = "networks"', "kind: expected one of 'crossbar', 'network'"),
    ('kind = "network"\n[grid]\nrows = [4, 8]', "grid.rows: unknown parameter of a network sweep"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_network_config_exits_2_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = _cli("sweep", str(config), "--dry-run", "--out", str(tmp_path / "bad.csv"))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines


def test_a_results_file_of_the_other_kind_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "crossbar.csv"
    memxbar.sweep({}, {"rows": [2, 3]}, out=out, workers=0)
    with pytest.raises(InputError, match="holds a crossbar sweep, not a network sweep"):
        plan_sweep(QUICK, {"training": ["plain"]}, out=out, kind="network")


def test_network_example_ships_and_expands() -> None:
    config = load_config(example_path("nn_tiles_vs_lines"))
    plan = plan_sweep(config.base, config.grid, config.seeds, kind=config.kind)
    assert config.kind == "network" and len(plan.points) == 32
    assert all(p.tile_rows == p.tile_cols and p.epochs == 10 for p in plan.points)


def _separable_mnist(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped images (count, 28, 28) of 0-255 whose class k lights rows 2k and 2k+1, over dim noise."""
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 40, (count, 28, 28))
    for index, label in enumerate(labels):
        images[index, 2 * label: 2 * label + 2, :] = 255
    return images.astype(np.uint8), labels.astype(np.uint8)


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_mnist_from_the_users_files_runs_in_memxbar_nn_and_as_a_sweep_point(tmp_path: Path) -> None:
    from memxbar.nn.data import MNIST_FILES

    rng = np.random.default_rng(5)
    x_train, y_train = _separable_mnist(rng, 300)
    x_test, y_test = _separable_mnist(rng, 30)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    folder = tmp_path / "mnist"
    folder.mkdir()
    for key, stem in MNIST_FILES.items():
        _write_idx(folder / f"{stem}.gz", arrays[key])
    report = tmp_path / "mnist.json"
    args = ["nn", "--dataset", "mnist", "--data", str(folder), "--devices", "lin:1e-6:1e-4", "--r-line", "0",
            "--training", "plain", "--seeds", "1", "--epochs", "10", "--hidden", "8", "--test-samples", "30",
            "--json", str(report)]
    result = _cli(*args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["settings"]["dataset"] == "mnist" and data["settings"]["network"] == [784, 8, 10]
    assert data["settings"]["train_samples"] == 300
    (run,) = data["runs"]
    assert run["accuracy"] >= 0.9  # the classes are separable: labels and images were read in step
    assert run["operations"] == 2 * (785 * 8 + 9 * 10)

    npz = tmp_path / "mnist.npz"
    np.savez(npz, **arrays)
    point = NetworkExperiment(dataset="mnist", data=str(npz), devices="custom", g_off=1e-6, g_on=1e-4, hidden=8,
                              epochs=10, test_samples=30)
    frame = memxbar.sweep(point, workers=0)
    assert (frame["error"] == "").all() and frame["accuracy"].iloc[0] == run["accuracy"]

    (folder / f"{MNIST_FILES['y_test']}.gz").unlink()
    missing = _cli(*args[:-1], str(tmp_path / "again.json"))
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "no t10k-labels-idx1-ubyte" in missing.stderr
