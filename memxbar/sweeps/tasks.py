"""How sweep points are grouped into tasks, so that scheduling overhead stays negligible.

A Dask task costs the scheduler and the network about a millisecond; a small fast-backend point
costs about as much. Points are therefore packed, in grid order, into tasks of roughly
``task_seconds`` of estimated work, but into no fewer than about four tasks per worker while
there is enough work, so that the workers stay evenly loaded to the end.
"""

from __future__ import annotations

from collections.abc import Sequence

from memxbar.devices import MODELS
from memxbar.sweeps.spec import BOTH, Experiment

FAST_SECONDS = (1e-3, 1.6e-5)
"""Rough cost of the fast backend: seconds per point, and per device (M·N), for one input vector."""
FAST_BATCH_SHARE = 0.15
"""Rough extra cost of each further input vector of the fast backend, as a share of the first one."""
SPICE_SECONDS = (5e-3, 7e-5)
"""Rough cost of the ngspice backend: seconds per point, and per device and input vector."""
NONLINEAR_FACTOR = 4.0
"""Rough extra cost of a nonlinear device model (Newton iterations; behavioural sources in ngspice)."""
MIN_TASK_SECONDS = 0.05
"""Tasks are never planned smaller than this much estimated work (unless the whole sweep is)."""
TASKS_PER_WORKER = 4
"""Planned tasks per worker while there is enough work, for an even load at the end."""


def estimated_seconds(experiment: Experiment) -> float:
    """Order-of-magnitude run time of one point, from the measured scaling of both backends.

    Only used to group points; the constants were measured on a 2-core machine.
    """
    devices = experiment.rows * experiment.cols
    seconds = 0.0
    if experiment.backend in ("fast", BOTH):
        seconds += (FAST_SECONDS[0] + FAST_SECONDS[1] * devices) * (1 + FAST_BATCH_SHARE * (experiment.batch - 1))
    if experiment.backend in ("spice", BOTH):
        seconds += SPICE_SECONDS[0] + SPICE_SECONDS[1] * devices * experiment.batch
    return seconds if MODELS[experiment.device].linear else seconds * NONLINEAR_FACTOR


def plan_tasks(points: Sequence[Experiment], workers: int, task_seconds: float = 0.5) -> list[list[Experiment]]:
    """Pack consecutive points into tasks of about ``task_seconds`` of estimated work.

    Args:
        points: The points to run, in grid order.
        workers: Number of workers that will run the tasks (at least 1).
        task_seconds: Largest estimated work per task, in seconds (s); a point that alone
            exceeds it forms a task of its own.

    Returns:
        The tasks, each a non-empty list of points; together they hold every point once, in order.
    """
    costs = [estimated_seconds(point) for point in points]
    share = sum(costs) / (TASKS_PER_WORKER * max(workers, 1))
    target = min(task_seconds, max(share, MIN_TASK_SECONDS))
    tasks: list[list[Experiment]] = []
    load = 0.0
    for point, cost in zip(points, costs, strict=True):
        if not tasks or load + cost > target:
            tasks.append([])
            load = 0.0
        tasks[-1].append(point)
        load += cost
    return tasks
