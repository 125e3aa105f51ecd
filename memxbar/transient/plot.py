"""Figures of transient analyses: terminal-current waveforms, and state maps before and after a write."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from memxbar.transient.waveforms import Waveforms


def plot_waveforms(runs: Mapping[str, Waveforms], path: Path, select: tuple[int, int] | None = None) -> None:
    """Draw the output currents over time (every backend, dashed for the second) and, for dynamic devices,
    the state map before and after, with the selected cell (white square) and the half-selected ones
    (its word and bit lines, dotted) marked.

    Args:
        runs: Waveforms by backend name.
        path: Image file to write (its suffix picks the format).
        select: (i, j) of the selected cell of a write, or None.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = next(iter(runs.values()))
    dynamic = first.final_states is not None
    fig, axes = plt.subplots(1, 3 if dynamic else 1, figsize=(15 if dynamic else 7, 4.2), squeeze=False)
    ax = axes[0, 0]
    end = float(first.time[-1])
    scale, unit = next(((f, u) for f, u in ((1.0, "s"), (1e3, "ms"), (1e6, "µs"), (1e9, "ns"), (1e12, "ps"))
                        if end * f >= 1.0), (1e15, "fs"))
    for k, (name, run) in enumerate(runs.items()):
        for j, current in enumerate(run.output_currents):
            ax.plot(run.time * scale, current * 1e6, "-" if k == 0 else "--", lw=1.0 if k == 0 else 1.4,
                    color=plt.cm.viridis(j / max(len(run.output_currents) - 1, 1)),
                    label=name if j == 0 else None)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("bit-line output current (µA)")
    ax.set_title(f"{first.output_currents.shape[0]} output currents" + (" (fast solid, spice dashed)"
                                                                         if len(runs) > 1 else ""))
    ax.legend(loc="best")
    if dynamic:
        low = min(first.initial_states[0].min(), first.final_states[0].min())
        high = max(first.initial_states[0].max(), first.final_states[0].max())
        for ax, states, title in ((axes[0, 1], first.initial_states[0], "state before"),
                                  (axes[0, 2], first.final_states[0], "state after")):
            image = ax.imshow(states, cmap="magma", vmin=low, vmax=high)
            ax.set_title(title)
            ax.set_xlabel("bit line j")
            ax.set_ylabel("word line i")
            if select is not None:
                i, j = select
                ax.axhline(i, color="cyan", ls=":", lw=1)
                ax.axvline(j, color="cyan", ls=":", lw=1)
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="white", lw=2))
            fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

