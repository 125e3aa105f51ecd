"""The fast backend: exact solution of a linear crossbar by sparse nodal analysis.

Three methods share one assembled system (:class:`CrossbarSystem`):

- ``"direct"``: factorise the nodal matrix once (nested-dissection order) and solve the
  input vectors in chunks, keeping memory bounded; gives every node voltage (full
  solutions of small batches refined by one step of iterative refinement).
- ``"weights"``: port (Kron) reduction. The N×M effective-weight matrix T with
  I_out = T·V (and the M×M input admittance) cost one partial factorisation with PARDISO,
  else M solves, after which each input vector is one small matrix product: the choice
  for outputs of large batches.
- ``"iterative"``: conjugate gradients preconditioned by line solves: matrix-free on the
  bit-line Schur complement (:mod:`memxbar.solver.lines`) when every line segment has
  resistance, else on the sparse system (:mod:`memxbar.solver.iterative`).

``"auto"`` picks by a cost model of size, batch, what was asked and the IR drop that sets
CG's iteration count (:func:`choose_method`). Native libraries run on one thread for small
systems (:mod:`memxbar.solver.threads`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from memxbar.crossbar import Crossbar
from memxbar.errors import ConvergenceError, InputError
from memxbar.inputs import as_batch
from memxbar.solution import Solution
from memxbar.solver import lines
from memxbar.solver.iterative import DEFAULT_MAXITER, DEFAULT_TOL, solve_cg
from memxbar.solver.linalg import factorize, pardiso_available, pardiso_worthwhile, reduced_couplings
from memxbar.solver.nodal import NodalPattern
from memxbar.solver.ports import PortMap, port_map
from memxbar.solver.threads import limited_threads
from memxbar.topology import Topology, build_topology

METHODS = ("auto", "direct", "weights", "iterative")
"""Solution methods of the fast backend."""

CHUNK_BYTES = 256 * 2**20
"""Largest block of right-hand sides solved at once, in bytes of node voltages."""

MAX_CHUNK = 128
"""Most right-hand sides solved at once."""

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
    entries = 1.5 * n * np.log2(max(n, 2))
    return entries * (8 if pardiso_available() else 24)


def memory_budget() -> float:
    """Bytes a factor may use: half of this machine's physical memory."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


ITERATIVE_FROM = 2**21
"""Unknown node voltages (about a 1024×1024 array) from which single input vectors are solved
iteratively by ``"auto"`` where the line solver does not apply (a segment of zero resistance):
conjugate gradients on the sparse system then take less time and a third of the memory of a
factorisation (measured: 1024×1024 3.5 s and 0.8 GiB against 5 s and 1.7 GiB)."""

ITERATIVE_BATCH = 2
"""Largest batch ``"auto"`` solves by sparse CG (no line solver) when a factorisation fits in memory."""

WEIGHTS_BATCH = 48
"""Batch from which ``"auto"`` gives outputs by the effective weights when they come from one
partial factorisation (PARDISO); measured break-even against direct solves: about 50 vectors at
256×256 (0.58 s against 0.66 s at 60), about 40 at 512×512. Without PARDISO the weights cost M
solves, and are chosen from a batch of M."""

CG_SECONDS_PER_ITERATION = 5e-4
"""Cost model of the line solver (:mod:`memxbar.solver.lines`): fixed time of one CG
iteration on one block of vectors (s), measured as CPU time on this project's development
machine."""

CG_SECONDS_PER_DEVICE = 9e-8
"""Cost model of the line solver: time of one CG iteration per device and input vector (s)."""

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
    g = float(np.mean(crossbar.conductances))
    return g * (float(np.mean(crossbar.r_wl)) * n * n + float(np.mean(crossbar.r_bl)) * m * m) / 2


def cg_iterations(crossbar: Crossbar) -> float:
    """Expected CG iterations of the line solver to 1e-10, from :func:`ir_drop_index`."""
    return 4.0 + 1.8 * np.sqrt(ir_drop_index(crossbar))


def choose_method(crossbar: Crossbar, batch: int, outputs_only: bool) -> str:
    """The method ``"auto"`` stands for, by a cost model.

    Where every line segment has resistance (:func:`memxbar.solver.lines.applicable`), the
    line solver's expected time, iterations (:func:`cg_iterations`) × (fixed cost per block of
    vectors + cost per device and vector), is set against the direct method's (one factorisation, one solve per
    vector) and, for outputs only of a batch of at least :data:`WEIGHTS_BATCH`, the effective
    weights'; the cheapest wins. Otherwise: iterative (sparse CG) when the factor would exceed
    :func:`memory_budget` or for at most :data:`ITERATIVE_BATCH` vectors on at least
    :data:`ITERATIVE_FROM` unknowns; the effective weights for outputs only of a large enough
    batch (from :data:`WEIGHTS_BATCH` vectors with PARDISO, from M without); else direct.

    Args:
        crossbar: The crossbar (linear devices).
        batch: Number of input vectors B.
        outputs_only: Whether only port currents are wanted.
    """
    m, n_cols = crossbar.shape
    n = 2 * m * n_cols
    if factor_bytes(n) > memory_budget():
        return "iterative"
    weights = outputs_only and batch >= (min(m, WEIGHTS_BATCH) if pardiso_worthwhile(n) else m)
    if lines.applicable(crossbar):
        blocks = -(-batch // max(1, lines.CACHE_ELEMENTS // (m * n_cols)))
        cg = cg_iterations(crossbar) * (CG_SECONDS_PER_ITERATION * blocks + CG_SECONDS_PER_DEVICE * m * n_cols * batch)
        direct = n * (DIRECT_SECONDS_PER_UNKNOWN + SOLVE_SECONDS_PER_UNKNOWN * batch)
        other = min(direct, WEIGHTS_SECONDS_PER_UNKNOWN * n) if weights else direct
        if cg <= other:
            return "iterative"
    elif n >= ITERATIVE_FROM and batch <= ITERATIVE_BATCH:
        return "iterative"
    return "weights" if weights else "direct"


def node_voltages(topology: Topology, unknown: np.ndarray, voltages: np.ndarray) -> np.ndarray:
    """Stack unknown, source and ground voltages into one (n + M + 1, B) array (V)."""
    ground = np.zeros((1, voltages.shape[1]))
    return np.concatenate([unknown, voltages, ground], axis=0)


def _chunks(total: int, n: int) -> list[slice]:
    size = int(max(1, min(MAX_CHUNK, CHUNK_BYTES // (8 * max(n, 1)))))
    return [slice(k, min(k + size, total)) for k in range(0, total, size)]


@dataclass(frozen=True, eq=False)
class CrossbarSystem:
    """The nodal equations A x = −S V of one crossbar, with its current maps."""

    crossbar: Crossbar
    """The crossbar."""
    topology: Topology
    """Its node numbering."""
    pattern: NodalPattern
    """Sparsity pattern and ordering of its nodal matrices."""
    a: sp.csc_matrix
    """(n, n) nodal matrix of the unknown nodes (S)."""
    s: sp.csc_matrix
    """(n, M) coupling of the unknown nodes to the sources (S)."""
    ports: PortMap
    """Output and input currents as maps of the node voltages."""

    @classmethod
    def build(cls, crossbar: Crossbar) -> CrossbarSystem:
        """Assemble the system of ``crossbar``."""
        topology = build_topology(crossbar)
        pattern = NodalPattern(topology)
        a, s = pattern.matrices(crossbar.conductances)
        return cls(crossbar, topology, pattern, a, s, port_map(crossbar, topology))

    @property
    def n(self) -> int:
        """Number of unknown node voltages."""
        return self.topology.n_unknown

    @cached_property
    def solve(self) -> Callable[[np.ndarray], np.ndarray]:
        """Solver for ``a x = rhs`` from one factorisation, made on first use."""
        return factorize(self.a, self.pattern.ordering, positive_definite=True)

    def node_voltages(self, v: np.ndarray, method: str, tol: float, maxiter: int, refine: bool) -> np.ndarray:
        """(n, B) unknown node voltages for inputs v (M, B), by ``"direct"`` or ``"iterative"``.

        ``refine`` adds one step of iterative refinement to a direct solve (one more solve),
        which brings node voltages to the last bit, e.g. exactly V on a word line whose
        devices are all open.
        """
        rhs = -(self.s @ v)
        if method == "iterative":
            n_word = int(self.topology.wl_node[self.topology.wl_node < self.n].max(initial=-1)) + 1
            offset = self.ports.port_v @ v
            return solve_cg(self.a, rhs, n_word, self.ports.port_x, offset, tol, maxiter)
        x = self.solve(rhs)
        return x + self.solve(rhs - self.a @ x) if refine else x

    def _reduced(self, ports_x: sp.csr_matrix) -> np.ndarray | None:
        """ports_x·A⁻¹·S (port currents per input voltage, S) by one partial factorisation
        (:func:`~memxbar.solver.linalg.reduced_couplings`), where PARDISO is worthwhile; else None."""
        if self.n == 0 or not pardiso_worthwhile(self.n):
            return None
        couplings = reduced_couplings(self.a, sp.hstack([self.s, ports_x.T], format="csc"))
        return None if couplings is None else couplings[self.crossbar.rows:, :self.crossbar.rows]

    def transfer(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, M) effective weights T and (M, M) input admittance Y: I_out = T·V, I_in = Y·V (S).

        By Kron reduction of the nodal equations to the ports in one partial factorisation
        where PARDISO is worthwhile, else by M solves.
        """
        m, n_cols = self.crossbar.shape
        t = self.ports.out_v.toarray()
        y = self.ports.in_v.toarray()
        reduced = self._reduced(self.ports.port_x)
        if reduced is not None:
            return t - reduced[:n_cols], y - reduced[n_cols:]
        for cols in _chunks(m, self.n):
            x = self.solve(-self.s[:, cols].toarray()) if self.n else np.zeros((0, cols.stop - cols.start))
            t[:, cols] += self.ports.out_x @ x
            y[:, cols] += self.ports.in_x @ x
        return t, y

    def effective_weights(self) -> np.ndarray:
        """(N, M) effective weights T, I_out = T·V (S), by one partial factorisation where
        PARDISO is worthwhile, else by the cheaper of M or N solves."""
        m, n_cols = self.crossbar.shape
        reduced = self._reduced(self.ports.out_x)
        if reduced is not None:
            return self.ports.out_v.toarray() - reduced
        if m <= n_cols or self.n == 0:
            return self.transfer()[0]
        # Adjoint: T = out_v − (A⁻¹ out_xᵀ)ᵀ S, with N solves since A is symmetric.
        t = self.ports.out_v.toarray()
        out_x_t = self.ports.out_x.T.tocsc()
        for rows in _chunks(n_cols, self.n):
            y = self.solve(out_x_t[:, rows].toarray())
            t[rows] -= (self.s.T @ y).T
        return t


def _check_options(method: str, outputs_only: bool, tol: float, maxiter: int) -> None:
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    if not isinstance(outputs_only, (bool, np.bool_)):
        raise InputError(f"outputs_only must be True or False, got {outputs_only!r}")
    if method == "weights" and not outputs_only:
        raise InputError("method='weights' gives port currents only; pass outputs_only=True or use method='direct'")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise InputError(f"tol must be a relative residual between 0 and 1, e.g. 1e-10, got {tol!r}")
    if not (isinstance(maxiter, (int, np.integer)) and maxiter >= 1):
        raise InputError(f"maxiter must be a positive whole number of iterations, got {maxiter!r}")


def solve_linear(
    crossbar: Crossbar,
    voltages: np.ndarray,
    *,
    outputs_only: bool = False,
    method: str = "auto",
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
) -> Solution:
    """Solve a crossbar of ohmic devices exactly by sparse nodal analysis.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).
        outputs_only: Keep only output and input currents, not node voltages: faster and
            lighter for large batches (see :class:`~memxbar.solution.Solution`).
        method: ``"auto"``, ``"direct"``, ``"weights"`` (outputs only) or ``"iterative"``.
        tol: Relative error (estimated) of node voltages and output currents at which the
            iterative method stops.
        maxiter: Iteration limit of the iterative method, per input vector.

    Returns:
        The :class:`Solution`, with ``backend="fast"`` and the method used.

    Raises:
        InputError: If an argument is invalid; the message names it.
        ConvergenceError: If the iterative method, asked for by name, does not reach ``tol``
            (when ``"auto"`` chose it, a direct solve is made instead).
    """
    start = time.perf_counter()
    v, batched = as_batch(voltages, crossbar.rows)
    _check_options(method, outputs_only, tol, maxiter)
    automatic = method == "auto"
    if automatic:
        method = choose_method(crossbar, v.shape[1], outputs_only)
    if method == "iterative" and lines.applicable(crossbar):
        try:
            return _solve_lines(crossbar, v, batched, outputs_only, tol, maxiter, start)
        except ConvergenceError:
            # "auto" chose conjugate gradients for speed, not of necessity: fall back to a factorisation.
            if not automatic or factor_bytes(2 * crossbar.rows * crossbar.cols) > memory_budget():
                raise
            method = "direct"
    system = CrossbarSystem.build(crossbar)
    with limited_threads(system.n):
        try:
            return _solve(system, v, batched, outputs_only, method, tol, maxiter, start)
        except ConvergenceError:
            if not automatic or factor_bytes(system.n) > memory_budget():
                raise
            return _solve(system, v, batched, outputs_only, "direct", tol, maxiter, start)


def _solve_lines(crossbar: Crossbar, v: np.ndarray, batched: bool, outputs_only: bool, tol: float,
                 maxiter: int, start: float) -> Solution:
    """Solve (M, B) inputs ``v`` by the matrix-free line solver (:mod:`memxbar.solver.lines`)."""
    system = lines.LineSystem.build(crossbar)
    v_rows = np.ascontiguousarray(v.T)
    w = np.empty((v.shape[1], *crossbar.shape))
    b = np.empty_like(w)
    step = max(1, lines.CACHE_ELEMENTS // crossbar.conductances.size)
    for start_col in range(0, v.shape[1], step):
        cols = slice(start_col, start_col + step)
        w[cols], b[cols] = system.solve(v_rows[cols], tol, maxiter)
    i_out = system.output_currents(b).T
    i_in = system.input_currents(w, b).T
    if outputs_only:
        w = b = i_dev = None
    else:
        w, b = w.transpose(1, 2, 0), b.transpose(1, 2, 0)
        i_dev = crossbar.conductances[:, :, None] * (w - b)
    if not batched:
        i_out, i_in = i_out[:, 0], i_in[:, 0]
        if not outputs_only:
            w, b, i_dev = w[..., 0], b[..., 0], i_dev[..., 0]
    return Solution(
        crossbar=crossbar,
        voltages=v if batched else v[:, 0],
        output_currents=i_out,
        wl_voltages=w,
        bl_voltages=b,
        device_currents=i_dev,
        backend="fast",
        wall_time=time.perf_counter() - start,
        method="iterative",
        source_currents=i_in if outputs_only else None,
    )


def _solve(system: CrossbarSystem, v: np.ndarray, batched: bool, outputs_only: bool, method: str, tol: float,
           maxiter: int, start: float) -> Solution:
    """Solve (M, B) inputs ``v`` by ``method``; see :func:`solve_linear`."""
    crossbar, topology = system.crossbar, system.topology
    i_out = np.empty((crossbar.cols, v.shape[1]))
    i_in = np.empty((crossbar.rows, v.shape[1]))
    w = b = i_dev = None
    if method == "weights":
        t, y = system.transfer()
        i_out, i_in = t @ v, y @ v
    else:
        if not outputs_only:
            w = np.empty((*crossbar.shape, v.shape[1]))
            b = np.empty_like(w)
        for cols in _chunks(v.shape[1], system.n):
            vc = v[:, cols]
            refine = not outputs_only and v.shape[1] <= REFINE_UP_TO
            x = (system.node_voltages(vc, method, tol, maxiter, refine) if system.n
                 else np.zeros((0, vc.shape[1])))
            i_out[:, cols], i_in[:, cols] = system.ports.currents(x, vc)
            if not outputs_only:
                nodes = node_voltages(topology, x, vc)
                w[..., cols] = nodes[topology.device_w]
                b[..., cols] = nodes[topology.device_b]
        if not outputs_only:
            i_dev = crossbar.conductances[:, :, None] * (w - b)
    if not batched:
        i_out, i_in = i_out[:, 0], i_in[:, 0]
        if not outputs_only:
            w, b, i_dev = w[..., 0], b[..., 0], i_dev[..., 0]
    return Solution(
        crossbar=crossbar,
        voltages=v if batched else v[:, 0],
        output_currents=i_out,
        wl_voltages=w,
        bl_voltages=b,
        device_currents=i_dev,
        backend="fast",
        wall_time=time.perf_counter() - start,
        method=method,
        source_currents=i_in if outputs_only else None,
    )


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
    if not crossbar.device.linear:
        raise InputError(
            f"crossbar: effective weights need linear (ohmic) devices; {crossbar.device.name} devices make the "
            "output currents a nonlinear function of the inputs"
        )
    system = CrossbarSystem.build(crossbar)
    with limited_threads(system.n):
        return system.effective_weights()
