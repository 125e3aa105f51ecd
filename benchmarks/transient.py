"""Transient analysis: read settling against array size, fast against ngspice, and a large linear read.

Three parts, each writing ``transient_<part>.{json,md}`` (``transient_vteam<N>``; and a figure where there is
one) to ``--out``:

- ``settling``: read settling time (every output within 0.1 % of its value at the end of the read pulse,
  measured from the start of the rise) of square arrays against their size, for several line
  capacitances per segment; 2 Ω segments, devices uniform in 10–100 µS, 0.2 V on every word line, fast
  backend. Figure: settling time against size (log-log) with the fitted exponent per capacitance.
- ``vteam``: an N×N VTEAM array (default 64×64), 2 Ω segments, 10 fF per segment, devices 1–20 mS, a V/2
  write pulse of −0.8 V on cell (N/4, N/4) and then a 0.1 V read on every word line (each 10 edges long,
  edges of ``--edge`` s), ``--points`` output times; fast and ngspice in one process, with their times,
  step counts, agreement (``compare_waveforms``, ngspice the reference) and the speed ratio.
- ``large``: a 256×256 linear array, 2 Ω and 10 fF segments, a read pulse; fast backend only.

Run from the repository root (the machine is shared: run parts one at a time):

    .venv/bin/python benchmarks/transient.py settling
    .venv/bin/python benchmarks/transient.py vteam --size 64
    .venv/bin/python benchmarks/transient.py large
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from memxbar import Crossbar
from memxbar.transient import Dc, Pwl, Stimulus, TransientOptions, compare_waveforms, read_pulse, transient

SEED = 1


def _read(size: int, c: float, width: float, points: int) -> tuple[float, float, int]:
    rng = np.random.default_rng(SEED)
    crossbar = Crossbar(rng.uniform(1e-5, 1e-4, (size, size)), r_wl=2.0, r_bl=2.0, c_wl=c, c_bl=c)
    rise = width / 1000
    stimulus = read_pulse(crossbar.shape, 0.2, width, rise=rise)
    run = transient(crossbar, stimulus, rise * 2 + width, options=TransientOptions(points=points))
    return run.settling_time(1e-3, until=2 * rise + width) - rise, run.wall_time, run.steps


def settling(args: argparse.Namespace) -> dict:
    """Settling time against size, for each capacitance."""
    rows = []
    for c in args.capacitances:
        for size in args.sizes:
            # The pulse lasts several times the line's RC delay, ~ (2 Ω · c) · (2 N)² / π².
            width = max(40 * 2.0 * c * (2 * size) ** 2 / np.pi**2, 1e-12)
            t, wall, steps = _read(size, c, width, args.points)
            rows.append({"size": size, "c_F": c, "settling_s": t, "fast_seconds": wall, "steps": steps})
            print(rows[-1], flush=True)
    exponents = {}
    for c in args.capacitances:
        sel = [r for r in rows if r["c_F"] == c]
        exponents[str(c)] = float(np.polyfit(np.log([r["size"] for r in sel]),
                                             np.log([r["settling_s"] for r in sel]), 1)[0])
    return {"rows": rows, "exponents": exponents}


def settling_report(result: dict, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for c, p in result["exponents"].items():
        sel = [r for r in result["rows"] if str(r["c_F"]) == c]
        ax.loglog([r["size"] for r in sel], [r["settling_s"] * 1e12 for r in sel], "o-",
                  label=f"{float(c) * 1e15:g} fF per segment (slope {p:.2f})")
    ax.set_xlabel("array size N (N×N)")
    ax.set_ylabel("read settling time to 0.1 % (ps)")
    ax.set_title("Read settling, 2 Ω segments, 10–100 µS devices")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "transient_settling.png", dpi=110)
    plt.close(fig)
    lines = ["| N | C per segment (fF) | settling (ps) | fast backend (s) | steps |", "|---|---|---|---|---|"]
    lines += [f"| {r['size']} | {r['c_F'] * 1e15:g} | {r['settling_s'] * 1e12:.4g} | {r['fast_seconds']:.2f} | "
              f"{r['steps']} |" for r in result["rows"]]
    lines += ["", "Fitted exponent p of settling ∝ N^p: " + ", ".join(
        f"{float(c) * 1e15:g} fF: {p:.2f}" for c, p in result["exponents"].items())]
    return "\n".join(lines)


def _write_then_read(size: int, edge: float) -> tuple[Stimulus, float]:
    """A V/2 write of −0.8 V on cell (N/4, N/4) for 10 edges, then a 0.1 V read on every word line for 10
    edges (edges of ``edge`` seconds, 2 edges apart), and the end time (2 edges after the read)."""
    times = tuple(edge * k for k in (0, 1, 2, 12, 13, 15, 16, 26, 27))

    def line(write: float, read: float) -> Pwl:
        return Pwl(times, (0.0, 0.0, write, write, 0.0, 0.0, read, read, 0.0))

    select = size // 4
    selected, half, bit_half = line(-0.8, 0.1), line(-0.4, 0.1), line(-0.4, 0.0)
    wl = tuple(selected if i == select else half for i in range(size))
    bl = tuple(Dc(0.0) if j == select else bit_half for j in range(size))
    return Stimulus(wl, bl), 29 * edge


def vteam(args: argparse.Namespace) -> dict:
    """One V/2 write and a read of an N×N VTEAM array in both backends, in one process."""
    size = args.size
    rng = np.random.default_rng(SEED)
    crossbar = Crossbar(rng.uniform(1e-3, 2e-2, (size, size)), r_wl=2.0, r_bl=2.0, c_wl=1e-14, c_bl=1e-14,
                        device="vteam")
    stimulus, t_stop = _write_then_read(size, args.edge)
    options = TransientOptions(points=args.points)
    result = {"size": size, "device": "vteam", "r_line_ohm": 2.0, "c_segment_F": 1e-14, "edge_s": args.edge,
              "t_stop_s": t_stop, "points": args.points, "load_average_start": os.getloadavg()[0]}
    runs = {}
    for backend in ("fast",) if args.fast_only else ("fast", "spice"):
        cpu = time.process_time()
        runs[backend] = transient(crossbar, stimulus, t_stop, options=options, backend=backend)
        # CPU time of this process (ngspice runs inside it, as a shared library): less moved by other load.
        result[f"{backend}_cpu_seconds"] = time.process_time() - cpu
        result[f"{backend}_seconds"] = runs[backend].wall_time
        result[f"{backend}_steps"] = runs[backend].steps
        print(backend, runs[backend].wall_time, runs[backend].steps, flush=True)
    result["fast_rejected"] = runs["fast"].rejected
    change = runs["fast"].final_states - runs["fast"].initial_states
    result["largest_state_change"] = float(np.abs(change).max())
    if "spice" in runs:
        result["speedup"] = result["spice_seconds"] / result["fast_seconds"]
        result["speedup_cpu"] = result["spice_cpu_seconds"] / result["fast_cpu_seconds"]
        result.update(compare_waveforms(runs["spice"], runs["fast"]))
    result["load_average_end"] = os.getloadavg()[0]
    return result


def large(args: argparse.Namespace) -> dict:
    """A 256×256 linear read with RC lines, fast backend."""
    size = args.size
    rng = np.random.default_rng(SEED)
    crossbar = Crossbar(rng.uniform(1e-5, 1e-4, (size, size)), r_wl=2.0, r_bl=2.0, c_wl=1e-14, c_bl=1e-14)
    stimulus = read_pulse(crossbar.shape, 0.2, 5e-9, rise=5e-12)
    run = transient(crossbar, stimulus, 5.5e-9, options=TransientOptions(points=args.points, rtol=args.rtol))
    return {"size": size, "rtol": args.rtol, "fast_seconds": run.wall_time, "steps": run.steps,
            "rejected": run.rejected, "settling_s": run.settling_time(1e-3, until=5.01e-9) - 5e-12}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=["settling", "vteam", "large"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--capacitances", type=float, nargs="+", default=[1e-15, 1e-14, 1e-13])
    parser.add_argument("--size", type=int, default=None, help="vteam: N (default 64); large: N (default 256)")
    parser.add_argument("--points", type=int, default=None, help="output times (default 401; vteam: 1001)")
    parser.add_argument("--edge", type=float, default=2e-11, help="vteam: edge time of the pulses (s)")
    parser.add_argument("--rtol", type=float, default=1e-6, help="large: the fast backend's rtol")
    parser.add_argument("--fast-only", action="store_true", help="vteam: skip ngspice")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    args.size = args.size or (64 if args.part == "vteam" else 256)
    args.points = args.points or (1001 if args.part == "vteam" else 401)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = {"settling": settling, "vteam": vteam, "large": large}[args.part](args)
    result["command"] = shlex.join(["python", *sys.argv])
    result["total_seconds"] = time.perf_counter() - start
    name = f"transient_{args.part}{args.size if args.part == 'vteam' else ''}"
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    text = settling_report(result, args.out) if args.part == "settling" else "\n".join(
        f"- {k}: {v:.4g}" if isinstance(v, float) else f"- {k}: {v}" for k, v in result.items())
    (args.out / f"{name}.md").write_text(f"# Transient: {args.part}\n\n`{result['command']}`\n\n"
                                                         + text + "\n")
    print(text)


if __name__ == "__main__":
    main()
