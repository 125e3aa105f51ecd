"""How sweep points are grouped into tasks, so that scheduling overhead stays negligible.

A Dask task costs the scheduler and the network about a millisecond; a small fast-backend point
costs about as much. Points are therefore packed, in grid order, into tasks of roughly
``task_seconds`` of estimated work, but into no fewer than about four tasks per worker while
there is enough work, so that the workers stay evenly loaded to the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memxbar.sweeps.kinds import kind_of

MIN_TASK_SECONDS = 0.05
"""Tasks are never planned smaller than this much estimated work (unless the whole sweep is)."""
TASKS_PER_WORKER = 4
"""Planned tasks per worker while there is enough work, for an even load at the end."""


def plan_tasks(points: Sequence[Any], workers: int, task_seconds: float = 0.5) -> list[list[Any]]:
    """Pack consecutive points into tasks of about ``task_seconds`` of estimated work.

    Args:
        points: The points to run, in grid order; each one's cost is estimated by its kind.
        workers: Number of workers that will run the tasks (at least 1).
        task_seconds: Largest estimated work per task, in seconds (s); a point that alone
            exceeds it forms a task of its own.

    Returns:
        The tasks, each a non-empty list of points; together they hold every point once, in order.
    """
    costs = [kind_of(point).estimate(point) for point in points]
    share = sum(costs) / (TASKS_PER_WORKER * max(workers, 1))
    target = min(task_seconds, max(share, MIN_TASK_SECONDS))
    tasks: list[list[Any]] = []
    load = 0.0
    for point, cost in zip(points, costs, strict=True):
        if not tasks or load + cost > target:
            tasks.append([])
            load = 0.0
        tasks[-1].append(point)
        load += cost
    return tasks
