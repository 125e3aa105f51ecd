"""``memxbar nn``: an MLP on simulated crossbars, its accuracy and energy (TOPS/W), plain against aware training."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from memxbar.cli.options import force_option, output_paths
from memxbar.errors import InputError

QUICK = {"seeds": 2, "epochs": 8, "circuit_steps": 2, "circuit_batch": 16, "test_samples": 40}
"""Settings of ``--quick`` (about a minute of processor time)."""

FULL = {"seeds": 3, "epochs": 30, "circuit_steps": 10, "circuit_batch": 16, "test_samples": 150}
"""Default settings (about half an hour on a busy 2-core machine; nonlinear circuit solves dominate)."""


def _device_set(text: str) -> Any:
    from memxbar.nn.devices import DEVICE_SETS, DeviceSet

    if text in DEVICE_SETS:
        return DEVICE_SETS[text]
    parts = text.split(":")
    try:
        if len(parts) in (3, 5):
            numbers = [float(p) for p in parts[1:]]
            return DeviceSet(parts[0], *numbers)
    except ValueError:
        pass
    raise InputError(f"--devices: {text!r} is neither {' nor '.join(DEVICE_SETS)} nor NAME:G_OFF:G_ON[:N_MEAN:N_STD] "
                     "(conductances in S, e.g. mine:1e-6:1e-4:2.5:0.1)")


@click.command("nn")
@click.option("--quick", is_flag=True, help="Small run in about a minute: 2 seeds, 8 epochs, 40 test inputs.")
@click.option("--dataset", type=click.Choice(["digits", "mnist"]), default="digits", show_default=True,
              help="digits: scikit-learn's bundled 8x8 digits; mnist: your own files (--data), never downloaded.")
@click.option("--data", "data_path", type=click.Path(), help="MNIST: directory of the IDX files, or an .npz.")
@click.option("--devices", "device_sets", multiple=True,
              help="Device set: low-R, high-R or NAME:G_OFF:G_ON[:N_MEAN:N_STD] (repeatable). Default: low-R, high-R.")
@click.option("--r-line", "r_lines", type=float, multiple=True,
              help="Word- and bit-line segment resistance in Ω (repeatable). Default: 0 and 1.")
@click.option("--training", "trainings", multiple=True,
              type=click.Choice(["plain", "aware-ideal", "aware-circuit"]), help="Trainings to compare (default all).")
@click.option("--seeds", type=int, help="Number of seeds [default: 3; --quick 2].")
@click.option("--epochs", type=int, help="Training epochs [default: 30; --quick 8].")
@click.option("--circuit-steps", type=int, help="Aware-circuit fine-tuning minibatches [default: 10; --quick 2].")
@click.option("--test-samples", type=int, help="Test inputs run through the circuits [default: 150; --quick 40].")
@click.option("--hidden", type=int, default=25, show_default=True, help="Hidden-layer size.")
@click.option("--scheme", type=click.Choice(["differential", "offset"]), default="differential", show_default=True)
@click.option("--tile-rows", type=int, default=128, show_default=True, help="Word lines per crossbar tile.")
@click.option("--tile-cols", type=int, default=128, show_default=True, help="Bit lines per crossbar tile.")
@click.option("--v-read", type=float, default=0.5, show_default=True, help="Read voltage of input 1 (V).")
@click.option("--t-read", type=float, default=10e-9, show_default=True, help="Read time per VMM (s).")
@click.option("--dac-energy", type=float, default=0.0, show_default=True, help="Energy per DAC conversion (J).")
@click.option("--adc-energy", type=float, default=0.0, show_default=True, help="Energy per ADC conversion (J).")
@click.option("--d2d", type=float, help="Device-to-device variability: std of ln G.")
@click.option("--stuck-on", type=float, default=0.0, help="Fraction of devices stuck at G_on.")
@click.option("--stuck-off", type=float, default=0.0, help="Fraction of devices stuck at G_off.")
@click.option("--programming-error", type=float, help="Write error std as a fraction of G_on - G_off.")
@click.option("--levels", type=int, help="Number of programmable conductance levels.")
@click.option("--drift-time", type=float, help="Read time after programming for power-law drift (s).")
@click.option("--drift-nu", type=float, default=0.05, show_default=True, help="Drift exponent.")
@click.option("--read-noise", type=float, help="Relative read noise of each device current.")
@click.option("--dac-bits", type=int, help="DAC resolution (bits).")
@click.option("--adc-bits", type=int, help="ADC resolution (bits).")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Write every figure to this JSON file.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), help="Accuracy against TOPS/W, to an image.")
@force_option
def nn_command(quick: bool, dataset: str, data_path: str | None, device_sets: tuple[str, ...],
               r_lines: tuple[float, ...], trainings: tuple[str, ...], seeds: int | None, epochs: int | None,
               circuit_steps: int | None, test_samples: int | None, hidden: int, scheme: str, tile_rows: int,
               tile_cols: int, v_read: float, t_read: float, dac_energy: float, adc_energy: float,
               json_file: str | None, plot_file: str | None, force: bool, **nonideality_options: Any) -> None:
    """Train an MLP (inputs-hidden-10, sigmoid) plainly and nonideality-aware, run it on crossbars solved
    exactly (line resistance, nonlinear devices) and print accuracy, energy per inference and TOPS/W."""
    json_path, plot_path = output_paths(force, {"--json": json_file, "--plot": plot_file}, images=("--plot",))
    if dataset == "mnist" and data_path is None:
        raise InputError("--dataset mnist needs --data PATH (your own IDX files or .npz; nothing is downloaded)")
    if dataset == "digits" and data_path is not None:
        raise InputError("--data is for --dataset mnist; the digits come with scikit-learn")

    from memxbar.nn.data import load_digits, load_mnist
    from memxbar.nn.devices import HIGH_R, LOW_R
    from memxbar.nn.energy import EnergyModel
    from memxbar.nn.mapping import Mapping
    from memxbar.nn.nonidealities import from_settings
    from memxbar.nn.study import StudyOptions, describe, plot_study, run_study

    try:
        from memxbar.nn.training import TrainingOptions
    except ImportError as exc:
        raise InputError(f"memxbar nn needs the nn extra (JAX, optax, scikit-learn): "
                         f"pip install 'memxbar[nn]' ({exc})") from None

    defaults = QUICK if quick else FULL
    pick = {"seeds": seeds, "epochs": epochs, "circuit_steps": circuit_steps, "test_samples": test_samples}
    settings = {**defaults, **{k: v for k, v in pick.items() if v is not None}}
    training = TrainingOptions(hidden=(hidden,), epochs=settings["epochs"], circuit_steps=settings["circuit_steps"],
                               circuit_batch=settings["circuit_batch"])
    options = StudyOptions(
        devices=tuple(_device_set(d) for d in device_sets) or (LOW_R, HIGH_R),
        r_lines=r_lines or (0.0, 1.0),
        trainings=trainings or ("plain", "aware-ideal", "aware-circuit"),
        seeds=settings["seeds"],
        test_samples=settings["test_samples"],
        mapping=Mapping(scheme, v_read, tile_rows, tile_cols),
        nonidealities=from_settings(**nonideality_options),
        energy=EnergyModel(t_read, dac_energy, adc_energy),
        training=training,
    )
    data = load_mnist(data_path) if dataset == "mnist" else load_digits()
    start = time.perf_counter()
    result = run_study(data, options, progress=lambda message: click.echo(message, err=True))
    click.echo(result.table())
    click.echo(f"{data.name}: {len(data.y_train)} training and {result.rows[0]['test_samples']} test inputs, "
               f"{options.seeds} seeds, t_read {t_read:g} s; {time.perf_counter() - start:.1f} s")
    if json_path is not None:
        from memxbar.report import provenance

        report = {"provenance": provenance(describe(options, data)), "results": result.rows,
                  "digital": result.digital, "runs": result.runs, "settings": describe(options, data),
                  "wall_time_s": result.wall_time}
        json_path.write_text(json.dumps(report, indent=2, default=str))
        click.echo(f"results written to {json_path}")
    if plot_path is not None:
        plot_study(result, str(plot_path), f"MLP {data.features}-{hidden}-{data.classes} on {data.name}")
        click.echo(f"figure written to {plot_path}")
