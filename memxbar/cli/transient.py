"""``memxbar transient``: time-domain simulation of a crossbar under read or write pulses, or any stimulus."""

from __future__ import annotations

import json
from typing import Any

import click
import numpy as np

from memxbar.cli.options import (
    crossbar_arguments_given,
    crossbar_options,
    force_option,
    option_name,
    output_paths,
    requested_shape,
)
from memxbar.errors import InputError


class _Pair(click.ParamType):
    """Two comma-separated numbers, e.g. ``-0.8,1e-9``."""

    name = "A,B"

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = str(value).split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            return tuple(self.kind(p) for p in parts)
        except ValueError:
            self.fail(f"{value!r} is not two comma-separated {'integers' if self.kind is int else 'numbers'}",
                      param, ctx)


@click.command("transient")
@crossbar_options
@click.option("--c-wl", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="Capacitance to ground of each word-line segment (F), lumped at its node W[i, j].")
@click.option("--c-bl", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="Capacitance to ground of each bit-line segment (F), lumped at its node B[i, j].")
@click.option("--c-device", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="Capacitance across each cell (F).")
@click.option("--stimulus", "stimulus_file", type=click.Path(dir_okay=False),
              help="Terminal waveforms from a TOML file of [[source]] tables (lines, index, type, parameters).")
@click.option("--read-pulse", type=_Pair(float), metavar="V,WIDTH",
              help="Every word line pulsed to V volts for WIDTH seconds, bit lines at 0 V; reports the settling time.")
@click.option("--write-pulse", type=_Pair(float), metavar="V,WIDTH",
              help="A programming pulse of V volts for WIDTH seconds on the --select cell with the --scheme.")
@click.option("--scheme", type=click.Choice(["v2", "v3"]),
              help="Write scheme: unselected lines at V/2, or word lines at V/3 and bit lines at 2V/3 "
              "[default: v2].")
@click.option("--select", type=_Pair(int), metavar="I,J", help="The cell the write pulse programs [default: 0,0].")
@click.option("--t-stop", type=click.FloatRange(min=0.0, min_open=True),
              help="End time (s) [default: 1.5 times the pulse's end].")
@click.option("--points", type=click.IntRange(min=2), default=1001, show_default=True, help="Output times.")
@click.option("--rtol", type=click.FloatRange(min=0.0, max=1.0, min_open=True, max_open=True), default=1e-6,
              show_default=True, help="Fast backend: local error per step, relative to the largest stimulus voltage.")
@click.option("--backend", type=click.Choice(["fast", "spice", "both"]), default="fast", show_default=True,
              help="fast: BDF2 on the nodal equations; spice: one ngspice .tran; both: run both and compare.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Write every figure to this JSON file.")
@click.option("--npz", "npz_file", type=click.Path(dir_okay=False),
              help="Write the waveforms (time, terminal currents, states) to this .npz file.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
              help="Draw the terminal currents (and state maps before/after for dynamic devices) to this image.")
@force_option
def transient_command(c_wl: float, c_bl: float, c_device: float, stimulus_file: str | None,
                      read_pulse: tuple[float, float] | None, write_pulse: tuple[float, float] | None, scheme: str,
                      select: tuple[int, int] | None, t_stop: float | None, points: int, rtol: float, backend: str,
                      json_file: str | None, npz_file: str | None, plot_file: str | None, force: bool,
                      **kwargs: Any) -> None:
    """Simulate a crossbar in time: RC settling of a read, or a write pulse changing the devices' states."""
    import dataclasses

    from memxbar.build import build, effective_parameters
    from memxbar.memory import check_memory
    from memxbar.report import provenance
    from memxbar.transient import TransientOptions, compare_waveforms, transient
    from memxbar.transient import stimulus as stim

    json_path, npz_path, plot_path = output_paths(
        force, {"--json": json_file, "--npz": npz_file, "--plot": plot_file}, images=("--plot",)
    )
    given = [name for name, value in (("--stimulus", stimulus_file), ("--read-pulse", read_pulse),
                                      ("--write-pulse", write_pulse)) if value is not None]
    if len(given) != 1:
        raise InputError("give exactly one of --stimulus FILE, --read-pulse V,WIDTH and --write-pulse V,WIDTH"
                         + (f" (got {', '.join(given)})" if given else ""))
    for option, value in (("--select", select), ("--scheme", scheme)):
        if value is not None and write_pulse is None:
            raise InputError(f"{option} applies to --write-pulse only; drop it")
    params = crossbar_arguments_given(kwargs)
    shape = requested_shape(params)
    if shape is not None:
        check_memory(shape, False, 1, "fast", True, "direct", remedies={})
    crossbar = build(params, inputs=False, label=option_name).crossbar
    crossbar = dataclasses.replace(crossbar, c_wl=c_wl, c_bl=c_bl, c_device=c_device)
    shape = crossbar.shape
    pulse_end = None
    if stimulus_file is not None:
        stimulus = stim.load_stimulus(stimulus_file, shape)
        corners = stimulus.corners(np.inf)
        if t_stop is None:
            if not corners.size:
                raise InputError(f"--stimulus {stimulus_file} has no corner to take an end time from: give --t-stop")
            t_stop = 1.5 * float(corners.max())
    elif read_pulse is not None:
        stimulus = stim.read_pulse(shape, read_pulse[0], read_pulse[1])
        pulse = stimulus.wl[0]
        pulse_end = pulse.delay + pulse.rise + pulse.width
    else:
        stimulus = stim.write_pulse(shape, write_pulse[0], write_pulse[1], scheme or "v2", select or (0, 0))
        pulse = next(w for w in stimulus.wl if isinstance(w, stim.Pulse))
    if t_stop is None:
        t_stop = 1.5 * (pulse.delay + pulse.rise + pulse.width + pulse.fall)
    elif stimulus_file is None and t_stop <= pulse.delay + pulse.rise + pulse.width:
        raise InputError(f"--t-stop {t_stop:g} s ends before the pulse's top does (at "
                         f"{pulse.delay + pulse.rise + pulse.width:g} s); give a later --t-stop or leave it out")
    options = TransientOptions(points=points, rtol=rtol)
    runs = {}
    for name in (("fast", "spice") if backend == "both" else (backend,)):
        runs[name] = transient(crossbar, stimulus, t_stop, backend=name, options=options)
    origin = provenance({**effective_parameters(params, inputs=False), "c_wl": c_wl, "c_bl": c_bl,
                         "c_device": c_device, "stimulus": stimulus_file, "read_pulse": read_pulse,
                         "write_pulse": write_pulse, "scheme": scheme, "select": select, "t_stop": t_stop,
                         "points": points, "rtol": rtol, "backend": backend}, spice=backend != "fast")
    record: dict[str, Any] = {"rows": shape[0], "cols": shape[1], "device": crossbar.device.name, "t_stop_s": t_stop,
                              "points": points}
    for name, run in runs.items():
        record[f"{name}_seconds"] = run.wall_time
        record[f"{name}_steps"] = run.steps
        record[f"{name}_energy_J"] = run.energy
    first = next(iter(runs.values()))
    record["energy_J"] = first.energy
    if pulse_end is not None:
        delay = stimulus.wl[0].delay
        record["settling_time_s"] = first.settling_time(1e-3, until=pulse_end) - delay
    if first.final_states is not None:
        change = first.final_states - first.initial_states
        record["largest_state_change"] = float(np.abs(change).max())
        if write_pulse is not None:
            i, j = select or (0, 0)
            half = np.zeros(shape, dtype=bool)
            half[i, :] = half[:, j] = True
            half[i, j] = False
            record["selected_state_change"] = float(change[0, i, j])
            unselected = ~half
            unselected[i, j] = False
            for key, mask in (("worst_half_selected_change", half), ("worst_unselected_change", unselected)):
                values = change[0][mask]
                record[key] = float(values[np.abs(values).argmax()]) if values.size else 0.0
    if len(runs) == 2:
        record.update(compare_waveforms(runs["fast"], runs["spice"]))
        if record.get("max_state_difference") != record.get("max_state_difference"):
            record["max_state_difference"] = None
        record["speedup"] = runs["spice"].wall_time / runs["fast"].wall_time
    for key, value in record.items():
        click.echo(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")
    if json_path:
        json_path.write_text(json.dumps({"provenance": origin, **record}, indent=2, default=str) + "\n")
    if npz_path:
        arrays = {"time": first.time, "input_currents": first.input_currents, "output_currents": first.output_currents}
        if first.final_states is not None:
            arrays.update(initial_states=first.initial_states, final_states=first.final_states)
        for name, run in runs.items():
            arrays[f"{name}_output_currents"] = run.output_currents
        with npz_path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)
    if plot_path:
        from memxbar.transient.plot import plot_waveforms

        plot_waveforms(runs, plot_path, select=(select or (0, 0)) if write_pulse is not None else None)
