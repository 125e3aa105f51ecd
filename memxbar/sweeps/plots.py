"""Figures of sweep results: a metric against a parameter (one line per series) and 2-D heatmaps.

Repeats over seeds are summarised (line: mean; band: min to max). Every other parameter must be
fixed, by the sweep itself, by ``where`` or by being tied to a plotted one (e.g. ``cols`` stepping
with ``rows``), so a figure never averages silently over a physical parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from memxbar.errors import InputError
from memxbar.sweeps.kinds import ERROR_COLUMN, KINDS

PARAMETERS: tuple[str, ...] = tuple(dict.fromkeys(name for kind in KINDS.values() for name in kind.parameters))
"""The parameters of every kind of point (a results file holds the columns of one kind)."""
METRICS: dict[str, str] = {name: text for kind in KINDS.values() for name, text in kind.metrics.items()}
"""The metrics of every kind of point, name → definition."""
DEFAULTS: dict[str, Any] = {name: value for kind in KINDS.values() for name, value in kind.defaults.items()}
"""Parameter name → default value (the kinds agree on the parameters they share)."""


def parameter_kind(name: str) -> type:
    """Python type of a parameter's values, from the kind that has it."""
    return next(kind.value_kind(name) for kind in KINDS.values() if name in kind.parameters)


def parameter_unit(name: str) -> str:
    """SI unit of a parameter, from the kind that has it."""
    return next(kind.unit(name) for kind in KINDS.values() if name in kind.parameters)


UNIT_SUFFIXES = {"_A": "A", "_V": "V", "_W": "W", "_J": "J", "_s": "s"}
"""Metric name ending → its SI unit."""


def _unit(name: str, before: str = "") -> str:
    if name in PARAMETERS:
        unit = parameter_unit(name)
    else:
        unit = next((u for suffix, u in UNIT_SUFFIXES.items() if name.endswith(suffix)), "")
    return f"{before}{unit}" if unit else ""


def _label(name: str, tied: Sequence[str] = ()) -> str:
    """``name`` (and the parameters tied to it: ``r_wl = r_bl``) with its unit."""
    unit = _unit(name)
    names = " = ".join([name, *tied])
    return f"{names} ({unit})" if unit else names


def _present(frame: Any, names: Sequence[str]) -> list[str]:
    """The names that are columns of ``frame``."""
    return [name for name in names if name in frame.columns]


def _check_columns(frame: Any, names: Sequence[str], what: str, known: Sequence[str]) -> None:
    for name in names:
        if name not in frame.columns or name not in known:
            raise InputError(f"{what} {name!r} is not in the results; choose from {', '.join(known)}")


def select(frame: Any, where: Mapping[str, str]) -> Any:
    """The successful rows whose parameters equal the given values.

    Args:
        frame: Sweep results (from :func:`memxbar.sweeps.store.read_results`).
        where: Parameter name → value as text (e.g. ``{"g_max": "1e-4"}``).

    Raises:
        InputError: If a name is no parameter, a value is not of its type, or no row matches.
    """
    rows = frame[frame[ERROR_COLUMN] == ""]
    for name, text in where.items():
        _check_columns(frame, [name], "--where parameter", _present(frame, PARAMETERS))
        kind = parameter_kind(name)
        try:
            value = kind(text)
        except ValueError:
            raise InputError(f"--where {name}={text}: {name} takes {kind.__name__} values") from None
        matched = rows[rows[name] == value]
        if matched.empty:
            present = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in sorted(rows[name].unique()))
            raise InputError(f"--where {name}={text}: no successful point has that value; present: {present}")
        rows = matched
    return rows


def _check_fixed(rows: Any, plotted: Sequence[str]) -> None:
    """Raise if a parameter besides the plotted ones and the seed takes several values at one plotted point."""
    for name in PARAMETERS:
        if name in plotted or name == "seed" or name not in rows.columns:
            continue
        spread = rows.groupby(list(plotted))[name].nunique()
        if (spread > 1).any():
            values = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in sorted(rows[name].unique()))
            raise InputError(
                f"{name} varies too ({values}); fix it with --where {name}=VALUE or plot it with --series {name}"
            )


def _scale(values: np.ndarray, choice: str) -> str:
    """``choice``, or for ``"auto"``: log when the values are positive and span two decades."""
    if choice != "auto":
        return choice
    finite = values[np.isfinite(values)]
    return "log" if finite.size and finite.min() > 0 and finite.max() >= 100 * finite.min() else "linear"


def _axis_scale(values: np.ndarray, choice: str) -> str:
    """Like :func:`_scale` for grid values: also log when they span a decade in even ratios (8, 16, 32 …)."""
    if choice != "auto":
        return choice
    steps = np.unique(values[np.isfinite(values)])
    if steps.size > 2 and steps[0] > 0 and steps[-1] >= 10 * steps[0]:
        linear, ratios = np.diff(steps), np.diff(np.log(steps))
        return "log" if np.std(ratios) / np.mean(ratios) < np.std(linear) / np.mean(linear) else "linear"
    return _scale(values, choice)


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _prepare(frame: Any, metric: str, plotted: Sequence[str], where: Mapping[str, str]) -> Any:
    _check_columns(frame, [metric], "metric", _present(frame, METRICS))
    _check_columns(frame, plotted, "parameter", _present(frame, PARAMETERS))
    rows = select(frame, where)
    if rows.empty:
        raise InputError("the results hold no successful point to plot")
    if rows[metric].isna().all():
        raise InputError(
            f"metric {metric} has no value in the {len(rows)} point(s) to plot ({METRICS[metric]}); choose another"
        )
    _check_fixed(rows, plotted)
    return rows


def _fixed_text(frame: Any, rows: Any, plotted: Sequence[str]) -> str:
    """The parameters that are fixed in the plotted rows but varied in the sweep, or differ from their
    defaults, as ``name = value unit`` (for the title)."""
    parts = []
    for name in PARAMETERS:
        if name in plotted or name == "seed" or name not in rows.columns:
            continue
        values = rows[name].dropna().unique()
        if len(values) != 1:
            continue
        value = values[0]
        default = DEFAULTS.get(name)
        if frame[name].nunique() > 1 or (default is not None and value != default):
            parts.append(f"{name} = {_value_text(value)}{_unit(name, ' ')}")
    return ", ".join(parts)


def _tied(rows: Any, name: str, plotted: Sequence[str]) -> list[str]:
    """Parameters that always equal ``name`` in the plotted rows (a group stepping with it, e.g. r_bl with r_wl)."""
    tied = []
    for other in PARAMETERS:
        if other == name or other in plotted or other not in rows.columns or rows[other].nunique() < 2:
            continue
        if (rows[other] == rows[name]).all():
            tied.append(other)
    return tied


def _wrap(text: str, width: int = 90) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def plot_lines(
    frame: Any,
    x: str,
    metric: str,
    path: str | Path,
    series: Sequence[str] = (),
    where: Mapping[str, str] | None = None,
    xscale: str = "auto",
    yscale: str = "auto",
    origin: Mapping[str, Any] | None = None,
) -> None:
    """Draw a metric against one parameter, one line per combination of the series parameters.

    Args:
        frame: Sweep results.
        x: Parameter on the horizontal axis.
        metric: Metric on the vertical axis (a name in :data:`~memxbar.sweeps.metrics.METRICS`).
        path: Image file to write (format from its suffix).
        series: Parameters whose combinations get a line each.
        where: Parameter name → value (text) that the plotted rows must have.
        xscale: ``"auto"`` (log when positive and spanning two decades), ``"linear"`` or ``"log"``.
        yscale: The same, for the metric.
        origin: A provenance record for the image's metadata (see :func:`memxbar.plotting.save_figure`).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    from memxbar.plotting import save_figure

    series = list(series)
    rows = _prepare(frame, metric, [x, *series], where or {})
    categorical = parameter_kind(x) is str
    stats = rows.groupby([*series, x])[metric].agg(["mean", "min", "max", "count"]).reset_index()
    categories = sorted(rows[x].unique()) if categorical else []
    fig = Figure(figsize=(7.5, 5.2), layout="constrained")
    ax = fig.subplots()
    groups = stats.groupby(series) if series else [((), stats)]
    tied = {name: _tied(rows, name, [x, *series]) for name in series}
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        pairs = zip(series, key, strict=True)
        label = ", ".join(
            " = ".join([name, *tied[name]]) + f" = {_value_text(value)}{_unit(name, ' ')}" for name, value in pairs
        ) or metric
        positions = [categories.index(v) for v in group[x]] if categorical else group[x]
        (line,) = ax.plot(positions, group["mean"], "o" if categorical else "o-", ms=5, label=label)
        if (group["count"] > 1).any():
            if categorical:
                low, high = group["mean"] - group["min"], group["max"] - group["mean"]
                ax.errorbar(positions, group["mean"], yerr=[low, high], fmt="none", color=line.get_color(), capsize=3)
            else:
                ax.fill_between(positions, group["min"], group["max"], color=line.get_color(), alpha=0.2, lw=0)
    if categorical:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
        ax.set_xlim(-0.5, len(categories) - 0.5)
    else:
        ax.set_xscale(_axis_scale(rows[x].to_numpy(dtype=float), xscale))
        if ax.get_xscale() == "log":
            steps = np.unique(rows[x].to_numpy(dtype=float))
            if steps.size <= 12:
                ax.set_xticks(steps, [_value_text(float(v)) for v in steps])
                ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yscale(_scale(rows[metric].to_numpy(dtype=float), yscale))
    ax.set_xlabel(_label(x, _tied(rows, x, [x, *series])))
    ax.set_ylabel(_label(metric))
    seeds = rows["seed"].nunique()
    band = "error bars" if categorical else "band"
    title = f"{metric} vs {x}" + (f" (mean of {seeds} seeds, {band}: min to max)" if seeds > 1 else "")
    fixed = _fixed_text(frame, rows, [x, *series, *(t for name in series for t in tied[name])])
    ax.set_title(title + ("\n" + _wrap(fixed) if fixed else ""), fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    if series:
        ax.legend(fontsize=8, loc="best", title=None)
    save_figure(fig, path, origin, dpi=120)


def plot_heatmap(
    frame: Any,
    x: str,
    y: str,
    metric: str,
    path: str | Path,
    where: Mapping[str, str] | None = None,
    scale: str = "auto",
    origin: Mapping[str, Any] | None = None,
) -> None:
    """Draw a metric (mean over seeds) as a heatmap over two parameters.

    Args:
        frame: Sweep results.
        x: Parameter along the horizontal axis.
        y: Parameter along the vertical axis.
        metric: Metric shown by colour.
        path: Image file to write.
        where: Parameter name → value (text) that the plotted rows must have.
        scale: Colour scale: ``"auto"``, ``"linear"`` or ``"log"``.
        origin: A provenance record for the image's metadata (see :func:`memxbar.plotting.save_figure`).
    """
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.figure import Figure

    from memxbar.plotting import save_figure

    rows = _prepare(frame, metric, [x, y], where or {})
    table = rows.groupby([y, x])[metric].mean().unstack(x)
    values = table.to_numpy(dtype=float)
    norm = LogNorm() if _scale(values.ravel(), scale) == "log" else Normalize()
    fig = Figure(
        figsize=(1.5 + 0.9 * max(len(table.columns), 4), 1.2 + 0.6 * max(len(table.index), 4)), layout="constrained"
    )
    ax = fig.subplots()
    image = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis", norm=norm, interpolation="nearest")
    ax.set_xticks(range(len(table.columns)), [_value_text(v) for v in table.columns])
    ax.set_yticks(range(len(table.index)), [_value_text(v) for v in table.index])
    if values.size <= 144:
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                shade = "black" if norm(value) > 0.6 else "white"
                ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=8, color=shade)
    ax.set_xlabel(_label(x, _tied(rows, x, [x, y])))
    ax.set_ylabel(_label(y, _tied(rows, y, [x, y])))
    seeds = rows["seed"].nunique()
    fixed = _fixed_text(frame, rows, [x, y, *_tied(rows, x, [x, y]), *_tied(rows, y, [x, y])])
    title = f"{metric}" + (f" (mean of {seeds} seeds)" if seeds > 1 else "")
    ax.set_title(title + ("\n" + _wrap(fixed, 60) if fixed else ""), fontsize=10)
    fig.colorbar(image, ax=ax, label=_label(metric))
    save_figure(fig, path, origin, dpi=120)
