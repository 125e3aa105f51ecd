"""Scheduling overhead of sweeps: grouped tasks against one task per point, side by side in one run.

Runs the same sweep of small points (fast backend) three ways: in this process without Dask, on
a local Dask cluster with points grouped into tasks (the default), and on the same kind of
cluster with one task per point. Cluster start-up and a warm-up task (imports) are left out of
the per-point figures. Writes a Markdown table.

    python benchmarks/sweep_tasks.py [--workers 2] [--size 8] [--points 600] [--out out/sweep_tasks.md]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from memxbar.sweeps.api import plan_sweep
from memxbar.sweeps.execute import dask_client, run_distributed, run_here, worker_count
from memxbar.sweeps.tasks import plan_tasks


def _timed(run: object) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--size", type=int, default=8, help="rows = cols of every point")
    parser.add_argument("--points", type=int, default=600)
    parser.add_argument("--out", type=Path, default=Path("out/sweep_tasks.md"))
    args = parser.parse_args()

    points = plan_sweep(
        {"rows": args.size, "cols": args.size, "batch": 4, "r_wl": 1.0, "r_bl": 1.0}, {}, seeds=args.points
    ).points
    rows = []
    grouped = plan_tasks(points, args.workers)
    run_here([points[:1]], lambda r: None)
    rows.append(("this process, no Dask", len(grouped), _timed(lambda: run_here(grouped, lambda r: None))))
    start = time.perf_counter()
    with dask_client(args.workers, None) as client:
        startup = time.perf_counter() - start
        n = worker_count(client)
        grouped = plan_tasks(points, n)
        single = [[point] for point in points]
        run_distributed(client, [points[:1]] * (2 * n), lambda r: None)
        rows.append(
            (
                f"{n} workers, grouped tasks",
                len(grouped),
                _timed(lambda: run_distributed(client, grouped, lambda r: None)),
            )
        )
        rows.append(
            (
                f"{n} workers, one task per point",
                len(single),
                _timed(lambda: run_distributed(client, single, lambda r: None)),
            )
        )

    lines = [
        f"# Sweep scheduling overhead: {len(points)} points of {args.size}x{args.size}, "
        "batch 4, 1 Ω segments, fast backend",
        "",
        f"Local cluster start-up: {startup:.2f} s (not included below). Load at the end: {os.getloadavg()[0]:.2f}.",
        "",
        "| how | tasks | wall time (s) | ms per point | vs grouped |",
        "|---|---|---|---|---|",
    ]
    reference = rows[1][2]
    for how, tasks, seconds in rows:
        lines.append(
            f"| {how} | {tasks} | {seconds:.2f} | {1e3 * seconds / len(points):.2f} | {seconds / reference:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
