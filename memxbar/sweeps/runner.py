"""Run sweep points: build the crossbar and inputs, solve, compute the metrics, catch the failure.

These functions run on Dask workers (or in the calling process) and return plain rows; they never
write files, so one process alone owns the results file.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from memxbar.build import build
from memxbar.simulate import simulate
from memxbar.sweeps.metrics import METRICS, point_metrics
from memxbar.sweeps.spec import BOTH, COMPARED, Experiment

ID_COLUMN = "point_id"
"""Column holding :attr:`Experiment.point_id`."""
ERROR_COLUMN = "error"
"""Column holding why a point failed (``"ExceptionType: message"``), empty when it succeeded."""
TIME_COLUMN = "time_point_s"
"""Column holding the wall time of the whole point (generation, solves, metrics), in seconds (s)."""


def failure_row(experiment: Experiment, error: str, seconds: float = float("nan")) -> dict[str, Any]:
    """The row of a point that produced no metrics: its parameters, NaN metrics and the error."""
    return {
        ID_COLUMN: experiment.point_id,
        **experiment.parameters(),
        **dict.fromkeys(METRICS, float("nan")),
        TIME_COLUMN: seconds,
        ERROR_COLUMN: error,
    }


BUILD_FIELDS = ("rows", "cols", "g_min", "g_max", "seed", "r_wl", "r_bl", "r_driver", "r_sense", "device",
                "device_params", "v_max", "batch")
"""Fields of :class:`Experiment` that :func:`memxbar.build.build` turns into the crossbar and inputs."""


def build_parameters(experiment: Experiment) -> dict[str, Any]:
    """The parameters of :func:`memxbar.build.build` for a point."""
    params = {name: getattr(experiment, name) for name in BUILD_FIELDS}
    if experiment.device_file:
        params |= {"device": None, "device_file": experiment.device_file}
    return params


def run_point(experiment: Experiment) -> dict[str, Any]:
    """Solve one point and return its row; any exception is recorded in the row, never raised.

    Args:
        experiment: The point.

    Returns:
        ``point_id``, the parameters, every metric of :data:`~memxbar.sweeps.metrics.METRICS`,
        ``time_point_s`` and ``error`` (empty on success).
    """
    start = time.perf_counter()
    e = experiment
    try:
        problem = build(build_parameters(e))
        crossbar, voltages = problem.crossbar, problem.voltages.reshape(e.rows, e.batch)
        backends = COMPARED if e.backend == BOTH else (e.backend,)
        fast_options = {"method": e.method, "tol": e.tol}
        solutions = {name: simulate(crossbar, voltages, name, **(fast_options if name == "fast" else {}))
                     for name in backends}
        metrics = point_metrics(solutions, e.read_time)
    except Exception as exc:  # noqa: BLE001 - a failing point is recorded in its row and the sweep goes on
        message = " ".join(str(exc).split())
        return failure_row(e, f"{type(exc).__name__}: {message}", time.perf_counter() - start)
    return {
        ID_COLUMN: e.point_id,
        **e.parameters(),
        **metrics,
        TIME_COLUMN: time.perf_counter() - start,
        ERROR_COLUMN: "",
    }


def run_points(experiments: Sequence[Experiment]) -> list[dict[str, Any]]:
    """Run several points one after the other (one Dask task); see :func:`run_point`."""
    return [run_point(experiment) for experiment in experiments]


def columns() -> list[str]:
    """The columns of a results row, in order."""
    return [ID_COLUMN, *Experiment.__dataclass_fields__, *METRICS, TIME_COLUMN, ERROR_COLUMN]
