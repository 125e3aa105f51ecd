"""``sweep()``: plan a parameter sweep against its results file, run what is left, return every row."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from memxbar.errors import InputError
from memxbar.sweeps import store
from memxbar.sweeps.execute import Rows, dask_client, run_distributed, run_here, worker_count
from memxbar.sweeps.grid import expand, grid_axes
from memxbar.sweeps.runner import ERROR_COLUMN, ID_COLUMN, build_parameters, columns
from memxbar.sweeps.spec import Experiment, check_parameters
from memxbar.sweeps.tasks import plan_tasks

_UNDONE = {ERROR_COLUMN: "not run"}

RESTART_HINT = "write to another file, or start afresh with --force (the old file is kept as a backup)"

MAX_POINTS = 100_000
"""Most points a sweep may have (before seeds are multiplied in): a larger grid is refused before it is expanded."""

SIZE_FIELDS = ("rows", "cols", "batch", "seed")
"""Parameters that change a point's size or random draw only, not whether it can be built."""


@dataclass(frozen=True)
class Plan:
    """A sweep checked against its results file, before anything is run or written."""

    points: tuple[Experiment, ...]
    """Every point of the sweep, in grid order (first axis outermost, seeds innermost)."""
    todo: tuple[Experiment, ...]
    """The points still to run: not in the results file, or failed there."""
    out: Path | None
    """The results file, or None to keep the rows in memory only."""
    backup: Path | None
    """Where an existing results file will be moved before starting afresh (``force``), else None."""
    origin: Mapping[str, Any] | None = None
    """A provenance record written at the top of a new results file (see :func:`memxbar.report.provenance`)."""


def plan_sweep(
    base: Experiment | Mapping[str, Any] | None = None,
    grid: Mapping[str, Any] | None = None,
    seeds: int | Sequence[int] | None = None,
    out: str | Path | None = None,
    force: bool = False,
) -> Plan:
    """Expand a sweep and find which of its points the results file already holds.

    Reads the results file but changes nothing.

    Args:
        base: The experiment every point starts from, or a mapping of its parameters (defaults for
            the rest); None for all defaults.
        grid: Parameter name → list of values, or group name → {parameter name → list of values}
            for parameters that vary together; the sweep is the full product of these axes.
        seeds: Number of repeats n (seeds 0 … n−1) or a list of seeds, as the innermost axis.
        out: Results file (CSV). Rows are appended as points finish; finished points are skipped.
        force: Start afresh even if ``out`` holds results: the old file is renamed to a backup.

    Raises:
        InputError: If the sweep is invalid (naming the key path), or ``out`` holds points of
            another sweep or another file format.
    """
    values = base.flat() if isinstance(base, Experiment) else check_parameters(base or {}, "base")
    axes = grid_axes(grid or {}, seeds)
    count = math.prod(len(axis.steps) for axis in axes)
    if count > MAX_POINTS:
        sizes = " x ".join(f"{axis.name} {len(axis.steps)}" for axis in axes)
        raise InputError(f"the grid has {count:,} points ({sizes}); at most {MAX_POINTS:,}: sweep fewer values")
    points = tuple(expand(values, axes))
    check_buildable(points)
    if out is None:
        return Plan(points, points, None, None)
    path = Path(out)
    if path.is_dir() or not path.parent.is_dir():
        raise InputError(f"{path}: need a file in an existing folder")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(f"{path}: folder {path.parent} is not writable; choose another folder")
    if not path.exists():
        return Plan(points, points, path, None)
    if force:
        return Plan(points, points, path, store.backup_name(path))
    rows = store.latest_rows(path, columns())
    foreign = rows.keys() - {point.point_id for point in points}
    if foreign:
        raise InputError(f"{path} holds {len(foreign)} point(s) that are not part of this sweep; {RESTART_HINT}")
    done = {point_id for point_id, row in rows.items() if store.finished(row)}
    return Plan(points, tuple(p for p in points if p.point_id not in done), path, None)


def check_buildable(points: Sequence[Experiment]) -> None:
    """Build (without solving) one 1×1 crossbar of every kind of point, so that an inconsistent
    sweep (``g_min > g_max`` …) is refused before it runs; points that differ only in size, batch
    or seed are one kind.

    Raises:
        InputError: Naming the first point that cannot be built and why.
    """
    from memxbar.build import build

    seen = set()
    for point in points:
        params = build_parameters(point)
        kind = tuple((name, value) for name, value in params.items() if name not in SIZE_FIELDS)
        if kind in seen:
            continue
        seen.add(kind)
        try:
            build({**params, "rows": 1, "cols": 1, "batch": 1})
        except InputError as exc:
            described = ", ".join(f"{name}={value!r}" for name, value in kind if name != "device_params")
            raise InputError(f"a point of the sweep cannot be built ({described}): {exc}") from None


def _prepare_file(plan: Plan) -> None:
    if plan.backup is not None:
        os.replace(plan.out, plan.backup)
    if plan.out.exists():
        store.repair(plan.out)
    else:
        store.start(plan.out, columns(), plan.origin)


def _repeated_failure(row: dict[str, Any], earlier: Mapping[str, dict[str, str]]) -> bool:
    """Whether a failed row repeats the error the file already holds for its point (not written again)."""
    before = earlier.get(row[ID_COLUMN])
    return bool(row[ERROR_COLUMN]) and before is not None and before[ERROR_COLUMN] == row[ERROR_COLUMN]


def _record(plan: Plan, execute: Callable[[Callable[[Rows], None]], None], progress: bool) -> Rows:
    """Prepare the results file, run ``execute`` with a callback that stores rows, show progress.

    Returns:
        The rows, when the plan has no results file; else they are in the file only.
    """
    from tqdm import tqdm

    earlier: dict[str, dict[str, str]] = {}
    if plan.out is not None:
        _prepare_file(plan)
        earlier = store.latest_rows(plan.out, columns())
    names = columns()
    collected: Rows = []
    failed = 0
    with tqdm(total=len(plan.todo), unit="point", desc="sweep", disable=not progress) as bar:

        def record(rows: Rows) -> None:
            nonlocal failed
            if plan.out is None:
                collected.extend(rows)
            else:
                store.append_rows(plan.out, [row for row in rows if not _repeated_failure(row, earlier)], names)
            failed += sum(1 for row in rows if row[ERROR_COLUMN])
            bar.update(len(rows))
            if failed:
                bar.set_postfix(failed=failed)

        execute(record)
    return collected


def run_sweep(
    plan: Plan, workers: int | None = None, scheduler: Any = None, progress: bool = False, task_seconds: float = 0.5
) -> Any:
    """Run the points of a plan that are still to do and return the rows of all its points.

    Args:
        plan: From :func:`plan_sweep`.
        workers: Worker processes of a new local Dask cluster (None: one per core); 0 runs every
            point in this process, without Dask.
        scheduler: Address of a running Dask scheduler, or a ``distributed.Client``, instead of a
            local cluster. Its workers need this version of memxbar installed.
        progress: Show a progress bar (on standard error).
        task_seconds: Largest estimated work of one Dask task, in seconds (s); small points are
            grouped so that scheduling overhead stays negligible.

    Returns:
        A pandas DataFrame, one row per point in grid order: ``point_id``, the parameters, the
        metrics of :data:`memxbar.sweeps.metrics.METRICS`, ``time_point_s`` and ``error`` (empty
        when the point succeeded).
    """
    import pandas as pd

    if workers is not None and scheduler is not None:
        raise InputError("give workers (a local cluster) or scheduler (an existing one), not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise InputError(f"workers must be a whole number >= 0, got {workers!r}")
    collected: list[dict[str, Any]] = []
    with store.locked(plan.out) if plan.out is not None else contextlib.nullcontext():
        if plan.out is not None and plan.backup is None and plan.out.exists():
            rows = store.latest_rows(plan.out, columns())
            plan = replace(plan, todo=tuple(p for p in plan.todo if not store.finished(rows.get(p.point_id, _UNDONE))))
        if plan.todo and workers == 0:
            todo = plan_tasks(plan.todo, 1, task_seconds)
            collected = _record(plan, lambda record: run_here(todo, record), progress)
        elif plan.todo:
            with dask_client(workers, scheduler) as client:
                tasks = plan_tasks(plan.todo, worker_count(client), task_seconds)
                collected = _record(plan, lambda record: run_distributed(client, tasks, record), progress)
    frame = store.read_results(plan.out) if plan.out is not None else pd.DataFrame(collected, columns=columns())
    order = [point.point_id for point in plan.points]
    return frame.set_index(ID_COLUMN).loc[order].reset_index()


def sweep(
    base: Experiment | Mapping[str, Any] | None = None,
    grid: Mapping[str, Any] | None = None,
    seeds: int | Sequence[int] | None = None,
    *,
    out: str | Path | None = None,
    force: bool = False,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
    task_seconds: float = 0.5,
) -> Any:
    """Run a parameter sweep: every point of the grid's full product, in parallel, resumable.

    Example::

        frame = memxbar.sweep({"batch": 8}, {"rows": [16, 32, 64], "r_wl": [0.5, 2.0]}, seeds=3,
                              out="sweep.csv")

    See :func:`plan_sweep` for ``base``, ``grid``, ``seeds``, ``out`` and ``force`` and
    :func:`run_sweep` for the rest and for the returned DataFrame. With ``out``, a sweep that
    was interrupted continues where it stopped when called again, and failed points are
    tried again.
    """
    return run_sweep(plan_sweep(base, grid, seeds, out, force), workers, scheduler, progress, task_seconds)
