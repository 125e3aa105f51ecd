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
from memxbar.solver.accuracy import BranchMap, KclCheck, accuracy_hint, warn_if_inaccurate
from memxbar.solver.iterative import DEFAULT_MAXITER, DEFAULT_TOL, solve_cg
from memxbar.solver.linalg import factorize, pardiso_available, pardiso_worthwhile, reduced_couplings
from memxbar.solver.nodal import NodalPattern
from memxbar.solver.ports import PortMap, port_map
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


def choose_method(n: int, rows: int, batch: int, outputs_only: bool) -> str:
    """The method ``"auto"`` stands for.

    Iterative when the factor would exceed :func:`memory_budget`, or for a batch of at most
    :data:`ITERATIVE_BATCH` vectors on an array of at least :data:`ITERATIVE_FROM` unknowns.
    Otherwise, for outputs only of a large enough batch, the effective weights, then one
    product per vector: from :data:`WEIGHTS_BATCH` vectors where PARDISO reduces the network to
    its ports in one partial factorisation, else from M vectors (M solves); else direct solves.

    Args:
        n: Number of unknown node voltages.
        rows: Number of word lines (inputs) M.
        batch: Number of input vectors B.
        outputs_only: Whether only port currents are wanted.
    """
    if factor_bytes(n) > memory_budget() or (n >= ITERATIVE_FROM and batch <= ITERATIVE_BATCH):
        return "iterative"
    if outputs_only and batch >= (min(rows, WEIGHTS_BATCH) if pardiso_worthwhile(n) else rows):
        return "weights"
    return "direct"


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
    system = CrossbarSystem.build(crossbar)
    automatic = method == "auto"
    if automatic:
        method = choose_method(system.n, crossbar.rows, v.shape[1], outputs_only)
    try:
        return _solve(system, v, batched, outputs_only, method, tol, maxiter, start)
    except ConvergenceError:
        # "auto" chose conjugate gradients for speed, not of necessity: fall back to a factorisation.
        if not automatic or factor_bytes(system.n) > memory_budget():
            raise
        return _solve(system, v, batched, outputs_only, "direct", tol, maxiter, start)


def _solve(system: CrossbarSystem, v: np.ndarray, batched: bool, outputs_only: bool, method: str, tol: float,
           maxiter: int, start: float) -> Solution:
    """Solve (M, B) inputs ``v`` by ``method``; see :func:`solve_linear`."""
    crossbar, topology = system.crossbar, system.topology
    i_out = np.empty((crossbar.cols, v.shape[1]))
    i_in = np.empty((crossbar.rows, v.shape[1]))
    w = b = i_dev = kcl = None
    if method == "weights":
        t, y = system.transfer()
        i_out, i_in = t @ v, y @ v
    else:
        if not outputs_only:
            w = np.empty((*crossbar.shape, v.shape[1]))
            b = np.empty_like(w)
        branches = BranchMap(topology)
        kcl = KclCheck(np.empty(v.shape[1]), np.empty(v.shape[1]))
        for cols in _chunks(v.shape[1], system.n):
            vc = v[:, cols]
            refine = not outputs_only and v.shape[1] <= REFINE_UP_TO
            x = (system.node_voltages(vc, method, tol, maxiter, refine) if system.n
                 else np.zeros((0, vc.shape[1])))
            i_out[:, cols], i_in[:, cols] = system.ports.currents(x, vc)
            nodes = node_voltages(topology, x, vc)
            check = branches.check(nodes, crossbar.conductances[:, :, None] * (nodes[topology.device_w]
                                                                              - nodes[topology.device_b]))
            kcl.residual[cols], kcl.floor[cols] = check.residual, check.floor
            if not outputs_only:
                w[..., cols] = nodes[topology.device_w]
                b[..., cols] = nodes[topology.device_b]
        if method == "iterative" and (kcl.residual > tol).any():
            raise ConvergenceError(
                f"conjugate gradients stopped at a relative KCL residual of {kcl.residual.max():.2e}, above "
                f"tol={tol:g}: {accuracy_hint(kcl, tol)}"
            )
        warn_if_inaccurate(kcl, tol)
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
        kcl_residual=None if kcl is None else (kcl.residual if batched else float(kcl.residual[0])),
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
    return CrossbarSystem.build(crossbar).effective_weights()
