"""The fast backend: exact solution of a linear crossbar by sparse nodal analysis.

Three methods share one assembled system (:class:`CrossbarSystem`):

- ``"direct"``: factorise the nodal matrix once (nested-dissection order) and solve the
  input vectors in chunks, keeping memory bounded; gives every node voltage (full
  solutions of small batches refined by one step of iterative refinement).
- ``"weights"``: port (Kron) reduction. The N×M effective-weight matrix T with
  I_out = T·V (and the M×M input admittance) cost one partial factorisation with PARDISO,
  else M solves, after which each input vector is one small matrix product: the choice
  for outputs of large batches.
- ``"iterative"``: conjugate gradients preconditioned by line solves
  (:mod:`memxbar.solver.iterative`), for arrays whose factor would not fit in memory.

``"auto"`` picks by size and by what was asked (:func:`choose_method`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, partial

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.bias import Bias, make_bias
from memxbar.circuit.compile import Circuit, compile_circuit, compiler
from memxbar.crossbar import Crossbar
from memxbar.errors import ConvergenceError, InputError
from memxbar.solution import Solution, assemble_solution, terminal_currents
from memxbar.solver import lines
from memxbar.solver.accuracy import KclCheck, accuracy_hint, check, warn_if_inaccurate
from memxbar.solver.iterative import CG_REMEDY, DEFAULT_MAXITER, DEFAULT_TOL, solve_cg
from memxbar.solver.linalg import Factorization, factorize, pardiso_available, pardiso_worthwhile, reduced_couplings
from memxbar.solver.nodal import NodalPattern
from memxbar.solver.options import FastOptions
from memxbar.solver.ports import PortMap, port_map, source_map
from memxbar.solver.threads import PARALLEL_WORK_FROM, cores, limited_threads, run_parallel

CHUNK_BYTES = 256 * 2**20
"""Largest block of right-hand sides solved at once, in bytes of node voltages."""

MAX_CHUNK = 128
"""Most right-hand sides solved at once."""

CHECK_SAMPLE = 8
"""Vectors of each chunk of a full direct solution whose KCL accuracy is checked while solving (the rest when
:attr:`~memxbar.solution.Solution.kcl_residual` is first read): the check costs about a quarter of a direct solve
of a 256×256 batch, measured."""

REFINE_UP_TO = 8
"""Full direct solutions of batches up to this size get one step of iterative refinement
(one more solve per vector); it brings node voltages to the last bit, e.g. exactly V along a
word line whose devices are all open. Larger batches, where it would double the time, keep the
factorisation's own accuracy (about 1e-15 relative)."""


def factor_bytes(n: int) -> float:
    """Rough memory (bytes) of the sparse factor of an n-node crossbar in nested-dissection order.

    The factor of a grid-like graph has O(n log n) entries (George 1973); about
    1.5·n·log2(n) were measured here for square crossbars. SuperLU keeps L and U, both
    with indices; PARDISO one supernodal factor.
    """
    entries = 1.5 * n * math.log2(max(n, 2))
    return entries * (8 if pardiso_available() else 24)


@cache
def memory_budget() -> float:
    """Bytes a factor may use: half of this machine's physical memory (read once)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


ITERATIVE_FROM = 2**21
"""Unknown node voltages (about a 1024×1024 array) from which single input vectors are solved
iteratively by ``"auto"``: conjugate gradients then take less time and a third of the memory
of a factorisation (measured: 1024×1024 3.5 s and 0.8 GiB against 5 s and 1.7 GiB;
2048×2048 23 s and 2.7 GiB)."""

ITERATIVE_BATCH = 2
"""Largest batch ``"auto"`` solves iteratively when a factorisation fits in memory."""

WEIGHTS_BATCH = 48
"""Batch from which ``"auto"`` gives outputs by the effective weights when they come from one
partial factorisation (PARDISO); measured break-even against direct solves: about 50 vectors at
256×256 (0.58 s against 0.66 s at 60), about 40 at 512×512. Without PARDISO the weights cost M
solves, and are chosen from a batch of M."""


CG_SECONDS_PER_BLOCK = 1.5e-4
"""Cost model of the line solver (:mod:`memxbar.solver.lines`): fixed time per block of vectors
(set-up, the residual check, Python), measured on this project's 2-core development machine."""

CG_SECONDS_PER_DEVICE = 1.2e-8
"""Cost model of the line solver: time of one CG iteration per device and input vector (s), for
arrays whose vectors fit in the processor's caches; measured with the compiled kernels
(:mod:`memxbar.solver.line_kernels`): 11–18 ns per device and iteration from 64×64 to 256×256."""

CG_LARGE_DEVICES = 2**17
"""Devices from which a vector's arrays (seven (M, N) float64 arrays) no longer fit in cache."""

CG_SECONDS_PER_DEVICE_LARGE = 1.4e-8
"""Cost model of the line solver from :data:`CG_LARGE_DEVICES` devices, per thread (measured with the
fused kernels in the benchmark's fresh processes, 100 vectors on two threads: 11 ns at 512×512, 14 ns at
1024×1024; before them 22 and 28 ns)."""

DIRECT_SECONDS_PER_UNKNOWN = 2.1e-6
"""Cost model of a factorisation in nested-dissection order: time per unknown (s); measured
64×64 17 ms, 256×256 0.33 s, 1024×1024 4 s, i.e. close to linear in this range."""

SOLVE_SECONDS_PER_UNKNOWN = 1e-7
"""Cost model of the direct method: time of one pair of triangular solves per unknown (s)."""

WEIGHTS_SECONDS_PER_UNKNOWN = 6e-6
"""Cost model of the effective weights by partial factorisation: time per unknown (s)."""


def ir_drop_index(crossbar: Crossbar) -> float:
    """σ = mean(G)·(mean(r_wl)·N² + mean(r_bl)·M²)/2: the IR-drop scale of the array
    (dimensionless; a line's largest drop relative to its input is of this order when small).
    It sets CG's iteration count: about 4 + 1.8·√σ iterations to 1e-10 (measured from 64×64
    to 1024×1024, 1 and 2.5 Ω segments, devices 1–100 µS: σ = 0.2 … 132, 5 … 25 iterations)."""
    m, n = crossbar.shape
    devices = m * n  # sums over sizes rather than np.mean: a tenth of the call's overhead
    g = float(crossbar.conductances.sum()) / devices
    return g * (float(crossbar.r_wl.sum()) / devices * n * n + float(crossbar.r_bl.sum()) / devices * m * m) / 2


def line_threads(devices: int, batch: int) -> int:
    """Threads the line solver runs ``batch`` input vectors of an array of ``devices`` devices on: one per
    core (at most one per block of vectors) from :data:`~memxbar.solver.threads.PARALLEL_WORK_FROM` node
    voltages, else one."""
    blocks = -(-batch // lines.block_vectors(devices))
    return min(cores(), blocks) if devices * batch >= PARALLEL_WORK_FROM else 1


def cg_iterations(crossbar: Crossbar) -> float:
    """Expected CG iterations of the line solver to 1e-10, from :func:`ir_drop_index`."""
    return 4.0 + 1.8 * math.sqrt(ir_drop_index(crossbar))


def choose_method(crossbar: Crossbar, batch: int, outputs_only: bool, line_form: bool | None = None) -> str:
    """The method ``"auto"`` stands for, by a cost model.

    Where every line segment has resistance (:func:`memxbar.solver.lines.applicable`), the
    line solver's expected time, a fixed cost per block of vectors plus (iterations
    (:func:`cg_iterations`) + 1) × a cost per device and vector, is set against the direct
    method's (one factorisation, one solve per vector) and, for outputs only of a batch of at
    least :data:`WEIGHTS_BATCH`, the effective weights'; the cheapest wins. Otherwise:
    iterative (sparse CG) when the factor would exceed :func:`memory_budget` or for at most
    :data:`ITERATIVE_BATCH` vectors on at least :data:`ITERATIVE_FROM` unknowns; the effective
    weights for outputs only of a large enough batch (from :data:`WEIGHTS_BATCH` vectors with
    PARDISO, from M without); else direct.

    Args:
        crossbar: The crossbar (linear devices).
        batch: Number of input vectors B.
        outputs_only: Whether only port currents are wanted.
        line_form: Whether the line solver applies (:func:`memxbar.solver.lines.applicable`), if the
            caller knows; None to find out.
    """
    m, n_cols = crossbar.shape
    n = 2 * m * n_cols
    if factor_bytes(n) > memory_budget():
        return "iterative"
    weights = outputs_only and batch >= (min(m, WEIGHTS_BATCH) if pardiso_worthwhile(n) else m)
    if lines.applicable(crossbar) if line_form is None else line_form:
        devices = m * n_cols
        blocks = -(-batch // lines.block_vectors(devices))
        per_device = CG_SECONDS_PER_DEVICE if devices < CG_LARGE_DEVICES else CG_SECONDS_PER_DEVICE_LARGE
        # One iteration more than CG takes: the start and the residual check cost about as much; the blocks
        # are shared among the threads.
        cg = (CG_SECONDS_PER_BLOCK * blocks + (cg_iterations(crossbar) + 1) * per_device * devices * batch) / (
            line_threads(devices, batch))
        direct = n * (DIRECT_SECONDS_PER_UNKNOWN + SOLVE_SECONDS_PER_UNKNOWN * batch)
        other = min(direct, WEIGHTS_SECONDS_PER_UNKNOWN * n) if weights else direct
        if cg <= other:
            return "iterative"
    elif n >= ITERATIVE_FROM and batch <= ITERATIVE_BATCH:
        return "iterative"
    return "weights" if weights else "direct"


def _chunks(total: int, n: int) -> list[slice]:
    size = int(max(1, min(MAX_CHUNK, CHUNK_BYTES // (8 * max(n, 1)))))
    return [slice(k, min(k + size, total)) for k in range(0, total, size)]


@dataclass(frozen=True, eq=False)
class CrossbarSystem:
    """The nodal equations A x = −S u of one linear compiled circuit, with its terminal-current maps."""

    crossbar: Crossbar
    """The crossbar."""
    circuit: Circuit
    """Its compiled circuit (node numbering, elements)."""
    pattern: NodalPattern
    """Sparsity pattern and ordering of its nodal matrices."""
    a: sp.csc_matrix
    """(n, n) nodal matrix of the unknown nodes (S)."""
    s: sp.csc_matrix
    """(n, K) coupling of the unknown nodes to the known ones (S)."""
    ports: PortMap
    """Output and input currents as maps of the node voltages, each by the formula that rounds least
    (:func:`~memxbar.solver.ports.port_map`)."""
    source_ports: PortMap
    """The same currents by Ohm's law at every terminal (:func:`~memxbar.solver.ports.source_map`): sparser,
    and dependent on the devices only through the node voltages (what conjugate gradients watch and the
    adjoint differentiates)."""

    @classmethod
    def build(cls, crossbar: Crossbar, circuit: Circuit | None = None) -> CrossbarSystem:
        """Assemble the system of ``crossbar`` (compiled with every terminal driven unless ``circuit`` is given)."""
        circuit = circuit or compile_circuit(crossbar)
        pattern = NodalPattern(circuit)
        values = pattern.values(pattern.linear_stamps())
        a, s = pattern.matrices(values)
        p, q = pattern.source_maps(values)
        return cls(crossbar, circuit, pattern, a, s, port_map(circuit, p, q), source_map(circuit, p, q))

    @property
    def n(self) -> int:
        """Number of unknown node voltages."""
        return self.circuit.n_unknown

    @cached_property
    def solve(self) -> Factorization:
        """Solver for ``a x = rhs`` from one factorisation, made on first use and kept until :meth:`free`."""
        return factorize(self.a, self.pattern.ordering, positive_definite=True)

    def free(self) -> None:
        """Release the factorisation, if one was made; the next solve factorises again."""
        factor = self.__dict__.pop("solve", None)
        if factor is not None:
            factor.free()

    def node_voltages(self, v: np.ndarray, method: str, tol: float, maxiter: int, refine: bool) -> np.ndarray:
        """(n, B) unknown node voltages for known voltages v (K, B), by ``"direct"`` or ``"iterative"``.

        ``refine`` adds one step of iterative refinement to a direct solve (one more solve),
        which brings node voltages to the last bit, e.g. exactly V on a word line whose
        devices are all open.
        """
        rhs = -(self.s @ v)
        if method == "iterative":
            wl = self.circuit.wl_node
            n_word = int(wl[(wl >= 0) & (wl < self.n)].max(initial=-1)) + 1
            offset = self.source_ports.port_v @ v
            return solve_cg(self.a, rhs, n_word, self.source_ports.port_x, offset, tol, maxiter)
        x = self.solve(rhs)
        return x + self.solve(rhs - self.a @ x) if refine else x

    def _reduced(self, ports_x: sp.csr_matrix, columns: np.ndarray) -> np.ndarray | None:
        """ports_x·A⁻¹·S[:, columns] (port currents per known voltage, S) by one partial factorisation
        (:func:`~memxbar.solver.linalg.reduced_couplings`), where PARDISO is worthwhile; else None."""
        if self.n == 0 or not pardiso_worthwhile(self.n):
            return None
        s = self.s[:, columns]
        couplings = reduced_couplings(self.a, sp.hstack([s, ports_x.T], format="csc"))
        return None if couplings is None else couplings[s.shape[1]:, :s.shape[1]]

    def transfer(self, columns: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Output and input currents per known node voltage: I_out = T·u, I_in = Y·u (S).

        By Kron reduction of the nodal equations to the ports in one partial factorisation where
        PARDISO is worthwhile, else by one solve per column.

        Args:
            columns: Indices of the known nodes whose voltages are wanted (the others are taken as 0 V);
                by default the driven word-line terminals, so T is the (N, M) effective-weight matrix.

        Returns:
            (N_driven, C) T and (M_driven, C) Y for the C columns.
        """
        if columns is None:
            columns = np.arange(int(self.circuit.driven_wl.sum()))
        t = self.ports.out_v[:, columns].toarray()
        y = self.ports.in_v[:, columns].toarray()
        n_out = t.shape[0]
        reduced = self._reduced(self.ports.port_x, columns)
        if reduced is not None:
            return t - reduced[:n_out], y - reduced[n_out:]
        for part in _chunks(columns.size, self.n):
            cols = columns[part]
            x = self.solve(-self.s[:, cols].toarray()) if self.n else np.zeros((0, cols.size))
            t[:, part] += self.ports.out_x @ x
            y[:, part] += self.ports.in_x @ x
        return t, y

    def effective_weights(self) -> np.ndarray:
        """(N, M) effective weights T, I_out = T·V (S), by one partial factorisation where
        PARDISO is worthwhile, else by the cheaper of M or N solves."""
        m, n_cols = self.crossbar.shape
        wl = np.arange(m)
        reduced = self._reduced(self.ports.out_x, wl)
        if reduced is not None:
            return self.ports.out_v[:, wl].toarray() - reduced
        if m <= n_cols or self.n == 0:
            return self.transfer()[0]
        # Adjoint: T = out_v − (A⁻¹ out_xᵀ)ᵀ S, with N solves since A is symmetric.
        t = self.ports.out_v[:, wl].toarray()
        out_x_t = self.ports.out_x.T.tocsc()
        s_wl = self.s[:, wl]
        for rows in _chunks(n_cols, self.n):
            y = self.solve(out_x_t[:, rows].toarray())
            t[rows] -= (s_wl.T @ y).T
        return t


def solve_linear(
    crossbar: Crossbar,
    voltages: np.ndarray | Bias,
    *,
    outputs_only: bool = False,
    method: str = "auto",
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
    circuit: Circuit | None = None,
) -> Solution:
    """Solve a crossbar of ohmic devices exactly by sparse nodal analysis.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V), or the full terminal conditions (a
            :class:`~memxbar.circuit.bias.Bias`).
        outputs_only: Keep only output and input currents, not node voltages: faster and
            lighter for large batches (see :class:`~memxbar.solution.Solution`).
        method: ``"auto"``, ``"direct"``, ``"weights"`` (outputs only) or ``"iterative"``.
        tol: Relative error (estimated) of node voltages and output currents at which the
            iterative method stops (the line solver holds each output current to it relative
            to itself).
        maxiter: Iteration limit of the iterative method, per input vector.
        circuit: The compiled circuit, if already made (it must match the bias's floating lines).

    Returns:
        The :class:`Solution`, with ``backend="fast"`` and the method used.

    Raises:
        InputError: If an argument is invalid; the message names it.
        ConvergenceError: If the iterative method, asked for by name, does not reach ``tol``
            (when ``"auto"`` chose it, a direct solve is made instead).
    """
    options = FastOptions(method=method, outputs_only=outputs_only, tol=tol, maxiter=maxiter)
    bias = voltages if isinstance(voltages, Bias) else make_bias(crossbar.shape, voltages)
    compiled = compiler(crossbar, bias.floating_wl, bias.floating_bl) if circuit is None else (lambda: circuit)
    return solve_linear_circuit(crossbar, compiled, bias, options)


def solve_linear_circuit(crossbar: Crossbar, compiled: Callable[[], Circuit], bias: Bias,
                         options: FastOptions) -> Solution:
    """Solve a linear circuit, given by its compiler (:func:`~memxbar.circuit.compile.compiler`: the line
    solver's outputs need no compiled circuit); see :func:`solve_linear`."""
    start = time.perf_counter()
    plain_grid = crossbar.cell.internal_nodes == 0  # Circuit.plain_grid, known before compiling
    if not plain_grid and options.method == "iterative":
        raise InputError("method='iterative' needs a passive 1r crossbar (its line preconditioner); use 'direct'")
    method = options.method
    automatic = method == "auto"
    batch = bias.batch
    line_form = lines.applicable(crossbar)
    if automatic:
        method = choose_method(crossbar, batch, options.outputs_only, line_form)
        if method == "iterative" and not plain_grid:
            method = "direct"
    # The matrix-free line solver covers word-line reads of arrays without ideal segments.
    default_bias = not (bias.floating_wl.any() or bias.floating_bl.any() or bias.bl_voltages.any())
    if method == "iterative" and default_bias and plain_grid and line_form:
        # No thread limit: its compiled kernels and element-wise NumPy run on one thread anyway,
        # and setting and restoring the pools (threadpoolctl) costs 0.05–0.1 ms per call.
        try:
            return _solve_lines(crossbar, bias, options, start)
        except ConvergenceError:
            # "auto" chose conjugate gradients for speed, not of necessity: fall back to a factorisation.
            if not automatic or factor_bytes(compiled().n_unknown) > memory_budget():
                raise
            method = "direct"
    circuit = compiled()
    system = CrossbarSystem.build(crossbar, circuit)
    u = circuit.known_voltages(bias.wl_voltages, bias.bl_voltages, bias.gate_voltages)
    with limited_threads(system.n):
        try:
            return _solve(system, bias, u, options, method, start)
        except ConvergenceError:
            if not automatic or factor_bytes(system.n) > memory_budget():
                raise
            return _solve(system, bias, u, options, "direct", start)
        finally:
            system.free()


def _solve_lines(crossbar: Crossbar, bias: Bias, options: FastOptions, start: float) -> Solution:
    """Solve a word-line read by the matrix-free line solver (:mod:`memxbar.solver.lines`).

    Raises:
        ConvergenceError: If some input vectors do not reach ``options.tol`` (all are tried; the message
            counts them).
    """
    system = lines.LineSystem.build(crossbar)
    v = bias.wl_voltages
    batch = v.shape[1]
    v_rows = np.ascontiguousarray(v.T)
    # A full solution keeps every vector's line voltages (solved in place); outputs only, each block's in turn.
    full = not options.outputs_only
    step = min(batch, lines.block_vectors(crossbar.conductances.size))
    w, b = np.empty((2, batch if full else step, *crossbar.shape))
    i_in, i_out = np.empty((batch, crossbar.rows)), np.empty((batch, crossbar.cols))
    kcl = KclCheck(np.empty(batch), np.empty(batch), np.empty(batch))
    blocks = [slice(first, min(first + step, batch)) for first in range(0, batch, step)]
    failed = [0]

    def run(part: list[slice], w: np.ndarray, b: np.ndarray) -> None:
        for cols in part:
            # Outputs only: the thread's one block of line voltages, reused.
            here = cols if full else slice(0, cols.stop - cols.start)
            solved = system.solve(v_rows[cols], options.tol, options.maxiter, w[here], b[here])
            figures = solved.check
            kcl.residual[cols], kcl.floor[cols], kcl.current[cols] = figures.residual, figures.floor, figures.current
            i_in[cols], i_out[cols] = solved.input_currents, solved.output_currents
            failed.append(solved.failed)

    # Blocks are independent and the kernels release the GIL: a large batch is split over the cores.
    threads = line_threads(crossbar.conductances.size, batch)
    if threads > 1:
        spaces = [(w, b)] * threads if full else [(w, b), *(np.empty((2, step, *crossbar.shape))
                                                           for _ in range(threads - 1))]
        run_parallel([partial(run, blocks[t::threads], *spaces[t]) for t in range(threads)])
    else:
        run(blocks, w, b)
    if sum(failed):
        floor = float(kcl.floor.max())
        beyond = (f" (this circuit's rounding floor, {floor:.1e} relative, is above tol: raise tol)"
                  if floor > options.tol else "")
        raise ConvergenceError(
            f"conjugate gradients did not reach tol={options.tol:g} within maxiter={options.maxiter} iterations "
            f"for {sum(failed)} of {batch} input vector(s){beyond}; {CG_REMEDY}"
        )
    # CG's estimate cannot see an ill-conditioned circuit (a 1e-11 Ω segment leaves ~1 digit): the floor can.
    warn_if_inaccurate(kcl, options.tol)
    i_in, i_out = i_in.T, i_out.T
    # All node voltages are found (w, b); they are put in the compiled circuit's order when first read.
    nodes = partial(_line_nodes, crossbar, bias, w, b, i_in, i_out) if full else None
    return assemble_solution(crossbar, None, bias, "fast", start, nodes=nodes, input_currents=i_in,
                             output_currents=i_out, method="iterative", kcl_residual=kcl.residual)


def _line_nodes(crossbar: Crossbar, bias: Bias, w: np.ndarray, b: np.ndarray, i_in: np.ndarray,
                i_out: np.ndarray, circuit: Circuit) -> np.ndarray:
    """(n_nodes, B) node voltages of ``circuit`` (V) from the line solver's (B, M, N) word- and bit-line
    voltages ``w``, ``b`` and its (M, B), (N, B) terminal currents (A)."""
    v = bias.wl_voltages
    # Every segment has resistance: driver outputs and sense nodes are the only other unknown nodes.
    nodes = np.zeros((circuit.n_nodes, v.shape[1]))
    nodes[circuit.n_unknown:] = circuit.known_voltages(v, bias.bl_voltages, None)
    nodes[circuit.wl_node[:, 1]] = v - crossbar.r_driver[:, None] * i_in
    nodes[circuit.bl_node[:, -2]] = crossbar.r_sense[:, None] * i_out
    nodes[circuit.w_node] = w.transpose(1, 2, 0)
    nodes[circuit.b_node] = b.transpose(1, 2, 0)
    return nodes


def _solve(system: CrossbarSystem, bias: Bias, u: np.ndarray, options: FastOptions, method: str,
           start: float) -> Solution:
    """Solve (K, B) known voltages ``u`` by ``method``; see :func:`solve_linear`."""
    circuit = system.circuit
    batch = u.shape[1]
    k = circuit.n_known
    source = np.empty((k, batch))
    nodes = kcl = None
    if method == "weights":
        columns = np.flatnonzero(np.any(u != 0, axis=1))
        t, y = system.transfer(columns)
        ports = np.concatenate([t, y]) @ u[columns]
        n_out = t.shape[0]
        i_out, i_in = ports[:n_out], ports[n_out:]
    else:
        i_out = np.empty((system.ports.out_x.shape[0], batch))
        i_in = np.empty((system.ports.in_x.shape[0], batch))
        if not options.outputs_only:
            nodes = np.empty((circuit.n_nodes, batch))
        kcl = KclCheck(np.full(batch, np.nan), np.full(batch, np.nan), np.full(batch, np.nan))
        for cols in _chunks(batch, system.n):
            uc = u[:, cols]
            refine = not options.outputs_only and batch <= REFINE_UP_TO
            x = (system.node_voltages(uc, method, options.tol, options.maxiter, refine) if system.n
                 else np.zeros((0, uc.shape[1])))
            i_out[:, cols], i_in[:, cols] = system.ports.currents(x, uc)
            chunk = np.concatenate([x, uc])
            # A full direct solution checks a sample of its vectors now (for the warning; the rounding floor
            # is mostly the circuit's) and every vector when its kcl_residual is asked for.
            sample = slice(None) if nodes is None or method == "iterative" else slice(0, CHECK_SAMPLE)
            part = check(circuit, chunk[:, sample])
            kcl.residual[cols][sample], kcl.floor[cols][sample] = part.residual, part.floor
            kcl.current[cols][sample] = part.current
            if nodes is not None:
                nodes[:, cols] = chunk
        if method == "iterative" and (kcl.residual > options.tol).any():
            raise ConvergenceError(
                f"conjugate gradients stopped at a relative KCL residual of {kcl.residual.max():.2e}, above "
                f"tol={options.tol:g}: {accuracy_hint(kcl, options.tol)}"
            )
        checked = ~np.isnan(kcl.residual)
        warn_if_inaccurate(KclCheck(kcl.residual[checked], kcl.floor[checked], kcl.current[checked]), options.tol)
        if nodes is not None and not checked.all():
            kcl = None
    md = i_in.shape[0]
    source[:md] = i_in
    source[md:md + i_out.shape[0]] = -i_out
    source[md + i_out.shape[0]:] = 0.0
    wl_in, bl_out = terminal_currents(circuit, source)
    return assemble_solution(system.crossbar, circuit, bias, "fast", start, nodes=nodes, input_currents=wl_in,
                             output_currents=bl_out, method=method, kcl_residual=None if kcl is None else kcl.residual)


def effective_weights(crossbar: Crossbar) -> np.ndarray:
    """The crossbar's effective weights: the (N, M) matrix T with I_out = T·V, in siemens (S).

    T is the IR-drop-distorted counterpart of Gᵀ (equal to it without line resistance),
    computed exactly by port (Kron) reduction of the nodal equations: the Schur complement of
    one partial factorisation with PARDISO, else min(M, N) solves of one sparse factorisation.

    Args:
        crossbar: The crossbar specification, with linear (ohmic) devices.

    Returns:
        (N, M) array T in siemens.

    Raises:
        InputError: If ``crossbar`` is not a Crossbar, or its devices are nonlinear (their
            output currents are not a linear map of the inputs).
    """
    if not isinstance(crossbar, Crossbar):
        raise InputError(f"crossbar must be a memxbar.Crossbar, got {type(crossbar).__name__}")
    if crossbar.cell.internal_nodes:
        raise InputError(
            f"crossbar: effective weights need a passive 1r crossbar; the access devices of {crossbar.cell.name} "
            "cells make the output currents a nonlinear function of the inputs"
        )
    if not crossbar.device.linear:
        raise InputError(
            f"crossbar: effective weights need linear (ohmic) devices; {crossbar.device.name} devices make the "
            "output currents a nonlinear function of the inputs"
        )
    system = CrossbarSystem.build(crossbar)
    with limited_threads(system.n):
        try:
            return system.effective_weights()
        finally:
            system.free()
