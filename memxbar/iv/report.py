"""An I–V sweep as a JSON-ready record, a one-screen summary and a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from memxbar.iv.sweep import IVSweep  # noqa: E402


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
        "max_state_difference_aligned": dict(zip(names, sweep.state_difference_aligned.tolist(), strict=True)),
        "time_tolerance_seconds": sweep.time_tolerance,
        "max_current_difference_relative": sweep.current_difference,
        "state_range_numpy": {
            name: [float(row.min()), float(row.max())] for name, row in zip(names, sweep.state_numpy, strict=True)
        },
        "spice_seconds": sweep.spice_seconds,
        "numpy_seconds": sweep.numpy_seconds,
    }


def sweep_summary(sweep: IVSweep) -> str:
    """A few lines for the terminal."""
    s = sweep.stimulus
    lines = [
        f"{sweep.model.name}: {s.waveform} {s.amplitude:g} V, {s.frequency:g} Hz, {s.cycles:g} cycles; "
        f"{sweep.time.size} ngspice time points",
        f"{'state':<6} {'range (SciPy)':<20} {'max |diff|':<12} max |diff| within ±{sweep.time_tolerance:.3g} s",
    ]
    for k, state in enumerate(sweep.model.states):
        row = sweep.state_numpy[k]
        lines.append(
            f"{state.name:<6} {f'{row.min():.4f} .. {row.max():.4f}':<20} {sweep.state_difference[k]:<12.3e} "
            f"{sweep.state_difference_aligned[k]:.3e}"
        )
    lines.append(
        f"current: max |diff| {sweep.current_difference:.3e} of max |I|; "
        f"ngspice {sweep.spice_seconds:.2f} s, SciPy {sweep.numpy_seconds:.2f} s"
    )
    return "\n".join(lines)


def plot_sweep(sweep: IVSweep, path: str | Path) -> None:
    """Draw both backends' pinched hysteresis loops and normalised state trajectories."""
    figure, (loops, states) = plt.subplots(1, 2, figsize=(11, 4.2))
    loops.plot(sweep.voltage, sweep.current_numpy, lw=2.5, alpha=0.5, label="SciPy solve_ivp")
    loops.plot(sweep.voltage, sweep.current_spice, lw=1, ls="--", color="k", label="ngspice .tran")
    loops.set(xlabel="voltage (V)", ylabel="current (A)", title=f"{sweep.model.name}: I–V")
    loops.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    loops.legend(loc="best", fontsize=8)
    for k, state in enumerate(sweep.model.states):
        line = states.plot(sweep.time, sweep.state_numpy[k], lw=2.5, alpha=0.5, label=f"{state.name} SciPy")[0]
        label = f"{state.name} ngspice"
        states.plot(sweep.time, sweep.state_spice[k], lw=1, ls="--", color=line.get_color(), label=label)
    worst = float(np.max(sweep.state_difference_aligned))
    states.set(
        xlabel="time (s)",
        ylabel="normalised state",
        title=f"states; max |diff| {np.max(sweep.state_difference):.1e} (aligned {worst:.1e})",
        ylim=(-0.05, 1.05),
    )
    states.legend(loc="best", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
