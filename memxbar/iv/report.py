"""An I–V sweep as a JSON-ready record, a one-screen summary and a figure."""

from __future__ import annotations

import csv
import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from memxbar.iv.netlist import OPTIONS as TIGHT
from memxbar.iv.sweep import STATE_AGREEMENT, IVSweep


def sweep_record(sweep: IVSweep) -> dict[str, Any]:
    """The sweep's settings and agreement figures (SI units), JSON-ready."""
    names = [state.name for state in sweep.model.states]
    return {
        "device": sweep.model.name,
        "citation": sweep.model.citation,
        "parameters": {name: float(value) for name, value in sweep.model.values.items()},
        "waveform": sweep.stimulus.waveform,
        "amplitude_volts": sweep.stimulus.amplitude,
        "frequency_hertz": sweep.stimulus.frequency,
        "cycles": sweep.stimulus.cycles,
        "time_points": int(sweep.time.size),
        "max_state_difference": dict(zip(names, sweep.state_difference.tolist(), strict=True)),
        "state_agreement_limit": STATE_AGREEMENT,
        "states_agree": sweep.agrees,
        "max_current_difference_relative": sweep.current_difference,
        "state_range_numpy": {
            name: [float(row.min()), float(row.max())] for name, row in zip(names, sweep.state_numpy, strict=True)
        },
        "spice_seconds": sweep.spice_seconds,
        "numpy_seconds": sweep.numpy_seconds,
        "spice_options": sweep.spice_options,
    }


def trace_columns(sweep: IVSweep) -> dict[str, np.ndarray]:
    """The traces as named (T,) columns in SI units: time, voltage, both currents and every
    normalised state from both backends (``state_<name>_spice``, ``state_<name>_numpy``)."""
    columns = {
        "time_s": sweep.time,
        "voltage_V": sweep.voltage,
        "current_spice_A": sweep.current_spice,
        "current_numpy_A": sweep.current_numpy,
    }
    for k, state in enumerate(sweep.model.states):
        columns[f"state_{state.name}_spice"] = sweep.state_spice[k]
        columns[f"state_{state.name}_numpy"] = sweep.state_numpy[k]
    return columns


def write_trace_csv(sweep: IVSweep, path: Path, origin: Mapping[str, Any] | None = None) -> None:
    """Write :func:`trace_columns` as CSV (header row, exact floats); ``origin``, a provenance
    record, goes first as ``#`` comment lines (``pandas.read_csv(path, comment="#")`` reads it)."""
    columns = trace_columns(sweep)
    with path.open("w", newline="", encoding="utf8") as handle:
        if origin is not None:
            handle.writelines(f"# {key}: {json.dumps(value)}\n" for key, value in origin.items())
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(zip(*(column.tolist() for column in columns.values()), strict=True))


def sweep_summary(sweep: IVSweep) -> str:
    """A few lines for the terminal."""
    s = sweep.stimulus
    lines = [
        f"{sweep.model.name}: {s.waveform} {s.amplitude:g} V, {s.frequency:g} Hz, {s.cycles:g} cycles; "
        f"{sweep.time.size} ngspice time points",
        f"{'state':<6} {'range (SciPy)':<20} max |ngspice - SciPy| at equal times",
    ]
    for k, state in enumerate(sweep.model.states):
        row = sweep.state_numpy[k]
        lines.append(f"{state.name:<6} {f'{row.min():.4f} .. {row.max():.4f}':<20} {sweep.state_difference[k]:.3e}")
    verdict = "agree" if sweep.agrees else "DO NOT agree"
    if sweep.spice_options != TIGHT:
        lines.append(f"ngspice needed looser tolerances than memxbar's own: {sweep.spice_options}")
    lines += [
        f"states {verdict} within {STATE_AGREEMENT:.0%} of their range",
        f"current: max |diff| {sweep.current_difference:.3e} of max |I|; "
        f"ngspice {sweep.spice_seconds:.2f} s, SciPy {sweep.numpy_seconds:.2f} s",
    ]
    return "\n".join(lines)


def plot_sweep(sweep: IVSweep, path: str | Path, origin: Mapping[str, Any] | None = None) -> None:
    """Draw both backends' pinched hysteresis loops, normalised state trajectories and their difference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter, MaxNLocator

    from memxbar.plotting import save_figure

    figure, (loops, states, differences) = plt.subplots(1, 3, figsize=(15, 4.8))
    loops.plot(sweep.voltage, sweep.current_numpy, lw=2.5, alpha=0.5, label="SciPy solve_ivp")
    loops.plot(sweep.voltage, sweep.current_spice, lw=1, ls="--", color="k", label="ngspice .tran")
    loops.set(xlabel="voltage (V)", ylabel="current", title=f"{sweep.model.name}: I–V")
    loops.xaxis.set_major_locator(MaxNLocator(5))
    loops.yaxis.set_major_formatter(EngFormatter(unit="A"))
    loops.legend(loc="best", fontsize=8)
    for k, state in enumerate(sweep.model.states):
        line = states.plot(sweep.time, sweep.state_numpy[k], lw=2.5, alpha=0.5, label=f"{state.name} SciPy")[0]
        label = f"{state.name} ngspice"
        states.plot(sweep.time, sweep.state_spice[k], lw=1, ls="--", color=line.get_color(), label=label)
    states.set(
        xlabel="time",
        ylabel="normalised state",
        title=f"states; max |diff| {sweep.max_state_difference:.1e} at equal times",
        ylim=(-0.05, 1.05),
    )
    states.legend(loc="best", fontsize=8)
    floor = 1e-12
    for k, state in enumerate(sweep.model.states):
        difference = np.maximum(np.abs(sweep.state_spice[k] - sweep.state_numpy[k]), floor)
        differences.semilogy(sweep.time, difference, lw=1, label=state.name)
    differences.axhline(STATE_AGREEMENT, color="r", lw=1, ls=":", label=f"{STATE_AGREEMENT:.0%} (agreement limit)")
    differences.set(
        xlabel="time",
        ylabel="|ngspice - SciPy| (normalised state)",
        title="state difference at equal times",
        ylim=(floor, 1.0),
    )
    differences.legend(loc="best", fontsize=8)
    for axes in (states, differences):
        axes.xaxis.set_major_formatter(EngFormatter(unit="s"))
        axes.xaxis.set_major_locator(MaxNLocator(5))
    values = ", ".join(f"{name} = {float(value):g}" for name, value in sweep.model.values.items())
    s = sweep.stimulus
    title = f"{sweep.model.name} ({values}); {s.waveform} of {s.amplitude:g} V at {s.frequency:g} Hz, "
    title += f"{s.cycles:g} cycles"
    figure.suptitle("\n".join(textwrap.wrap(title, 160)), fontsize=10)
    figure.tight_layout()
    save_figure(figure, path, origin, dpi=120)
    plt.close(figure)
