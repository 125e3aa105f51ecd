"""The compiled Verilog-A path (OSDI) against the built-in path (NumPy / ngspice B-sources), side by side.

For each array size, the sinh device (default V0 = 0.25 V, devices 1–100 µS, inputs 0–0.5 V,
1 Ω word- and bit-line segments, one input vector) is solved four ways:

- fast backend, NumPy model (``--device sinh``) and compiled model (``device_models/sinh.va``
  through ctypes, :mod:`memxbar.osdi.library`);
- spice backend, B-source cards and OSDI instance cards (``N`` cards, one ``.model``).

Each is timed ``--repeat`` times (wall time of ``simulate``, model compiled and cached before);
the median is reported, with the largest relative difference of the output currents between the
OSDI and the built-in path of the same backend. Writes a Markdown table and a JSON record. Run
from the repository root:

    .venv/bin/python benchmarks/osdi_vs_bsource.py --sizes 64 128 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

import memxbar
from memxbar.compare import relative_errors
from memxbar.devices.base import VERILOG_A_DIRECTORY
from memxbar.devices.verilog_a import from_verilog_a
from memxbar.generate import random_conductances, random_inputs
from memxbar.simulate import simulate

SEGMENT = 1.0


def timed(crossbar: memxbar.Crossbar, v: np.ndarray, backend: str, repeat: int) -> tuple[float, np.ndarray]:
    """Median wall time (s) of ``repeat`` solves, and the output currents."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = simulate(crossbar, v, backend=backend).output_currents
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def measure(size: int, repeat: int) -> dict[str, object]:
    """All four solves of one size."""
    g = random_conductances(size, size, 1e-6, 1e-4, 0)
    v = random_inputs(size, 1, 0.5, 0)[:, 0]
    numpy_model = memxbar.Crossbar(g, r_wl=SEGMENT, r_bl=SEGMENT, device="sinh")
    osdi_model = memxbar.Crossbar(g, r_wl=SEGMENT, r_bl=SEGMENT, device=from_verilog_a(VERILOG_A_DIRECTORY / "sinh.va"))
    row: dict[str, object] = {"size": size}
    for backend in ("fast", "spice"):
        builtin, i_builtin = timed(numpy_model, v, backend, repeat)
        osdi, i_osdi = timed(osdi_model, v, backend, repeat)
        row[f"{backend}_builtin_seconds"] = builtin
        row[f"{backend}_osdi_seconds"] = osdi
        row[f"{backend}_osdi_over_builtin"] = osdi / builtin
        row[f"{backend}_max_rel_difference"] = float(relative_errors(i_osdi, i_builtin).max())
    return row


def table(rows: list[dict[str, object]]) -> str:
    """The rows as a Markdown table."""
    header = ("| size | fast NumPy (s) | fast OSDI (s) | ratio | diff | ngspice B-source (s) | ngspice OSDI (s) "
              "| ratio | diff |\n|---|---|---|---|---|---|---|---|---|\n")
    lines = [
        f"| {r['size']}×{r['size']} | {r['fast_builtin_seconds']:.3f} | {r['fast_osdi_seconds']:.3f} | "
        f"{r['fast_osdi_over_builtin']:.1f} | {r['fast_max_rel_difference']:.1e} | "
        f"{r['spice_builtin_seconds']:.2f} | {r['spice_osdi_seconds']:.2f} | {r['spice_osdi_over_builtin']:.2f} | "
        f"{r['spice_max_rel_difference']:.1e} |"
        for r in rows
    ]
    return header + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    rows = [measure(size, args.repeat) for size in args.sizes]
    args.out.mkdir(parents=True, exist_ok=True)
    text = ("Compiled Verilog-A (OSDI) vs built-in sinh device, median of "
            f"{args.repeat} runs (wall time of simulate)\n\n" + table(rows))
    (args.out / "osdi_vs_bsource.md").write_text(text)
    (args.out / "osdi_vs_bsource.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
