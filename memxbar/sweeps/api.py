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
from memxbar.sweeps.kinds import CROSSBAR, ERROR_COLUMN, ID_COLUMN, KINDS, Kind, kind_named
from memxbar.sweeps.tasks import plan_tasks

RESTART_HINT = "write to another file, or start afresh with --force (the old file is kept as a backup)"

MAX_POINTS = 100_000
"""Most points a sweep may have (before seeds are multiplied in): a larger grid is refused before it is expanded."""

@dataclass(frozen=True)
class Plan:
    """A sweep checked against its results file, before anything is run or written."""

    points: tuple[Any, ...]
    """Every point of the sweep, in grid order (first axis outermost, seeds innermost)."""
    todo: tuple[Any, ...]
    """The points still to run: not in the results file, or failed there."""
    out: Path | None
    """The results file, or None to keep the rows in memory only."""
    backup: Path | None
    """Where an existing results file will be moved before starting afresh (``force``), else None."""
    origin: Mapping[str, Any] | None = None
    """A provenance record written at the top of a new results file (see :func:`memxbar.report.provenance`)."""
    kind: Kind = CROSSBAR
    """The kind of point."""


def _kind(base: object, kind: str | None) -> Kind:
    """The kind named, or that of a point given as ``base`` (crossbar by default)."""
    of_base = next((k for k in KINDS.values() if isinstance(base, k.point)), None)
    if kind is None:
        return of_base or CROSSBAR
    chosen = kind_named(kind)
    if of_base is not None and of_base is not chosen:
        raise InputError(f"kind {kind!r} does not match base, a {type(base).__name__}; give one or make them agree")
    return chosen


def plan_sweep(
    base: Any = None,
    grid: Mapping[str, Any] | None = None,
    seeds: int | Sequence[int] | None = None,
    out: str | Path | None = None,
    force: bool = False,
    kind: str | None = None,
) -> Plan:
    """Expand a sweep and find which of its points the results file already holds.

    Reads the results file but changes nothing.

    Args:
        base: The point every point starts from (an :class:`~memxbar.sweeps.spec.Experiment` or a
            :class:`~memxbar.sweeps.network.NetworkExperiment`), or a mapping of its parameters
            (defaults for the rest); None for all defaults.
        grid: Parameter name → list of values, or group name → {parameter name → list of values}
            for parameters that vary together; the sweep is the full product of these axes.
        seeds: Number of repeats n (seeds 0 … n−1) or a list of seeds, as the innermost axis.
        out: Results file (CSV). Rows are appended as points finish; finished points are skipped.
        force: Start afresh even if ``out`` holds results: the old file is renamed to a backup.
        kind: ``"crossbar"`` (random crossbars) or ``"network"`` (neural networks on crossbars);
            None: the kind of ``base`` if it is a point, else crossbar.

    Raises:
        InputError: If the sweep is invalid (naming the key path), or ``out`` holds points of
            another sweep or another file format.
    """
    point_kind = _kind(base, kind)
    if isinstance(base, point_kind.point):
        values = base.flat()
    else:
        values = point_kind.check_parameters(base or {}, "base")
    axes = grid_axes(grid or {}, seeds, kind=point_kind)
    count = math.prod(len(axis.steps) for axis in axes)
    if count > MAX_POINTS:
        sizes = " x ".join(f"{axis.name} {len(axis.steps)}" for axis in axes)
        raise InputError(f"the grid has {count:,} points ({sizes}); at most {MAX_POINTS:,}: sweep fewer values")
    points = tuple(expand(values, axes, point_kind))
    if out is None:
        return Plan(points, points, None, None, kind=point_kind)
    path = Path(out)
    if path.is_dir() or not path.parent.is_dir():
        raise InputError(f"{path}: need a file in an existing folder")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(f"{path}: folder {path.parent} is not writable; choose another folder")
    if not path.exists():
        return Plan(points, points, path, None, kind=point_kind)
    if force:
        return Plan(points, points, path, store.backup_name(path), kind=point_kind)
    rows = store.latest_rows(path, point_kind)
    foreign = rows.keys() - {point.point_id for point in points}
    if foreign:
        raise InputError(f"{path} holds {len(foreign)} point(s) that are not part of this sweep; {RESTART_HINT}")
    done = {point_id for point_id, row in rows.items() if store.finished(row, point_kind)}
    return Plan(points, tuple(p for p in points if p.point_id not in done), path, None, kind=point_kind)


def _prepare_file(plan: Plan) -> None:
    if plan.backup is not None:
        os.replace(plan.out, plan.backup)
    if plan.out.exists():
        store.repair(plan.out)
    else:
        store.start(plan.out, plan.kind.columns(), plan.origin)


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
        earlier = store.latest_rows(plan.out, plan.kind)
    names = plan.kind.columns()
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
        metrics of the kind (:data:`memxbar.sweeps.metrics.METRICS` or
        :data:`memxbar.sweeps.network.METRICS`), ``time_point_s`` and ``error`` (empty when the
        point succeeded).
    """
    import pandas as pd

    if workers is not None and scheduler is not None:
        raise InputError("give workers (a local cluster) or scheduler (an existing one), not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise InputError(f"workers must be a whole number >= 0, got {workers!r}")
    collected: list[dict[str, Any]] = []
    with store.locked(plan.out) if plan.out is not None else contextlib.nullcontext():
        if plan.out is not None and plan.backup is None and plan.out.exists():
            rows = store.latest_rows(plan.out, plan.kind)
            done = {point_id for point_id, row in rows.items() if store.finished(row, plan.kind)}
            plan = replace(plan, todo=tuple(p for p in plan.todo if p.point_id not in done))
        if plan.todo and workers == 0:
            todo = plan_tasks(plan.todo, 1, task_seconds)
            collected = _record(plan, lambda record: run_here(todo, record), progress)
        elif plan.todo:
            with dask_client(workers, scheduler) as client:
                tasks = plan_tasks(plan.todo, worker_count(client), task_seconds)
                collected = _record(plan, lambda record: run_distributed(client, tasks, record), progress)
    if plan.out is not None:
        frame = store.read_results(plan.out)
    else:
        frame = pd.DataFrame(collected, columns=plan.kind.columns())
    order = [point.point_id for point in plan.points]
    return frame.set_index(ID_COLUMN).loc[order].reset_index()


def sweep(
    base: Any = None,
    grid: Mapping[str, Any] | None = None,
    seeds: int | Sequence[int] | None = None,
    *,
    kind: str | None = None,
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

    A network sweep (``kind="network"``) trains and evaluates one neural network on crossbars per
    point (:class:`~memxbar.sweeps.network.NetworkExperiment`)::

        frame = memxbar.sweep({"devices": "high-R", "epochs": 10}, {"r_line": [0.0, 1.0],
                              "training": ["plain", "aware-ideal"]}, seeds=3, kind="network", out="nn.csv")

    See :func:`plan_sweep` for ``base``, ``grid``, ``seeds``, ``kind``, ``out`` and ``force`` and
    :func:`run_sweep` for the rest and for the returned DataFrame. With ``out``, a sweep that
    was interrupted continues where it stopped when called again, and failed points are
    tried again.
    """
    return run_sweep(plan_sweep(base, grid, seeds, out, force, kind), workers, scheduler, progress, task_seconds)
