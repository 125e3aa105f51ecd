"""Where sweep tasks run: in this process, on a local cluster of worker processes, or on a Dask scheduler.

Workers are processes with one thread each, because libngspice holds one simulator per process.
A task whose worker dies is run again elsewhere by the scheduler (up to Dask's
``distributed.scheduler.allowed-failures`` times) and a task that raises is retried
:data:`RETRIES` times. A task that still fails is split into one task per point, so one bad
point cannot take its neighbours down; a single point that still fails gets a row with the error.
"""

from __future__ import annotations

import logging
import os
import signal
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from memxbar.errors import InputError
from memxbar.sweeps.runner import failure_row, run_points

RETRIES = 2
"""Times Dask runs a task again after it raised (its worker survived)."""
CONNECT_SECONDS = 10
"""How long to wait for an existing Dask scheduler to answer, in seconds (s)."""

Rows = list[dict[str, Any]]


@contextmanager
def _signals_ignored_by_children() -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored, so that only this process handles it and shuts them down."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def dask_client(workers: int | None, scheduler: Any) -> Iterator[Any]:
    """A Dask client: of a new local cluster of ``workers`` processes, or of an existing scheduler.

    Args:
        workers: Worker processes of the local cluster; None for one per core.
        scheduler: Address of a running scheduler (e.g. ``"tcp://10.0.0.5:8786"``), a
            ``distributed.Client`` to use as it is, or None for a local cluster.
    """
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
    elif scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"scheduler {scheduler}: cannot connect ({' '.join(str(exc).split())})") from None
        with client:
            yield client
    else:
        try:
            # Without a dashboard the scheduler still serves its HTTP health routes, by default on
            # the dashboard's port 8787, and warns when another Dask holds that port: not our concern.
            with _signals_ignored_by_children(), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
        except RuntimeError as exc:
            raise RuntimeError(
                f"cannot start the local Dask workers ({exc}); in a script, call memxbar.sweep() "
                "under `if __name__ == '__main__':`, as worker processes import the script"
            ) from exc
        with cluster, Client(cluster) as client:
            yield client


def worker_count(client: Any) -> int:
    """Number of workers; raise if there is none or one runs another memxbar version."""
    from memxbar import __version__

    versions = client.run(lambda: __import__("memxbar").__version__, on_error="return")
    if not versions:
        raise InputError("the Dask scheduler has no workers; start some with `dask worker ADDRESS`")
    wrong = {worker: v for worker, v in versions.items() if v != __version__}
    if wrong:
        worker, found = next(iter(wrong.items()))
        found = f"memxbar {found}" if isinstance(found, str) else _error_text(found)
        raise InputError(
            f"{len(wrong)} Dask worker(s) cannot run this sweep (e.g. {worker}: {found}); "
            f"install memxbar {__version__} on every worker"
        )
    return len(versions)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _task_failure(future: Any) -> str:
    if future.status == "error":
        return f"task failed: {_error_text(future.exception())}"
    return f"task {future.status}"


def run_distributed(client: Any, tasks: Sequence[list[Any]], on_rows: Callable[[Rows], None]) -> None:
    """Run tasks on a Dask cluster, handing each finished task's rows to ``on_rows`` at once.

    Args:
        client: A connected ``distributed.Client``.
        tasks: Lists of points, each run as one Dask task (see :func:`memxbar.sweeps.tasks.plan_tasks`).
        on_rows: Called in this process with the rows of every task as it finishes.
    """
    from distributed import as_completed

    submitted = {client.submit(run_points, task, retries=RETRIES, pure=False): task for task in tasks}
    finished = as_completed(submitted)
    for future in finished:
        task = submitted.pop(future)
        if future.status == "finished":
            on_rows(future.result())
        elif len(task) > 1:
            for point in task:
                submitted[retry := client.submit(run_points, [point], retries=RETRIES, pure=False)] = [point]
                finished.add(retry)
        else:
            on_rows([failure_row(task[0], _task_failure(future))])
        future.release()


def run_here(tasks: Sequence[list[Any]], on_rows: Callable[[Rows], None]) -> None:
    """Run tasks one after the other in this process, without Dask."""
    for task in tasks:
        on_rows(run_points(task))
