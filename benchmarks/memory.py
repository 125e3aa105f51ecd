"""Memory of long nonlinear runs in one process: does the fast backend free its factorisations?

Solves input vectors one at a time (one ``memxbar.simulate`` call each) on power-law crossbars
(Joksas et al. 2022, n = 2.9), 2.5 Ω word- and bit-line segments, devices uniform in 1–100 µS,
inputs uniform in 0–0.3 V, with PARDISO loaded (the backend whose factorisations leaked, issue
16; without ``pypardiso`` SuperLU is used). Sizes run one after the other in this process. After
every solve the resident set size (RSS) is sampled; a run stops early, as failed, once RSS exceeds
that of the first solve by ``--stop-above`` GiB, to spare the shared machine.

Writes ``memory.json`` (every run, under its ``--label``, with the RSS of every solve),
``memory.md`` (table of all labels) and ``memory.png`` (RSS against solve number) to ``--out``.
Run from the repository root:

    .venv/bin/python benchmarks/memory.py                        # 1000 at 64×64, 200 at 128×128
    .venv/bin/python benchmarks/memory.py --sizes 64:100 --label before --stop-above 1.5
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shlex
import statistics
import time
from pathlib import Path

import numpy as np
import psutil

import memxbar
from memxbar.devices.power_law import PowerLaw
from memxbar.solver.linalg import load_pardiso

MIB = 2**20
DONE_WITHIN = 1 << 30
"""Issue 16 is done when peak RSS stays within this many bytes of the first solve's."""


def live_solvers() -> int:
    """PARDISO solver objects alive in this process (0 without pypardiso)."""
    try:
        import pypardiso
    except ImportError:
        return 0
    gc.collect()
    return sum(isinstance(obj, pypardiso.PyPardisoSolver) for obj in gc.get_objects())


def run_size(size: int, count: int, first_rss: int | None, stop_above: float) -> dict[str, object]:
    """Solve ``count`` input vectors one by one on a size×size power-law crossbar; sample RSS after each."""
    rng = np.random.default_rng(size)
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (size, size)), r_wl=2.5, r_bl=2.5, device=PowerLaw(n=2.9))
    process = psutil.Process()
    rss: list[int] = []
    seconds: list[float] = []
    stopped = False
    for _ in range(count):
        v = rng.uniform(0.0, 0.3, size)
        start = time.perf_counter()
        memxbar.simulate(xbar, v, backend="fast")
        seconds.append(time.perf_counter() - start)
        rss.append(process.memory_info().rss)
        first_rss = rss[0] if first_rss is None else first_rss
        if rss[-1] - first_rss > stop_above * 2**30:
            stopped = True
            break
    half = len(rss) // 2
    slope = float(np.polyfit(np.arange(half, len(rss)), rss[half:], 1)[0]) if len(rss) - half >= 2 else float("nan")
    return {
        "size": size,
        "solves_asked": count,
        "solves_done": len(rss),
        "stopped_over_limit": stopped,
        "rss_first_solve_mib": rss[0] / MIB,
        "rss_last_mib": rss[-1] / MIB,
        "rss_peak_mib": max(rss) / MIB,
        "growth_per_solve_kib": slope / 2**10,
        "median_solve_seconds": statistics.median(seconds),
        "live_pardiso_solvers": live_solvers(),
        "rss_mib": [value / MIB for value in rss],
    }


def table(runs: dict[str, dict[str, object]]) -> str:
    """Markdown table of every labelled run."""
    lines = [
        "| label | size | solves | RSS first solve (MiB) | peak RSS (MiB) | peak − first of run (MiB) "
        "| growth per solve, 2nd half (KiB) | live PARDISO solvers | median solve (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, run in runs.items():
        for case in run["cases"]:
            solves = f"{case['solves_done']}/{case['solves_asked']}" + (" (stopped)" if case["stopped_over_limit"]
                                                                          else "")
            lines.append(
                f"| {label} | {case['size']}×{case['size']} | {solves} | {case['rss_first_solve_mib']:.0f} "
                f"| {case['rss_peak_mib']:.0f} | {case['rss_peak_mib'] - run['rss_first_solve_mib']:.0f} "
                f"| {case['growth_per_solve_kib']:.0f} | {case['live_pardiso_solvers']} "
                f"| {case['median_solve_seconds']:.3f} |"
            )
    lines.append("")
    for label, run in runs.items():
        verdict = "within" if run["peak_minus_first_mib"] * MIB <= DONE_WITHIN else "NOT within"
        lines.append(f"- {label}: peak RSS {run['peak_minus_first_mib']:.0f} MiB above the first solve's "
                     f"({verdict} 1 GiB); maximum RSS of the process (ru_maxrss) {run['ru_maxrss_mib']:.0f} MiB; "
                     f"command: `{run['command']}`")
    return "\n".join(lines) + "\n"


def plot(runs: dict[str, dict[str, object]], path: Path) -> None:
    """RSS against solve number, one line per label and size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, run in runs.items():
        offset = 0
        for case in run["cases"]:
            rss = case["rss_mib"]
            ax.plot(np.arange(offset + 1, offset + len(rss) + 1), rss, label=f"{label}: {case['size']}×{case['size']}")
            offset += len(rss)
    ax.set_xlabel("solve number (one input vector each; sizes run one after the other)")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_ylim(bottom=0)
    ax.set_title("Power-law crossbar (n = 2.9), 2.5 Ω segments, Newton + PARDISO")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64:1000,128:200", help="size:solves pairs, run in this order")
    parser.add_argument("--label", default="after", help="name of this run in the results (e.g. before, after)")
    parser.add_argument("--stop-above", type=float, default=2.0, help="stop once RSS exceeds the first solve's by GiB")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    pardiso = load_pardiso()
    cases: list[dict[str, object]] = []
    first: int | None = None
    for item in args.sizes.split(","):
        size, count = (int(part) for part in item.split(":"))
        case = run_size(size, count, first, args.stop_above)
        first = first if first is not None else int(case["rss_first_solve_mib"] * MIB)
        cases.append(case)
        print(f"{args.label} {size}×{size}: {case['solves_done']} solves, first {case['rss_first_solve_mib']:.0f} MiB, "
              f"peak {case['rss_peak_mib']:.0f} MiB, {case['growth_per_solve_kib']:.0f} KiB/solve, "
              f"median {case['median_solve_seconds']:.3f} s", flush=True)
        if case["stopped_over_limit"]:
            break
    run = {
        "command": shlex.join(["benchmarks/memory.py", "--sizes", args.sizes, "--label", args.label, "--stop-above",
                               str(args.stop_above)]),
        "memxbar": memxbar.__file__,
        "pardiso": pardiso,
        "rss_first_solve_mib": first / MIB,
        "peak_minus_first_mib": max(case["rss_peak_mib"] for case in cases) - first / MIB,
        "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cases": cases,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    record = args.out / "memory.json"
    runs = json.loads(record.read_text()) if record.exists() else {}
    runs[args.label] = run
    record.write_text(json.dumps(runs, indent=1))
    (args.out / "memory.md").write_text(table(runs))
    plot(runs, args.out / "memory.png")
    print(table(runs))


if __name__ == "__main__":
    main()
