"""``memxbar iv``: a periodic voltage on one dynamic device, in ngspice and in SciPy, compared."""

from __future__ import annotations

import sys
from typing import Any

import click

from memxbar.cli.options import DeviceParameter, build_device, force_option, output_paths
from memxbar.devices import MODELS
from memxbar.devices.dynamic import Memristor

WAVEFORMS = ("sine", "triangle")
"""Shapes of the applied voltage (:data:`memxbar.iv.stimulus.WAVEFORMS`)."""
DYNAMIC_MODELS = tuple(name for name, model in MODELS.items() if issubclass(model, Memristor))
"""Names of the dynamic models (:data:`memxbar.iv.sweep.DYNAMIC_MODELS`)."""


@click.command("iv")
@click.option("--device", type=click.Choice(DYNAMIC_MODELS), help="Dynamic device model (or --device-file).")
@click.option(
    "--device-file",
    type=click.Path(dir_okay=False),
    help="A dynamic Verilog-A model (.va, state on ddt nodes), compiled to OSDI, instead of --device.",
)
@click.option(
    "--device-param",
    "device_params",
    type=DeviceParameter(),
    multiple=True,
    help="A device-model parameter KEY=VALUE in SI units (repeatable); see `memxbar models NAME`.",
)
@click.option("--waveform", type=click.Choice(WAVEFORMS), default="sine", show_default=True, help="Shape of V(t).")
@click.option("--amplitude", type=float, help="Peak voltage (V) [default: the model's].")
@click.option("--frequency", type=float, help="Frequency (Hz) [default: the model's].")
@click.option("--cycles", type=float, default=2.0, show_default=True, help="Number of periods.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Write the agreement figures here.")
@click.option(
    "--npz",
    "npz_file",
    type=click.Path(dir_okay=False),
    help="Write the traces (time, voltage, current and states of both backends) to this .npz file.",
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False),
    help="Write the same traces as a CSV table, one row per ngspice time point.",
)
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=False),
    help="Draw loops and states to this image (.png, .pdf, .svg …).",
)
@force_option
def iv_command(
    device: str | None,
    device_file: str | None,
    device_params: tuple[tuple[str, Any], ...],
    json_file: str | None,
    npz_file: str | None,
    csv_file: str | None,
    plot_file: str | None,
    force: bool,
    **stimulus: Any,
) -> None:
    """Drive one dynamic device with a sine or triangle voltage; integrate it in ngspice and SciPy.

    Exits with code 1 when the two backends' states do not agree within 1 % of their range.
    """
    from memxbar.io import write_output
    from memxbar.iv.report import plot_sweep, sweep_record, sweep_summary, trace_columns, write_trace_csv
    from memxbar.iv.sweep import STATE_AGREEMENT, iv_sweep
    from memxbar.progress import Spinner
    from memxbar.report import provenance, save_npz, write_json

    json_path, npz_path, csv_path, plot_path = output_paths(
        force,
        {"--json": json_file, "--npz": npz_file, "--csv": csv_file, "--plot": plot_file},
        images=("--plot",),
    )
    if (device is None) == (device_file is None):
        raise click.UsageError("give one of --device and --device-file")
    model = build_device(device, device_params, device_file)
    with Spinner(f"integrating {model.name} in ngspice and SciPy"):
        sweep = iv_sweep(model, **stimulus)
    click.echo(sweep_summary(sweep))
    origin = provenance(
        {"device": device, "device_file": device_file, **{f"device_{k}": v for k, v in device_params}, **stimulus},
        spice=True
    )
    if json_path:
        write_json({"provenance": origin, **sweep_record(sweep)}, json_path)
    if npz_path:
        save_npz(trace_columns(sweep), npz_path, "--npz", origin)
    if csv_path:
        write_output(csv_path, "--csv", lambda target: write_trace_csv(sweep, target, origin))
    if plot_path:
        write_output(plot_path, "--plot", lambda target: plot_sweep(sweep, target, origin))
    if not sweep.agrees:
        click.echo(
            f"Error: the states of ngspice and SciPy differ by up to {sweep.max_state_difference:.3g} of their range "
            f"(limit {STATE_AGREEMENT:.0%})",
            err=True,
        )
        sys.exit(1)
