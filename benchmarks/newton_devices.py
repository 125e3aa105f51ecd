"""Newton's method on nonlinear crossbars: iterations, time, and agreement with ngspice, side by side.

For each array size and nonlinear device model (default parameters, devices 1–100 µS, inputs
0–0.5 V, 2.5 Ω word- and bit-line segments), one input vector is solved by

- the fast backend's linear solve with ohmic devices of the same G (the cost of one step),
- Newton's method (iterations = Jacobian factorisations after the linear start),
- ngspice (``.op`` with B-sources), and the largest relative difference of the output currents.

Writes a Markdown table and a JSON record to the output folder. Run from the repository root:

    .venv/bin/python benchmarks/newton_devices.py --sizes 64 256 --out out
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import memxbar
from memxbar.compare import relative_errors
from memxbar.generate import random_conductances, random_inputs
from memxbar.solver.direct import solve_linear
from memxbar.solver.newton import newton_solve, solve_newton
from memxbar.spice.backend import solve_spice

MODELS = ("sinh", "power-law", "poole-frenkel")
SEGMENT = 2.5


def measure(size: int, model: str, spice: bool) -> dict[str, object]:
    """Time one solve of each kind for one size and model."""
    g = random_conductances(size, size, 1e-6, 1e-4, 0)
    v = random_inputs(size, 1, 0.5, 0)[:, 0]
    ohmic = memxbar.Crossbar(g, r_wl=SEGMENT, r_bl=SEGMENT)
    xbar = memxbar.Crossbar(g, r_wl=SEGMENT, r_bl=SEGMENT, device=model)
    linear = solve_linear(ohmic, v).wall_time
    start = time.perf_counter()
    result = newton_solve(xbar, v[:, None], batched=False)
    newton_seconds = time.perf_counter() - start
    fast = solve_newton(xbar, v)
    row: dict[str, object] = {
        "size": size,
        "model": repr(xbar.device),
        "newton_iterations": int(result.iterations[0]),
        "newton_seconds": newton_seconds,
        "linear_seconds": linear,
        "newton_over_linear": newton_seconds / linear,
        "final_relative_kcl_residual": float(result.residual[0]),
    }
    if spice:
        reference = solve_spice(xbar, v)
        row["spice_seconds"] = reference.wall_time
        row["spice_over_newton"] = reference.wall_time / newton_seconds
        row["max_rel_error_vs_spice"] = float(relative_errors(fast.output_currents, reference.output_currents).max())
    return row


def table(rows: list[dict[str, object]]) -> str:
    """The rows as a Markdown table."""
    columns = [
        ("size", "{}"),
        ("model", "{}"),
        ("newton_iterations", "{}"),
        ("newton_seconds", "{:.3f}"),
        ("linear_seconds", "{:.3f}"),
        ("newton_over_linear", "{:.1f}"),
        ("spice_seconds", "{:.2f}"),
        ("spice_over_newton", "{:.1f}"),
        ("max_rel_error_vs_spice", "{:.2e}"),
    ]
    lines = ["| " + " | ".join(name for name, _ in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [fmt.format(row[name]) if name in row else "–" for name, fmt in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256], help="array sizes M = N")
    parser.add_argument("--no-spice", action="store_true", help="skip the ngspice runs")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the table and JSON record")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [measure(size, model, not args.no_spice) for size in args.sizes for model in MODELS]
    load = os.getloadavg()
    text = table(rows) + f"\nLoad average at the end (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}\n"
    (args.out / "newton_devices.md").write_text(text)
    (args.out / "newton_devices.json").write_text(json.dumps({"rows": rows, "load_average": load}, indent=2) + "\n")
    print(text, end="")


if __name__ == "__main__":
    main()
