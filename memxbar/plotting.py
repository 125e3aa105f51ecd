"""Figures of solutions and comparisons, written to image files (no screen needed; matplotlib is
imported only when a figure is drawn)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from memxbar.compare import Comparison
    from memxbar.crossbar import Crossbar
    from memxbar.solution import Solution

WIDE = 32
"""Outputs of arrays with more bit lines than this are drawn as markers without connecting lines."""


METADATA_KEYS = {".png": "Description", ".svg": "Description", ".pdf": "Subject"}
"""Image type → the metadata field that holds the provenance (JSON text) of a figure."""


def save_figure(figure: Any, path: str | Path, origin: Mapping[str, Any] | None = None, dpi: int = 110) -> None:
    """Save a figure; ``origin`` (a provenance record) is stored as JSON text in the image's metadata
    (PNG and SVG ``Description``, PDF ``Subject``) where the format has such a field.

    Read it back from a PNG with ``PIL.Image.open(path).info["Description"]``.
    """
    import json

    key = METADATA_KEYS.get(Path(path).suffix.lower())
    metadata = {key: json.dumps(origin)} if origin is not None and key else None
    figure.savefig(path, dpi=dpi, metadata=metadata)


def _vector(array: np.ndarray, batched: bool, index: int) -> np.ndarray:
    return array[..., index] if batched else array


def _resistance_text(values: np.ndarray) -> str:
    """A segment resistance for a title: one value, or its range when it varies."""
    low, high = float(values.min()), float(values.max())
    return f"{low:g} Ω" if low == high else f"{low:g}–{high:g} Ω"


def describe(crossbar: Crossbar) -> str:
    """One line saying what a crossbar is: size, line resistances, drivers and sense inputs, devices."""
    m, n = crossbar.shape
    parts = [f"{m}×{n} crossbar", f"r_wl {_resistance_text(crossbar.r_wl)}", f"r_bl {_resistance_text(crossbar.r_bl)}"]
    for name, values in (("r_driver", crossbar.r_driver), ("r_sense", crossbar.r_sense)):
        if values.any():
            parts.append(f"{name} {_resistance_text(values)}")
    device = crossbar.device
    settings = ", ".join(
        f"{name}={float(value):g}" if np.ndim(value) == 0 else f"{name}=per device"
        for name, value in device.values.items()
    )
    parts.append(f"{device.name} devices" + (f" ({settings})" if settings else ""))
    return ", ".join(parts)


def _heatmap(ax: Any, data: np.ndarray, title: str, unit: str, centred: bool = False) -> None:
    """A map over (word line, bit line); ``centred``: a diverging colour map with 0 in its middle."""
    from matplotlib.ticker import EngFormatter

    if centred:
        limit = float(np.abs(data).max()) or 1.0
        image = ax.imshow(data, aspect="auto", interpolation="nearest", cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        image = ax.imshow(data, aspect="auto", interpolation="nearest", cmap="viridis")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("bit line j")
    ax.set_ylabel("word line i")
    ax.figure.colorbar(image, ax=ax, format=EngFormatter(unit=unit))


def _outputs(ax: Any, columns: np.ndarray, curves: list[tuple[np.ndarray, str, str]], wide: bool) -> None:
    from matplotlib.ticker import EngFormatter

    for values, style, label in curves:
        ax.plot(columns, values, style if not wide else style.rstrip("-"), ms=3, label=label)
    ax.set_xlabel("bit line j")
    ax.yaxis.set_major_formatter(EngFormatter(unit="A"))


def plot_solution(
    solution: Solution, path: str | Path, vector: int = 0, origin: Mapping[str, Any] | None = None
) -> None:
    """Maps of word-line voltage, bit-line voltage, the voltage each device loses to the lines (IR
    drop) and device current, and the outputs against the ideal Gᵀ·V (and, for nonlinear devices,
    against the same devices with ideal wires), for one input vector of a solution.

    Args:
        solution: A full solution (not outputs-only).
        path: Image file to write (format from its suffix, e.g. ``.png``).
        vector: Which input vector of a batch to draw.
        origin: A provenance record for the image's metadata (see :func:`save_figure`).
    """
    from matplotlib.figure import Figure

    b = solution.batched
    crossbar = solution.crossbar
    v = _vector(solution.voltages, b, vector)
    device_voltages = _vector(solution.wl_voltages, b, vector) - _vector(solution.bl_voltages, b, vector)
    fig = Figure(figsize=(15, 9), layout="constrained")
    axes = fig.subplot_mosaic([["wl", "bl", "drop"], ["current", "outputs", "outputs"]])
    _heatmap(axes["wl"], _vector(solution.wl_voltages, b, vector), "word-line voltage W[i, j]", "V")
    _heatmap(axes["bl"], _vector(solution.bl_voltages, b, vector), "bit-line voltage B[i, j]", "V")
    _heatmap(axes["drop"], v[:, None] - device_voltages, "voltage lost by each device (IR drop): V_i − (W − B)", "V")
    _heatmap(
        axes["current"],
        _vector(solution.device_currents, b, vector),
        "device current (signed; sneak paths < 0)",
        "A",
        centred=True,
    )
    ideal = _vector(solution.ideal_currents, b, vector)
    actual = _vector(solution.output_currents, b, vector)
    columns = np.arange(ideal.size)
    curves = [(ideal, "o-", "ideal $G^T V$")]
    if not crossbar.device.linear:
        curves.append((_vector(solution.ideal_wire_currents, b, vector), "^-", "same devices, ideal wires"))
    curves.append((actual, "s-", f"{solution.backend} backend"))
    ax = axes["outputs"]
    _outputs(ax, columns, curves, crossbar.cols > WIDE)
    ax.set_ylabel("output current")
    ax.set_title("output currents", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(curves), fontsize=9, frameon=False)
    which = f"input vector {vector} of {solution.voltages.shape[1]}" if b else "one input vector"
    fig.suptitle(f"{describe(crossbar)}; {solution.backend} backend; {which}")
    save_figure(fig, path, origin)


def plot_comparison(
    comparison: Comparison, path: str | Path, vector: int = 0, origin: Mapping[str, Any] | None = None
) -> None:
    """Output currents of both backends and their difference, for one input vector.

    Args:
        comparison: The comparison to draw.
        path: Image file to write.
        vector: Which input vector of a batch to draw.
        origin: A provenance record for the image's metadata (see :func:`save_figure`).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    b = comparison.fast.batched
    fast = _vector(comparison.fast.output_currents, b, vector)
    spice = _vector(comparison.spice.output_currents, b, vector)
    ideal = _vector(comparison.fast.ideal_currents, b, vector)
    columns = np.arange(fast.size)
    wide = fast.size > WIDE
    fig = Figure(figsize=(10, 7), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    _outputs(top, columns, [(ideal, "o-", "ideal $G^T V$"), (spice, "s-", "ngspice")], wide)
    top.plot(columns, fast, "x", ms=5, label="fast")
    top.set_ylabel("output current")
    top.set_xlabel("")
    top.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=9, frameon=False)
    bottom.plot(columns, fast - spice, "o", ms=3)
    bottom.yaxis.set_major_formatter(EngFormatter(unit="A"))
    bottom.set_ylabel("fast − ngspice")
    bottom.set_xlabel("bit line j")
    which = f"input vector {vector} of {comparison.fast.voltages.shape[1]}" if b else "one input vector"
    fig.suptitle(
        f"{describe(comparison.fast.crossbar)}; {which}\nfast vs ngspice: max relative error "
        f"{comparison.max_rel_error:.2e}"
    )
    save_figure(fig, path, origin)
