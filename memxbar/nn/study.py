"""The study behind ``memxbar nn``: accuracy and energy of an MLP on crossbars, by device set, line
resistance and training, over seeds.

For every seed: a plain (software) network is trained once and its digital accuracy measured;
for every device set, an aware-ideal network (nonidealities and I–V nonlinearity with ideal wires,
the model of Joksas et al., Adv. Sci. 9, 2105784, 2022) is trained once; for every line resistance
above 0 Ω, the aware-ideal network is fine-tuned through the exact circuit (aware-circuit; with
ideal wires it would be the aware-ideal network again, so it is not run there). Each network is
then programmed onto crossbars of that device set and line resistance (the same programming seed
for every training) and its test accuracy and energy come from memxbar's circuit solve of every
tile. One result row per (device set, line resistance, training), mean and standard deviation
over the seeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from memxbar.errors import InputError
from memxbar.nn.data import Dataset
from memxbar.nn.devices import HIGH_R, LOW_R, DeviceSet
from memxbar.nn.energy import EnergyModel
from memxbar.nn.mapping import Mapping
from memxbar.nn.network import Hardware, digital_forward, program
from memxbar.nn.nonidealities import Nonideality

TRAINING_ORDER = ("plain", "aware-ideal", "aware-circuit")
"""Trainings in table order (as :data:`memxbar.nn.training.TRAININGS`, without importing JAX)."""


@dataclass(frozen=True)
class StudyOptions:
    """What the study runs."""

    devices: tuple[DeviceSet, ...] = (LOW_R, HIGH_R)
    """Device sets."""
    r_lines: tuple[float, ...] = (0.0, 1.0)
    """Word- and bit-line segment resistances, in ohms (Ω)."""
    trainings: tuple[str, ...] = TRAINING_ORDER
    """Trainings to compare."""
    seeds: int = 3
    """Number of seeds (0, 1, …): initial weights, minibatches, nonideality draws."""
    test_samples: int | None = None
    """Test inputs run through the circuits (the first ones of the test set); None: all."""
    mapping: Mapping = field(default_factory=Mapping)
    """Layout and read voltages."""
    nonidealities: tuple[Nonideality, ...] = ()
    """Nonidealities besides line resistance and I–V nonlinearity."""
    energy: EnergyModel = field(default_factory=EnergyModel)
    """Read time and peripheral energy figures."""
    training: Any = None
    """:class:`memxbar.nn.training.TrainingOptions`; None: its defaults."""

    def __post_init__(self) -> None:
        unknown = [t for t in self.trainings if t not in TRAINING_ORDER]
        if unknown or not self.trainings:
            raise InputError(f"trainings must be among {', '.join(TRAINING_ORDER)}, got {', '.join(unknown) or 'none'}")
        if not (isinstance(self.seeds, int) and self.seeds >= 1):
            raise InputError(f"seeds must be a whole number >= 1, got {self.seeds!r}")
        if not self.devices:
            raise InputError("devices: give at least one device set")
        for r in self.r_lines:
            if not (np.isfinite(r) and r >= 0):
                raise InputError(f"r_lines must be resistances >= 0 Ω, got {r!r}")
        if self.test_samples is not None and not (isinstance(self.test_samples, int) and self.test_samples >= 1):
            raise InputError(f"test_samples must be a whole number >= 1, got {self.test_samples!r}")


@dataclass(frozen=True)
class StudyResult:
    """Rows of the study and how long it took."""

    rows: list[dict[str, Any]]
    """One row per (device set, line resistance, training)."""
    digital: dict[str, Any]
    """Accuracy of the plain networks in floating point (software) on the same test inputs, mean and
    std over seeds."""
    runs: list[dict[str, Any]]
    """One row per seed of every configuration."""
    wall_time: float
    """Seconds the study took."""

    def table(self) -> str:
        """The rows as a plain-text table."""
        head = (f"{'devices':<10} {'r_line/Ω':>8} {'training':<14} {'accuracy':>16} {'energy/inference':>17} "
                f"{'TOPS/W':>10}")
        lines = [head, "-" * len(head)]
        for row in self.rows:
            acc = _accuracy(row)
            lines.append(f"{row['devices']:<10} {row['r_line_ohm']:>8g} {row['training']:<14} {acc:>16} "
                         f"{row['energy_per_inference_J']:>15.3g} J {row['tops_per_watt']:>10.4g}")
        d = self.digital
        lines.append(f"{'digital':<10} {'':>8} {'plain':<14} {_accuracy(d):>16}")
        return "\n".join(lines)


def _accuracy(row: dict[str, Any]) -> str:
    return f"{100 * row['accuracy_mean']:.1f} ± {100 * row['accuracy_std']:.1f} %"


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    accuracy = np.array([run["accuracy"] for run in runs])
    energy = float(np.mean([run["energy_per_inference_J"] for run in runs]))
    ops = runs[0]["operations"]
    return {
        "devices": runs[0]["devices"],
        "r_line_ohm": runs[0]["r_line_ohm"],
        "training": runs[0]["training"],
        "accuracy_mean": float(accuracy.mean()),
        "accuracy_std": float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0,
        "energy_per_inference_J": energy,
        "tops_per_watt": ops / energy / 1e12,
        "peripheral_energy_per_inference_J": float(np.mean([run["peripheral_energy_J"] for run in runs])),
        "operations_per_inference": ops,
        "seeds": len(runs),
        "test_samples": runs[0]["test_samples"],
        "accuracies": accuracy.tolist(),
        "circuit_seconds": float(sum(run["circuit_seconds"] for run in runs)),
    }


def test_set(dataset: Dataset, samples: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The test inputs (B, features) and labels (B,) the study runs: the first ``samples`` (None: all)."""
    if samples is None:
        return dataset.x_test, dataset.y_test
    return dataset.x_test[:samples], dataset.y_test[:samples]


def trained_network(dataset: Dataset, training: str, hardware: Hardware, options: Any, seed: int) -> list[np.ndarray]:
    """The weights the study evaluates for one (training, hardware, seed), trained from scratch.

    ``"plain"``: software training; ``"aware-ideal"``: trained with the hardware's nonidealities and
    ideal wires; ``"aware-circuit"``: that aware-ideal network fine-tuned through the hardware's
    exact circuit (with ideal wires, ``r_line = 0``, it is the aware-ideal network, as in the study).

    Args:
        dataset: The data.
        training: A name of :data:`TRAINING_ORDER`.
        hardware: The hardware.
        options: :class:`memxbar.nn.training.TrainingOptions`.
        seed: The seed (initial weights, minibatches, nonideality draws).

    Returns:
        The weights per layer, (K + 1, N) with the bias last.
    """
    from memxbar.nn.training import train

    if training == "plain":
        return train(dataset, "plain", None, options, seed)
    aware = train(dataset, "aware-ideal", replace(hardware, r_line=0.0), options, seed)
    if training == "aware-ideal" or hardware.r_line == 0:
        return aware
    return train(dataset, "aware-circuit", hardware, options, seed, aware)


def evaluate(weights: list[np.ndarray], hardware: Hardware, x: np.ndarray, labels: np.ndarray,
             seed: int) -> dict[str, Any]:
    """Program a network onto crossbars and run test inputs through their circuits, as the study does.

    The programming draws come from the generator seeded ``[seed, 7]``, the read-time draws from
    ``[seed, 8]``, so every training of one seed meets the same devices.

    Args:
        weights: Per layer, the (K, N) weights, last row the bias.
        hardware: The hardware.
        x: (B, features) test inputs in [0, 1].
        labels: (B,) their classes.
        seed: The seed.

    Returns:
        ``accuracy`` (fraction), ``energy_per_inference_J``, ``tops_per_watt``, ``operations`` (per
        inference), ``peripheral_energy_J`` (DAC and ADC, per inference), ``test_samples`` and
        ``circuit_seconds`` (time of the circuit solves, s).

    Raises:
        ConvergenceError: If a nonlinear circuit solve does not converge.
    """
    net = program(weights, hardware, np.random.default_rng([seed, 7]))
    result = net.infer(x, rng=np.random.default_rng([seed, 8]))
    return {"accuracy": result.accuracy(labels), "energy_per_inference_J": result.energy_per_inference,
            "tops_per_watt": result.tops_per_watt, "operations": result.operations,
            "peripheral_energy_J": result.peripheral_energy, "test_samples": len(labels),
            "circuit_seconds": result.wall_time}


def run_study(dataset: Dataset, options: StudyOptions,
              progress: Callable[[str], None] | None = None) -> StudyResult:
    """Train, program and evaluate every configuration of ``options`` on ``dataset``.

    Args:
        dataset: The data (:func:`memxbar.nn.data.load_digits` or :func:`~memxbar.nn.data.load_mnist`).
        options: What to run.
        progress: Called with a one-line message after each step.

    Returns:
        The :class:`StudyResult`.

    Raises:
        ConvergenceError: If a nonlinear circuit solve does not converge.
    """
    from memxbar.nn.training import TrainingOptions, train

    start = time.perf_counter()
    say = progress or (lambda message: None)
    training = options.training or TrainingOptions()
    x_test, y_test = test_set(dataset, options.test_samples)
    runs: list[dict[str, Any]] = []
    digital = []
    for seed in range(options.seeds):
        plain = train(dataset, "plain", None, training, seed)
        digital.append(float(np.mean(np.argmax(digital_forward(plain, x_test), axis=1) == y_test)))
        say(f"seed {seed}: plain training, digital accuracy {100 * digital[-1]:.1f} %")
        for devices in options.devices:
            base = Hardware(devices, 0.0, options.mapping, tuple(options.nonidealities), options.energy)
            aware = None
            if {"aware-ideal", "aware-circuit"} & set(options.trainings):
                aware = train(dataset, "aware-ideal", base, training, seed)
            for r_line in options.r_lines:
                hardware = replace(base, r_line=float(r_line))
                networks = {"plain": plain, "aware-ideal": aware}
                if "aware-circuit" in options.trainings and r_line > 0:
                    t0 = time.perf_counter()
                    networks["aware-circuit"] = train(dataset, "aware-circuit", hardware, training, seed, aware)
                    say(f"seed {seed}: {devices.name}, {r_line:g} Ω: fine-tuned through the circuit in "
                        f"{time.perf_counter() - t0:.1f} s")
                for name in (t for t in TRAINING_ORDER if t in options.trainings and t in networks):
                    run = evaluate(networks[name], hardware, x_test, y_test, seed)
                    runs.append({"devices": devices.name, "r_line_ohm": float(r_line), "training": name, "seed": seed,
                                 **run})
                    say(f"seed {seed}: {devices.name}, {r_line:g} Ω, {name}: accuracy "
                        f"{100 * run['accuracy']:.1f} %, {run['tops_per_watt']:.4g} TOPS/W "
                        f"({run['circuit_seconds']:.1f} s)")
    rows = []
    for devices in options.devices:
        for r_line in options.r_lines:
            for name in TRAINING_ORDER:
                group = [run for run in runs if run["devices"] == devices.name and run["r_line_ohm"] == float(r_line)
                         and run["training"] == name]
                if group:
                    rows.append(_summary(group))
    accuracy = np.array(digital)
    summary = {"accuracy_mean": float(accuracy.mean()),
               "accuracy_std": float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0,
               "accuracies": accuracy.tolist(), "test_samples": len(y_test)}
    return StudyResult(rows, summary, runs, time.perf_counter() - start)


def describe(options: StudyOptions, dataset: Dataset) -> dict[str, Any]:
    """The study's settings as plain data, for the JSON report."""
    training = options.training
    return {
        "dataset": dataset.name,
        "train_samples": len(dataset.y_train),
        "network": [dataset.features, *(training.hidden if training else (25,)), dataset.classes],
        "devices": [asdict(d) for d in options.devices],
        "r_lines_ohm": list(options.r_lines),
        "trainings": list(options.trainings),
        "seeds": options.seeds,
        "mapping": asdict(options.mapping),
        "nonidealities": [{"kind": type(n).__name__, **asdict(n), "source": n.source} for n in options.nonidealities],
        "energy": asdict(options.energy),
        "training": asdict(training) if training else None,
    }


def plot_study(result: StudyResult, path: str, title: str = "") -> None:
    """Accuracy (mean ± std over seeds) against TOPS/W, one point per configuration, one panel per
    line resistance, to an image file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markers = {"plain": "o", "aware-ideal": "s", "aware-circuit": "D"}
    offsets = {"plain": 0.94, "aware-ideal": 1.0, "aware-circuit": 1.06}
    devices = list(dict.fromkeys(row["devices"] for row in result.rows))
    r_lines = sorted({row["r_line_ohm"] for row in result.rows})
    colours = plt.get_cmap("tab10")
    fig, axes = plt.subplots(1, len(r_lines), figsize=(4.2 * len(r_lines) + 1.5, 4.6), sharey=True, squeeze=False)
    low = min(row["tops_per_watt"] for row in result.rows)
    high = max(row["tops_per_watt"] for row in result.rows)
    for ax, r_line in zip(axes[0], r_lines, strict=True):
        for row in (row for row in result.rows if row["r_line_ohm"] == r_line):
            colour = colours(devices.index(row["devices"]))
            ax.errorbar(row["tops_per_watt"] * offsets[row["training"]], 100 * row["accuracy_mean"],
                        yerr=100 * row["accuracy_std"], marker=markers[row["training"]], color=colour,
                        linestyle="none", capsize=3, markersize=7)
        ax.axhline(100 * result.digital["accuracy_mean"], color="grey", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlim(low / 3, high * 3)
        ax.set_xlabel("crossbar TOPS/W")
        ax.set_title("ideal wires" if r_line == 0 else f"{r_line:g} Ω per line segment")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("test accuracy (%), mean ± std over seeds")
    handles = [plt.Line2D([], [], marker=m, color="black", linestyle="none", label=t) for t, m in markers.items()]
    handles += [plt.Line2D([], [], marker="o", color=colours(k), linestyle="none", label=d)
                for k, d in enumerate(devices)]
    handles.append(plt.Line2D([], [], color="grey", linestyle="--", label="digital (software)"))
    fig.legend(handles=handles, loc="center right", fontsize=9)
    fig.suptitle(title or "MLP on crossbars: accuracy against energy efficiency")
    fig.tight_layout(rect=(0, 0, 1 - 1.4 / (4.2 * len(r_lines) + 1.5), 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
