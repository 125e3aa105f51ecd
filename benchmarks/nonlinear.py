"""Batched nonlinear solves, side by side in one run: memxbar (batched and per-vector Newton) and CrossSim 3.2.0.

Problem (issue 13): square arrays of power-law devices (n = 2.9, V_ref = 0.25 V; Joksas et al.
2022), conductances uniform in 1–100 µS, 2.5 Ω word- and bit-line segments, ideal drivers and
sense amplifiers, inputs uniform in [0, 0.3] V (fixed seeds). For each size and batch:

- **memxbar batched**: ``memxbar.simulate(xbar, v, outputs_only=True)``: batched Newton in line
  form (``memxbar.solver.line_newton``: word-line voltages eliminated exactly per vector, conjugate
  gradients on the bit lines; every vector to a relative KCL residual of 1e-10) in blocks of a few
  vectors, so its time is linear in the batch; batches above ``--memxbar-max`` vectors are timed
  on that many and scaled (marked "est.").
- **memxbar per vector**: ``newton_solve(xbar, v[:, [k]], batched=False)`` one vector at a time:
  Newton with one sparse factorisation per iteration, as memxbar solved every vector before
  issue 13; timed on ``--sample`` vectors and scaled to the batch (marked "est.").
- **CrossSim 3.2.0** (Sandia, BSD-3; installed from its source into this venv): its
  ``NoninterleavedInputSourceArray.iterative_solve`` (relaxed fixed point on the device
  voltages, vectorised over the batch) with the same power law as its nonlinear device hook,
  ``Verr_th_mvm`` = 1e-9 V, ``relaxation_gamma`` = 0.9, its default of 100 iterations per attempt
  (it lowers gamma by 2 % and tries again when an attempt fails), in chunks of memory-bounded size.
  Batches above ``--crosssim-max`` vectors are timed on that many and scaled (marked "est.").

Accuracy: the largest element-wise relative error of the output currents against ngspice on the
first ``--spice-vectors`` vectors (ngspice 46, KLU, reltol 1e-9), for memxbar and CrossSim.

Run from the repository root in the benchmark venv (see benchmarks/README.md):

    .venv-bench/bin/python benchmarks/nonlinear.py            # writes benchmarks/results/nonlinear.{md,json}
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import memxbar
from memxbar.compare import relative_errors
from memxbar.devices import get_model
from memxbar.solver.newton import newton_solve

CASES = ((64, 200), (64, 10_000), (128, 200), (128, 10_000), (256, 1_000))
SEGMENT = 2.5
V_MAX = 0.3


def problem(size: int, batch: int) -> tuple[memxbar.Crossbar, np.ndarray]:
    """The crossbar and inputs of one case."""
    rng = np.random.default_rng(size)
    g = rng.uniform(1e-6, 1e-4, (size, size))
    xbar = memxbar.Crossbar(g, r_wl=SEGMENT, r_bl=SEGMENT, device=get_model("power-law", n=2.9, vref=0.25))
    return xbar, np.random.default_rng(batch).uniform(0.0, V_MAX, (size, batch))


class CrossSim:
    """CrossSim's parasitic array solver with memxbar's device model as its nonlinear I–V hook.

    CrossSim works in normalised units: conductances divided by G_max, resistances multiplied by
    it; the hook returns I(V; G)/G_max for the normalised matrix. Its matrix is (outputs, inputs),
    Gᵀ; its input line (row) is the word line, driven at one end with a segment before the first
    device, and its output line ends in one segment after the last device: memxbar's circuit.
    """

    def __init__(self, xbar: memxbar.Crossbar) -> None:
        from simulator.backend import ComputeBackend
        from simulator.circuits.array.NonInterleaved_InputSource import NoninterleavedInputSourceArray
        from simulator.parameters.core_parameters import CoreStyle

        ComputeBackend(use_gpu=False)  # NumPy

        self.g_max = float(xbar.conductances.max())
        model = xbar.device
        g_max = self.g_max
        hook = SimpleNamespace(nonlinear_current=lambda g_norm, v: model.current(v, g_norm * g_max) / g_max)
        parasitics = SimpleNamespace(Rp_row_norm=SEGMENT * g_max, Rp_col_norm=SEGMENT * g_max,
                                     Rp_row_terminal_norm=0.0, Rp_col_terminal_norm=0.0)
        params = SimpleNamespace(
            xbar=SimpleNamespace(array=SimpleNamespace(parasitics=parasitics),
                                 device=SimpleNamespace(nonlinear_IV=SimpleNamespace(enable=True))),
            simulation=SimpleNamespace(fast_matmul=True, Niters_max_parasitics=100, Verr_th_mvm=1e-9,
                                       hide_convergence_msg=True, Verr_matmul_criterion="max_max",
                                       relaxation_gamma=0.9, fast_nonlinear_IV=False),
            core=SimpleNamespace(style=CoreStyle.OFFSET, balanced=SimpleNamespace(interleaved_posneg=False)),
        )
        self.array = NoninterleavedInputSourceArray(params, device=hook)
        self.matrix = np.ascontiguousarray(xbar.conductances.T / g_max)
        self.chunk = max(1, min(1000, 2**22 // xbar.conductances.size))

    def outputs(self, v: np.ndarray) -> np.ndarray:
        """(N, B) output currents (A) for inputs v (M, B)."""
        parts = [self.array.iterative_solve(self.matrix, v[:, k:k + self.chunk]) for k in range(0, v.shape[1],
                                                                                                self.chunk)]
        return np.concatenate(parts, axis=1) * self.g_max


def timed(function, *args):
    start = time.perf_counter()
    out = function(*args)
    return time.perf_counter() - start, out


def run_case(size: int, batch: int, args: argparse.Namespace) -> dict[str, object]:
    xbar, v = problem(size, batch)
    scale = (64 / size) ** 2  # vectors timed shrink with the array, keeping each case's time bounded
    memxbar.simulate(xbar, v[:, :8], outputs_only=True)  # warm-up: caches, libraries
    mx_measured = min(batch, max(1, int(args.memxbar_max * scale)))
    batched_s, batched = timed(lambda: memxbar.simulate(xbar, v[:, :mx_measured], outputs_only=True))
    batched_s *= batch / mx_measured
    sample = min(args.sample, batch)
    single_s, _ = timed(lambda: [newton_solve(xbar, v[:, [k]], batched=False) for k in range(sample)])
    per_vector = single_s / sample * batch
    crosssim = CrossSim(xbar)
    crosssim.outputs(v[:, :2])
    measured = min(batch, max(1, int(args.crosssim_max * scale)))
    cs_s, cs_out = timed(crosssim.outputs, v[:, :measured])
    cs_total = cs_s / measured * batch
    k = min(args.spice_vectors, batch)
    spice = memxbar.simulate(xbar, v[:, :k], "spice").output_currents
    row = {
        "size": size,
        "batch": batch,
        "memxbar_batched_s": batched_s,
        "memxbar_estimated": mx_measured < batch,
        "memxbar_per_vector_s": per_vector,
        "per_vector_estimated": sample < batch,
        "crosssim_s": cs_total,
        "crosssim_estimated": measured < batch,
        "crosssim_over_memxbar": cs_total / batched_s,
        "per_vector_over_batched": per_vector / batched_s,
        "memxbar_max_kcl_residual": float(np.max(batched.kcl_residual)),
        "memxbar_rel_error_vs_ngspice": float(relative_errors(batched.output_currents[:, :k], spice).max()),
        "crosssim_rel_error_vs_ngspice": float(relative_errors(cs_out[:, :k], spice).max()),
        "spice_vectors": k,
    }
    print(json.dumps(row), flush=True)
    return row


def table(rows: list[dict[str, object]]) -> str:
    est = " (est.)"
    lines = [
        "| array | inputs | memxbar batched (s) | memxbar per vector (s) | CrossSim 3.2.0 (s) | CrossSim / memxbar "
        "| per vector / batched | error vs ngspice: memxbar | CrossSim |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']}×{r['size']} | {r['batch']} | {r['memxbar_batched_s']:.3g}"
            f"{est if r['memxbar_estimated'] else ''} "
            f"| {r['memxbar_per_vector_s']:.3g}{est if r['per_vector_estimated'] else ''} "
            f"| {r['crosssim_s']:.3g}{est if r['crosssim_estimated'] else ''} | {r['crosssim_over_memxbar']:.2f}× "
            f"| {r['per_vector_over_batched']:.1f}× | {r['memxbar_rel_error_vs_ngspice']:.1e} "
            f"| {r['crosssim_rel_error_vs_ngspice']:.1e} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--sample", type=int, default=10, help="vectors timed one by one (per-vector Newton)")
    parser.add_argument("--crosssim-max", type=int, default=200,
                        help="most vectors CrossSim is timed on at 64×64 (scaled by (64/size)² for larger arrays)")
    parser.add_argument("--memxbar-max", type=int, default=2000,
                        help="most vectors memxbar's batched method is timed on at 64×64 (scaled likewise)")
    parser.add_argument("--spice-vectors", type=int, default=2, help="vectors checked against ngspice")
    parser.add_argument("--cases", nargs="*", default=None, help="size:batch pairs, e.g. 64:200")
    args = parser.parse_args()
    cases = [tuple(map(int, c.split(":"))) for c in args.cases] if args.cases else CASES
    rows = [run_case(size, batch, args) for size, batch in cases]
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
            "threads": os.environ.get("OMP_NUM_THREADS", "default")}
    (args.out / "nonlinear.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    text = (f"# Batched nonlinear solves: memxbar vs CrossSim 3.2.0\n\n{__doc__.split(chr(10) + chr(10), 1)[1]}\n"
            f"Machine: {meta['machine']} (shared; timings ±30 % or worse), OMP_NUM_THREADS={meta['threads']}.\n\n"
            f"{table(rows)}\n")
    (args.out / "nonlinear.md").write_text(text)
    print(table(rows))


if __name__ == "__main__":
    main()
