"""Thread counts of the native libraries (MKL PARDISO, OpenBLAS, OpenMP) by problem size.

Multithreaded factorisations pay for their threads only on large matrices: below
:data:`PARALLEL_FROM` unknowns one thread is faster, and on a shared machine much faster
(measured here with PARDISO, 128×128 crossbar, full direct solve: 1 thread 93 ms of CPU
time, 2 threads 143 ms; 256×256: 2 threads 22 % faster in wall time). Solvers wrap their
native calls in :func:`limited_threads`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

PARALLEL_FROM = 2**17
"""Unknown node voltages (a 256×256 crossbar) from which native libraries use every core."""

PARALLEL_WORK_FROM = 2**20
"""Node voltages of a batch (devices × input vectors; 128×128 with 64 vectors) from which the line
solver splits its blocks of vectors over threads (measured in fresh processes, 2 cores, medians: 128×128
with 100 vectors full 73 ms on one thread, 59 ms on two; 64×64 with 100 vectors 20 and 23 ms, where
starting the threads costs what they save)."""

_NATIVE_MODULES = ("numpy", "scipy", "pypardiso", "torch")
"""Python modules whose loading brings a native thread pool; the controller is rebuilt
when one of them has been imported since it was made."""

_controller: tuple[tuple[bool, ...], Any] | None = None
_lock = threading.Lock()


def threads_for(n: int) -> int:
    """Threads native libraries should use for a system of ``n`` unknowns.

    Args:
        n: Number of unknowns (node voltages).

    Returns:
        1 below :data:`PARALLEL_FROM` unknowns, else the number of cores this process may use.
    """
    return 1 if n < PARALLEL_FROM else cores()


def cores() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_pool: ThreadPoolExecutor | None = None


def run_parallel(tasks: Sequence[Callable[[], None]]) -> None:
    """Run ``tasks`` on a shared pool of threads, one per core at most, and wait for all of them.

    Meant for work that releases the GIL (compiled kernels); an exception raised by a task is raised
    here, after every task has finished.

    Args:
        tasks: Callables without arguments or result.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="memxbar")
    futures = [_pool.submit(task) for task in tasks]
    wait(futures)
    for future in futures:
        future.result()


def _thread_controller() -> Any:
    """A ``threadpoolctl`` controller of the thread pools loaded so far (finding them costs
    ~15 ms, so it is made once, and again only after another native library is imported)."""
    global _controller
    from threadpoolctl import ThreadpoolController

    key = tuple(name in sys.modules for name in _NATIVE_MODULES)
    with _lock:
        if _controller is None or _controller[0] != key:
            _controller = (key, ThreadpoolController())
        return _controller[1]


@contextmanager
def limited_threads(n: int) -> Iterator[int]:
    """Limit the native libraries' thread pools to :func:`threads_for` ``(n)`` threads for the
    duration of the ``with`` block.

    Args:
        n: Number of unknowns of the system solved inside the block.

    Yields:
        The number of threads allowed.
    """
    threads = threads_for(n)
    with _thread_controller().limit(limits=threads):
        yield threads
