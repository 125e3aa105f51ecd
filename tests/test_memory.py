"""Memory stays flat over long runs: sparse factorisations are freed once used (issue 16).

Before the fix every PARDISO factorisation stayed alive (its finaliser held a bound method of
the solver): at 16×16 with 2.5 Ω segments, +0.38 MiB per linear solve and +0.9 MiB per input
vector of a power-law crossbar (~4 Newton factorisations each), so the runs below grew by
~110 MiB (in this process) and ~85 MiB (a sweep worker); the bound here is 16 MiB.
"""

from __future__ import annotations

import gc

import numpy as np
import psutil
import pytest
import scipy.sparse as sp

import memxbar
from memxbar.devices.power_law import PowerLaw
from memxbar.solver.linalg import Factorization, factorize, load_pardiso, pardiso_available

SIZE = 16
"""Array size of the repeated solves: small enough to be quick, big enough that a leak shows."""

RSS_BOUND = 16 * 2**20
"""Growth of resident memory (bytes) allowed over the repeated solves, after a warm-up."""


def _rss() -> int:
    """Resident memory of this process after a full garbage collection, in bytes."""
    gc.collect()
    return psutil.Process().memory_info().rss


def _live_solvers() -> int:
    """Factorisations and PARDISO solvers alive in this process."""
    gc.collect()
    kinds: tuple[type, ...] = (Factorization,)
    if pardiso_available():
        import pypardiso

        kinds += (pypardiso.PyPardisoSolver,)
    return sum(isinstance(obj, kinds) for obj in gc.get_objects())


@pytest.fixture(scope="module")
def pardiso() -> bool:
    """PARDISO loaded, if installed, so that every size uses it (the backend that leaked)."""
    return load_pardiso()


def _crossbars(rng: np.random.Generator) -> tuple[memxbar.Crossbar, memxbar.Crossbar]:
    g = rng.uniform(1e-6, 1e-4, (SIZE, SIZE))
    return (memxbar.Crossbar(g, r_wl=2.5, r_bl=2.5),
            memxbar.Crossbar(g, r_wl=2.5, r_bl=2.5, device=PowerLaw(n=2.9)))


def test_a_factorisation_solves_exactly_and_is_freed_when_dropped_or_freed(pardiso: bool) -> None:
    # [[2, -1], [-1, 2]] x = [1, 0] has the solution x = [2/3, 1/3].
    a = sp.csc_matrix(np.array([[2.0, -1.0], [-1.0, 2.0]]))
    before = _live_solvers()
    factor = factorize(a, positive_definite=True)
    assert _live_solvers() == before + 1 + pardiso
    np.testing.assert_allclose(factor(np.array([1.0, 0.0])), [2 / 3, 1 / 3], rtol=1e-14)
    del factor
    assert _live_solvers() == before

    with factorize(a, positive_definite=True) as solve:
        np.testing.assert_allclose(solve(np.array([0.0, 3.0])), [1.0, 2.0], rtol=1e-14)
    assert solve.freed
    with pytest.raises(RuntimeError, match="freed"):
        solve(np.array([1.0, 0.0]))
    solve.free()  # a second free does nothing
    del solve
    assert _live_solvers() == before


def test_hundreds_of_linear_and_nonlinear_solves_keep_memory_and_solver_objects_flat(
    rng: np.random.Generator, pardiso: bool
) -> None:
    linear, nonlinear = _crossbars(rng)
    for _ in range(5):  # warm-up: caches, pools and MKL's own buffers reach their size
        memxbar.simulate(linear, rng.uniform(0, 0.3, SIZE))
        memxbar.simulate(nonlinear, rng.uniform(0, 0.3, (SIZE, 4)))
    solvers, rss = _live_solvers(), _rss()
    for _ in range(100):
        memxbar.simulate(linear, rng.uniform(0, 0.3, SIZE))
    for _ in range(20):
        memxbar.simulate(nonlinear, rng.uniform(0, 0.3, (SIZE, 4)))
    memxbar.effective_weights(linear)
    assert _live_solvers() == solvers
    growth = _rss() - rss
    assert growth < RSS_BOUND, f"resident memory grew by {growth / 2**20:.1f} MiB over 100 + 80 solves"


def test_repeated_ngspice_runs_in_one_process_keep_memory_flat(rng: np.random.Generator) -> None:
    runs = [memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (8, 8)), r_wl=2.5, r_bl=2.5, device=PowerLaw(n=2.9))
            for _ in range(3)]
    for xbar in runs:  # warm-up: ngspice's own pools reach their size
        memxbar.simulate(xbar, rng.uniform(0, 0.3, (8, 2)), backend="spice")
    rss = _rss()
    for k in range(100):
        memxbar.simulate(runs[k % 3], rng.uniform(0, 0.3, (8, 2)), backend="spice")
    growth = _rss() - rss
    assert growth < RSS_BOUND, f"resident memory grew by {growth / 2**20:.1f} MiB over 100 ngspice runs"


def _worker_rss() -> int:
    """Resident memory of a Dask worker process after a full garbage collection, in bytes."""
    gc.collect()
    return psutil.Process().memory_info().rss


def test_a_long_sweep_keeps_dask_worker_memory_flat_across_tasks() -> None:
    import logging

    from distributed import Client, LocalCluster

    base = {"rows": SIZE, "cols": SIZE, "r_wl": 2.5, "r_bl": 2.5, "device": "power-law", "device_n": 2.9,
            "v_max": 0.3, "batch": 4}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        client.run(load_pardiso)
        memxbar.sweep(base, seeds=range(0, 4), scheduler=client)  # warm-up
        rss = next(iter(client.run(_worker_rss).values()))
        for start in range(4, 28, 8):
            frame = memxbar.sweep(base, seeds=range(start, start + 8), scheduler=client)
            assert (frame["error"] == "").all()
        growth = next(iter(client.run(_worker_rss).values())) - rss
    assert growth < RSS_BOUND, f"the worker's resident memory grew by {growth / 2**20:.1f} MiB over 24 points"
