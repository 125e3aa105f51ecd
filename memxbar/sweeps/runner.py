"""Run sweep points: measure each with its kind's function, time it, catch the failure.

These functions run on Dask workers (or in the calling process) and return plain rows; they never
write files, so one process alone owns the results file.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from memxbar.sweeps.kinds import CROSSBAR, ERROR_COLUMN, ID_COLUMN, TIME_COLUMN, Kind, kind_of

__all__ = ["ERROR_COLUMN", "ID_COLUMN", "TIME_COLUMN", "columns", "failure_row", "run_point", "run_points"]


def failure_row(point: Any, error: str, seconds: float = float("nan")) -> dict[str, Any]:
    """The row of a point that produced no metrics: its parameters, NaN metrics and the error."""
    return {
        ID_COLUMN: point.point_id,
        **point.parameters(),
        **dict.fromkeys(kind_of(point).metrics, float("nan")),
        TIME_COLUMN: seconds,
        ERROR_COLUMN: error,
    }


def run_point(point: Any) -> dict[str, Any]:
    """Run one point and return its row; any exception is recorded in the row, never raised.

    Args:
        point: The point (a :class:`~memxbar.sweeps.spec.Experiment` or a
            :class:`~memxbar.sweeps.network.NetworkExperiment`).

    Returns:
        ``point_id``, the parameters, every metric of the point's kind, ``time_point_s`` and
        ``error`` (empty on success).
    """
    start = time.perf_counter()
    try:
        metrics = kind_of(point).measure(point)
    except Exception as exc:  # noqa: BLE001 - a failing point is recorded in its row and the sweep goes on
        message = " ".join(str(exc).split())
        return failure_row(point, f"{type(exc).__name__}: {message}", time.perf_counter() - start)
    return {
        ID_COLUMN: point.point_id,
        **point.parameters(),
        **metrics,
        TIME_COLUMN: time.perf_counter() - start,
        ERROR_COLUMN: "",
    }


def run_points(points: Sequence[Any]) -> list[dict[str, Any]]:
    """Run several points one after the other (one Dask task); see :func:`run_point`."""
    return [run_point(point) for point in points]


def columns(kind: Kind = CROSSBAR) -> list[str]:
    """The columns of a results row of ``kind``, in order."""
    return kind.columns()
