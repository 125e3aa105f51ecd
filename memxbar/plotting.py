"""Figures of solutions and comparisons, written to image files (no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from memxbar.compare import Comparison  # noqa: E402
from memxbar.solution import Solution  # noqa: E402


def _vector(array: np.ndarray, batched: bool, index: int) -> np.ndarray:
    return array[..., index] if batched else array


def _heatmap(ax: plt.Axes, data: np.ndarray, title: str, unit: str) -> None:
    image = ax.imshow(data, aspect="auto", interpolation="nearest", cmap="viridis")
    ax.set_title(title)
    ax.set_xlabel("bit line j")
    ax.set_ylabel("word line i")
    ax.figure.colorbar(image, ax=ax, label=unit)


def plot_solution(solution: Solution, path: str | Path, vector: int = 0) -> None:
    """Heatmaps of word-line voltage, bit-line voltage and device current, and the outputs
    against the ideal Gᵀ·V, for one input vector of a solution.

    Args:
        solution: The solution to draw.
        path: Image file to write (format from its suffix, e.g. ``.png``).
        vector: Which input vector of a batch to draw.
    """
    b = solution.batched
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), layout="constrained")
    _heatmap(axes[0, 0], _vector(solution.wl_voltages, b, vector), "word-line voltage W[i, j]", "V")
    _heatmap(axes[0, 1], _vector(solution.bl_voltages, b, vector), "bit-line voltage B[i, j]", "V")
    _heatmap(axes[1, 0], _vector(solution.device_currents, b, vector), "device current", "A")
    ax = axes[1, 1]
    ideal = _vector(solution.ideal_currents, b, vector)
    actual = _vector(solution.output_currents, b, vector)
    columns = np.arange(ideal.size)
    ax.plot(columns, ideal, "o-", ms=3, label="ideal $G^T V$")
    ax.plot(columns, actual, "s-", ms=3, label=f"{solution.backend} backend")
    ax.set_xlabel("bit line j")
    ax.set_ylabel("output current (A)")
    ax.set_title("output currents")
    ax.legend()
    m, n = solution.crossbar.shape
    which = f", input vector {vector}" if b else ""
    fig.suptitle(f"{m}x{n} crossbar, {solution.backend} backend{which}")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_comparison(comparison: Comparison, path: str | Path, vector: int = 0) -> None:
    """Output currents of both backends and their difference, for one input vector.

    Args:
        comparison: The comparison to draw.
        path: Image file to write.
        vector: Which input vector of a batch to draw.
    """
    b = comparison.fast.batched
    fast = _vector(comparison.fast.output_currents, b, vector)
    spice = _vector(comparison.spice.output_currents, b, vector)
    ideal = _vector(comparison.fast.ideal_currents, b, vector)
    columns = np.arange(fast.size)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, layout="constrained")
    top.plot(columns, ideal, "o-", ms=3, label="ideal $G^T V$")
    top.plot(columns, spice, "s-", ms=4, label="ngspice")
    top.plot(columns, fast, "x", ms=5, label="fast")
    top.set_ylabel("output current (A)")
    top.legend()
    bottom.plot(columns, fast - spice, "o", ms=3)
    bottom.set_ylabel("fast - ngspice (A)")
    bottom.set_xlabel("bit line j")
    m, n = comparison.fast.crossbar.shape
    fig.suptitle(f"{m}x{n} crossbar: max relative error {comparison.max_rel_error:.2e}")
    fig.savefig(path, dpi=120)
    plt.close(fig)
