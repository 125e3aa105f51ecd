"""Timing memxbar against badcrossbar, CrossSim and its own ngspice backend on one problem.

The engine of ``memxbar bench`` and of ``benchmarks/run.py``: the same random problem
(devices uniform in 1–100 µS, inputs uniform in 0–0.5 V, equal word- and bit-line segment
resistances) is solved by each tool after a small warm-up solve, so that loading libraries
is not timed; the timed span is the solve alone.
"""

from __future__ import annotations

import gc
import importlib.util
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from memxbar.build import build
from memxbar.crossbar import Crossbar
from memxbar.errors import InputError

G_MIN, G_MAX, V_MAX, SEED = 1e-6, 1e-4, 0.5, 2026
"""Device range (S), largest input (V) and seed of the benchmark problems."""

TOOLS: dict[str, str] = {
    "memxbar direct": "memxbar fast backend, all node voltages by sparse factorisation (method='direct')",
    "memxbar full": "memxbar fast backend, all node voltages, method chosen automatically (tol 1e-9)",
    "memxbar outputs": "memxbar fast backend, outputs only, method chosen automatically (tol 1e-9)",
    "memxbar weights": "memxbar fast backend, outputs only by effective weights (method='weights')",
    "memxbar iterative": "memxbar fast backend, outputs only by conjugate gradients (method='iterative', tol 1e-9)",
    "badcrossbar": "badcrossbar 1.1.0 compute(): everything for one input vector, outputs only "
                   "(node_voltages=False, all_currents=False) for a batch",
    "badcrossbar full": "badcrossbar 1.1.0 compute() as called by default: every current and node voltage",
    "ngspice": "memxbar ngspice backend, all node voltages (netlist → libngspice .op with KLU → read back)",
    "crosssim": "CrossSim 3.2.0's parasitic-resistance array solver (NoninterleavedInputSourceArray, relaxed "
                "fixed-point iteration, vectorised over the batch), outputs only, stopping at a line-voltage "
                "error of 1e-9 V, relaxation min(0.9, 2/(2 + IR-drop index))",
    "aihwkit": "aihwkit 1.1.0's analog tile with its time-sliced IR-drop model (TorchInferenceRPUConfigIRDropT): "
               "bit-line resistance only, PWM inputs (its default 7-bit resolution), one Thevenin ladder per bit "
               "line, noise and converters off; an approximate model, so its error is the model's",
}
"""Tool name → what it runs."""

TOL = 1e-9
"""Relative error memxbar's iterative solves are asked for: the benchmark's accuracy, that of
CrossSim at :data:`CROSSSIM_TOL` (direct solves are exact to rounding whatever it is)."""

_OPTIONS: dict[str, dict[str, object]] = {
    "memxbar direct": {"method": "direct"},
    "memxbar full": {"tol": TOL},
    "memxbar outputs": {"outputs_only": True, "tol": TOL},
    "memxbar weights": {"outputs_only": True, "method": "weights"},
    "memxbar iterative": {"outputs_only": True, "method": "iterative", "tol": TOL},
    "ngspice": {"backend": "spice"},
}


@dataclass(frozen=True, eq=False)
class Timing:
    """One tool's solve of one problem."""

    tool: str
    """Tool name (a key of :data:`TOOLS`)."""
    seconds: float
    """Wall time of the solve alone, in seconds (s)."""
    currents: np.ndarray
    """(N, B) output currents in amperes (A)."""
    method: str | None
    """Method the memxbar fast backend used, else None."""
    phases: dict[str, float] | None
    """The ngspice backend's time per phase, in seconds (s), else None."""


def problem(rows: int, cols: int, batch: int, r_line: float) -> tuple[Crossbar, np.ndarray]:
    """The benchmark crossbar and its (M, B) input voltages (V)."""
    if not (np.isfinite(r_line) and r_line >= 0):
        raise InputError(f"r_line must be a line-segment resistance >= 0 Ω, got {r_line}")
    problem = build({"rows": rows, "cols": cols, "g_min": G_MIN, "g_max": G_MAX, "seed": SEED, "r_wl": r_line,
                     "r_bl": r_line, "v_max": V_MAX, "batch": batch})
    return problem.crossbar, problem.voltages.reshape(rows, batch)


CROSSSIM_TOL = 1e-9
"""CrossSim's stopping threshold ``Verr_th_mvm`` (V): the largest inconsistency between device
voltages and line drops at which its iteration stops; gives output currents within about 1e-9
relative of the exact solution on the benchmark problems."""

CROSSSIM_GAMMA = 0.9
"""CrossSim's relaxation parameter ``relaxation_gamma`` where the IR drop is small; CrossSim
lowers it by 2 % and starts again whenever its iteration diverges, which at 0.9 it does from an
IR-drop index σ of about 1 (measured: 128×128 at 2.5 Ω, σ = 2.1, took 464 s of retries; 256×256
at 1 Ω, σ = 3.3, had not finished after 200 s, and took 1.5 s at 0.5). Each problem is therefore
given min(0.9, 2/(2 + σ)) (:func:`crosssim_gamma`)."""

CROSSSIM_MAX_ITERATIONS = 20_000
"""CrossSim's iteration limit ``Niters_max_parasitics`` per attempt (its default, 100, stops far
short of 1e-9 on large arrays)."""

CROSSSIM_HOW = ("CrossSim is not installed: it is not on PyPI; get its public source (Sandia National "
                "Laboratories, BSD-3, version 3.2.0) and run make bench CROSSSIM_SRC=/path/to/crosssim-src "
                "(a folder or .tar.gz holding pyproject.toml and simulator/)")
"""How to get CrossSim, for the message of a benchmark that skips it."""


def crosssim_gamma(crossbar: Crossbar) -> float:
    """CrossSim's relaxation for ``crossbar``: min(:data:`CROSSSIM_GAMMA`, 2/(2 + σ)), σ its
    IR-drop index (:func:`memxbar.solver.direct.ir_drop_index`).

    CrossSim's update dV ← (1 − γ)·dV + γ·(V − K·dV) (K: device voltages to line drops)
    converges for γ < 2/(1 + λ_max(K)), fastest near 2/(2 + λ_max + λ_min); λ_max is of the order
    of σ, so 2/(2 + σ) keeps it convergent without its divergence-and-retry.
    """
    from memxbar.solver.direct import ir_drop_index

    return min(CROSSSIM_GAMMA, 2.0 / (2.0 + ir_drop_index(crossbar)))


def crosssim_available() -> bool:
    """Whether CrossSim's ``simulator`` package is installed (a benchmark-only dependency)."""
    if importlib.util.find_spec("simulator") is None:
        return False
    return importlib.util.find_spec("simulator.circuits.array") is not None


def _crosssim(crossbar: Crossbar, voltages: np.ndarray) -> tuple[float, np.ndarray]:
    """CrossSim's array solver on the same circuit.

    Conventions (CrossSim 3.2.0, ``NoninterleavedInputSourceArray.solve_mvm`` with ``row_in``):
    the matrix is (outputs, inputs) = Gᵀ; each input line is driven at its first device through
    one segment ``Rp_row`` and each summation line ends one segment ``Rp_col`` after its last
    device, at a virtual ground: the same circuit as memxbar's (and badcrossbar's). CrossSim
    normalises resistances by ``Rmin`` and conductances by 1/``Rmin``; with ``Rmin`` = 1 Ω the
    matrix is in siemens, the segments in ohms and the currents in amperes.
    """
    from simulator import CrossSimParameters
    from simulator.backend import ComputeBackend
    from simulator.circuits.array import NoninterleavedInputSourceArray

    ComputeBackend(use_gpu=False)
    r_line = float(crossbar.r_wl.flat[0])
    params = CrossSimParameters()
    params.xbar.device.Rmin = 1.0
    params.xbar.array.parasitics.enable = True
    params.xbar.array.parasitics.Rp_row = r_line
    params.xbar.array.parasitics.Rp_col = r_line
    params.simulation.Verr_th_mvm = CROSSSIM_TOL
    params.simulation.relaxation_gamma = crosssim_gamma(crossbar)
    params.simulation.Niters_max_parasitics = CROSSSIM_MAX_ITERATIONS
    params.simulation.hide_convergence_msg = True
    matrix = np.ascontiguousarray(crossbar.conductances.T)
    vector = voltages[:, 0] if voltages.shape[1] == 1 else voltages
    start = time.perf_counter()
    array = NoninterleavedInputSourceArray(params)
    currents = np.asarray(array.iterative_solve(matrix, vector))
    seconds = time.perf_counter() - start
    return seconds, currents.reshape(crossbar.cols, voltages.shape[1])


AIHWKIT_HOW = ("aihwkit is not installed: make bench installs aihwkit 1.1.0 (its CPython 3.11 wheel, beside the "
               "CPU build torch==2.13.0) into .venv-bench; 1.2.0 on PyPI is source only and does not build here")
"""How to get aihwkit, for the message of a benchmark that skips it."""


def aihwkit_available() -> bool:
    """Whether aihwkit is installed (a benchmark-only dependency)."""
    return importlib.util.find_spec("aihwkit") is not None


def _aihwkit(crossbar: Crossbar, voltages: np.ndarray) -> tuple[float, np.ndarray]:
    """aihwkit's analog tile with its IR-drop model on the same conductances and inputs.

    Conventions (aihwkit 1.1.0, ``TorchInferenceRPUConfigIRDropT``): the weights are
    Gᵀ/max(G), programmed by ``SinglePairConductanceConverter(g_max = max(G) in µS, g_min = 0)``,
    so the positive devices have exactly the conductances G and the negative ones are open; the
    inputs x = V/:data:`V_MAX` ∈ [0, 1] become pulse widths at its read voltage, and the outputs
    y (weight units) are I = y·max(G)·V_MAX in amperes (exact without IR drop, up to its 7-bit
    input resolution and float32: 1.7e-3 at 64×64). Its IR-drop model has no word-line
    resistance; each bit line is a ladder of ``ir_drop_rs`` = r Ω per cell (half a segment to the
    converter), one segment per row (``ir_drop_segments`` = M), even bit lines read at the
    bottom and odd ones at the top (its symmetric tile). Output noise, output resolution and
    bounds, noise and bound management and ADC quantisation are off; the timed span is the
    forward pass of a tile already programmed.
    """
    import torch
    from aihwkit.inference.converter.conductance import SinglePairConductanceConverter
    from aihwkit.nn import AnalogLinear
    from aihwkit.simulator.configs import TorchInferenceRPUConfigIRDropT
    from aihwkit.simulator.parameters.enums import BoundManagementType, NoiseManagementType

    m, n = crossbar.shape
    g = np.asarray(crossbar.conductances, dtype=np.float64)
    g_max = float(g.max())
    config = TorchInferenceRPUConfigIRDropT()
    forward = config.forward
    forward.out_noise, forward.inp_noise, forward.out_res, forward.out_bound = 0.0, 0.0, -1, -1
    forward.bound_management, forward.noise_management = BoundManagementType.NONE, NoiseManagementType.NONE
    forward.ir_drop, forward.ir_drop_rs, forward.ir_drop_segments = 1.0, float(crossbar.r_bl.flat[0]), m
    forward.adc_quantization = False
    config.mapping.max_input_size, config.mapping.max_output_size = m, n
    config.noise_model.g_converter = SinglePairConductanceConverter(g_max=g_max * 1e6, g_min=0.0)
    torch.set_num_threads(1)
    layer = AnalogLinear(m, n, bias=False, rpu_config=config)
    layer.set_weights(torch.tensor(g.T / g_max, dtype=torch.float32))
    layer.eval()
    x = torch.tensor((voltages / V_MAX).T, dtype=torch.float32)
    start = time.perf_counter()
    with torch.no_grad():
        y = layer(x)
    seconds = time.perf_counter() - start
    return seconds, y.numpy().astype(np.float64).T * g_max * V_MAX


def badcrossbar_available() -> bool:
    """Whether badcrossbar is installed (a benchmark-only dependency)."""
    return importlib.util.find_spec("badcrossbar") is not None


def _badcrossbar(crossbar: Crossbar, voltages: np.ndarray, everything: bool) -> tuple[float, np.ndarray]:
    import logging
    import warnings

    # Its plotting needs cairo, unused here; it turns its ImportWarning on itself, so the warning
    # is recorded and dropped rather than filtered.
    with warnings.catch_warnings(record=True):
        import badcrossbar

    logging.getLogger("badcrossbar").setLevel(logging.WARNING)
    r_line = float(crossbar.r_wl.flat[0])
    start = time.perf_counter()
    result = badcrossbar.compute(voltages, 1.0 / crossbar.conductances, r_i=r_line, node_voltages=everything,
                                 all_currents=everything)
    seconds = time.perf_counter() - start
    return seconds, np.asarray(result.currents.output).reshape(voltages.shape[1], crossbar.cols).T


@contextmanager
def _no_collection() -> Iterator[None]:
    """Python's cyclic garbage collector collected before, and off during, a timed solve (as ``timeit``
    does): a collection of everything the imports left (numba's compiler, PyTorch) takes milliseconds
    and would land in whichever tool's timed span it happens to hit."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def time_tool(tool: str, crossbar: Crossbar, voltages: np.ndarray) -> Timing:
    """Solve ``crossbar`` for (M, B) ``voltages`` with ``tool`` after a 4×4 warm-up; time the solve.

    Raises:
        InputError: If ``tool`` is unknown, or badcrossbar, CrossSim or aihwkit is asked for but not installed.
    """
    if tool not in TOOLS:
        raise InputError(f"tool must be one of {', '.join(map(repr, TOOLS))}, got {tool!r}")
    if tool.startswith("badcrossbar") and not badcrossbar_available():
        raise InputError("tool 'badcrossbar' is not installed: pip install --no-deps badcrossbar==1.1.0 && pip install "
                         "pathvalidate sigfig")
    if tool == "crosssim" and not crosssim_available():
        raise InputError(CROSSSIM_HOW)
    if tool == "aihwkit" and not aihwkit_available():
        raise InputError(AIHWKIT_HOW)
    from memxbar.simulate import simulate
    from memxbar.solver.linalg import load_pardiso

    warm, warm_v = problem(4, 4, 2, 1.0)
    if tool == "crosssim":
        _crosssim(warm, warm_v)
        with _no_collection():
            seconds, currents = _crosssim(crossbar, voltages)
        return Timing(tool, seconds, currents, None, None)
    if tool == "aihwkit":
        _aihwkit(warm, warm_v)
        with _no_collection():
            seconds, currents = _aihwkit(crossbar, voltages)
        return Timing(tool, seconds, currents, None, None)
    if tool.startswith("badcrossbar"):
        everything = tool == "badcrossbar full" or voltages.shape[1] == 1
        _badcrossbar(warm, warm_v, everything)
        with _no_collection():
            seconds, currents = _badcrossbar(crossbar, voltages, everything)
        return Timing(tool, seconds, currents, None, None)
    options = _OPTIONS[tool]
    if tool != "ngspice":
        load_pardiso()  # library loading, like imports, is not the solve's time
        # The warm-up takes the path the timed solve will take (the tiny problem alone would be factorised).
        from memxbar.solver.direct import choose_method

        chosen = options.get("method") or choose_method(crossbar, voltages.shape[1], bool(options.get("outputs_only")))
        simulate(warm, warm_v, **{**options, "method": chosen})
    else:
        simulate(warm, warm_v, **options)
    with _no_collection():
        start = time.perf_counter()
        solution = simulate(crossbar, voltages, **options)
        seconds = time.perf_counter() - start
    return Timing(tool, seconds, np.asarray(solution.output_currents), solution.method, solution.phase_times)
