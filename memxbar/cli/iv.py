"""``memxbar iv``: a periodic voltage on one dynamic device, in ngspice and in SciPy, compared."""

from __future__ import annotations

from typing import Any

import click

from memxbar.cli.options import DeviceParameter, build_device, force_option, output_path
from memxbar.iv.report import plot_sweep, sweep_record, sweep_summary
from memxbar.iv.stimulus import WAVEFORMS
from memxbar.iv.sweep import DYNAMIC_MODELS, iv_sweep
from memxbar.report import write_json


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
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), help="Draw loops and states to this image.")
@force_option
def iv_command(
    device: str | None,
    device_file: str | None,
    device_params: tuple[tuple[str, Any], ...],
    json_file: str | None,
    plot_file: str | None,
    force: bool,
    **stimulus: Any,
) -> None:
    """Drive one dynamic device with a sine or triangle voltage; integrate it in ngspice and SciPy."""
    json_path = output_path(json_file, force, "--json")
    plot_path = output_path(plot_file, force, "--plot")
    if (device is None) == (device_file is None):
        raise click.UsageError("give one of --device and --device-file")
    model = build_device(device or "ohmic", device_params, device_file)
    sweep = iv_sweep(model, **stimulus)
    click.echo(sweep_summary(sweep))
    if json_path:
        write_json(sweep_record(sweep), json_path)
    if plot_path:
        plot_sweep(sweep, plot_path)
