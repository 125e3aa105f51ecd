"""The nodal equations of a crossbar with nonlinear devices, as a :class:`~memxbar.solver.newton.NonlinearSystem`.

Unknowns x are the node voltages of :mod:`memxbar.topology` (word-line chains, then bit-line
chains), the driven voltages u are the M word-line inputs, and the junctions are the M·N
devices (flattened row by row), each between its word-line node W[i, j] (+) and bit-line node
B[i, j] (−). Kirchhoff's current law reads

    F(x) = Σ_lines g·(x_a − x_b) + C·i(v) = 0,     v = Cᵀ·x + (driven part),

with C the incidence of the devices on the unknown nodes. The Jacobian is the nodal matrix
with each device replaced by its slope dI/dV, assembled by refilling the cached pattern of
:class:`~memxbar.solver.nodal.NodalPattern`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from memxbar.crossbar import Crossbar
from memxbar.solver.accuracy import BranchMap, device_label
from memxbar.solver.direct import node_voltages
from memxbar.solver.linalg import factorize
from memxbar.solver.newton import limit_by_current
from memxbar.solver.nodal import NodalPattern
from memxbar.topology import Topology, build_topology


def node_label(topology: Topology, node: int) -> str:
    """Human-readable name of an unknown node, e.g. ``W[3, 7]`` or ``sense node of bit line 2``."""
    m = topology.n_sources
    wl = np.argwhere(topology.wl_node == node)
    if wl.size:
        i, pos = wl[0]
        return f"driver output of word line {i}" if pos == 1 else f"W[{i}, {pos - 2}]"
    j, pos = np.argwhere(topology.bl_node == node)[0]
    return f"B[{pos}, {j}]" if pos < m else f"sense node of bit line {j}"


class CrossbarNonlinearSystem:
    """The nodal equations of one crossbar whose devices follow ``crossbar.device``."""

    def __init__(self, crossbar: Crossbar, topology: Topology | None = None) -> None:
        self.crossbar = crossbar
        self.topology = topology or build_topology(crossbar)
        self.pattern = NodalPattern(self.topology)
        self.branches = BranchMap(self.topology)
        self.n = self.topology.n_unknown
        """Number of unknown node voltages."""
        self.a0, self.s0 = self.pattern.matrices(np.zeros(crossbar.shape))
        self._g = np.asarray(crossbar.conductances, dtype=np.float64).reshape(-1, 1)
        n = self.n
        w, b = self.topology.device_w.ravel(), self.topology.device_b.ravel()
        device = np.arange(w.size)
        self._w_in = sp.csr_matrix((np.ones(int((w < n).sum())), (w[w < n], device[w < n])), shape=(n, w.size))
        self._b_in = sp.csr_matrix((np.ones(int((b < n).sum())), (b[b < n], device[b < n])), shape=(n, w.size))
        self.incidence = (self._w_in - self._b_in).tocsr()
        m = crossbar.rows
        w_src, b_src = (w >= n) & (w < n + m), (b >= n) & (b < n + m)
        self._driven = sp.csr_matrix(
            (np.concatenate([np.ones(int(w_src.sum())), -np.ones(int(b_src.sum()))]),
             (np.concatenate([device[w_src], device[b_src]]), np.concatenate([w[w_src], b[b_src]]) - n)),
            shape=(w.size, m))
        self._incidence_t = self.incidence.T.tocsr()
        self._touches = (self._w_in + self._b_in).tocsr()
        self.n_word = int(self.topology.wl_node[self.topology.wl_node < n].max(initial=-1)) + 1

    @property
    def ordering(self) -> np.ndarray:
        """(n,) fill-reducing (nested-dissection) elimination order of the Jacobian."""
        return self.pattern.ordering

    def _model(self, v: np.ndarray, what: str) -> np.ndarray:
        m, n = self.crossbar.shape
        batch = v.shape[1]
        with np.errstate(over="ignore", invalid="ignore"):
            out = getattr(self.crossbar.device, what)(v.reshape(m, n, batch), self.crossbar.conductances)
        if out.shape != (m, n, batch):
            out = np.broadcast_to(out, (m, n, batch)).copy()
        return out.reshape(m * n, batch)

    @cached_property
    def _linear(self) -> tuple[Callable[[np.ndarray], np.ndarray], sp.csc_matrix]:
        """Solver of the nodal matrix with every device replaced by its conductance G, and the source coupling."""
        a, s = self.pattern.matrices(self.crossbar.conductances)
        return factorize(a, self.ordering, positive_definite=True), s

    def initial(self, u: np.ndarray) -> np.ndarray:
        """(n, B) node voltages (V) with every device replaced by its conductance G, for inputs u (M, B)."""
        if self.n == 0:
            return np.zeros((0, u.shape[1]))
        solve, s = self._linear
        return solve(-(s @ u))

    def nodes(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """(n + M + 1, B) voltages of every node: unknown, sources, ground (V)."""
        return node_voltages(self.topology, x, u)

    def junction_voltages(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """(M·N, B) device voltages W − B (V)."""
        return self._incidence_t @ x + self._driven @ u

    def junction_currents(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Device currents (A) and slopes dI/dV (S), each (M·N, B), at device voltages v (V)."""
        return self._model(v, "current"), self._model(v, "slope")

    def junction_slopes(self, v: np.ndarray) -> np.ndarray:
        """Device slopes dI/dV (S), (M·N, B), at device voltages v (V)."""
        return self._model(v, "slope")

    def limit(self, v_new: np.ndarray, v_old: np.ndarray, i_old: np.ndarray, g_old: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """Device voltages of a Newton step, limited, and the device currents there
        (see :func:`~memxbar.solver.newton.limit_by_current`)."""
        return limit_by_current(lambda v: self._model(v, "current"), self._g, v_new, v_old, i_old, g_old)

    def residual(self, x: np.ndarray, u: np.ndarray, i: np.ndarray, scale: bool = True
                 ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """KCL residual with device currents i (M·N, B).

        Returns:
            F (n, B) in amperes (net current leaving each unknown node); if ``scale``, the
            largest current through any node (B,) in amperes and the largest sum of the
            magnitudes of the terms at any node (B,) in amperes (for the rounding level), with
            F summed branch by branch; else None, None and F from the nodal matrices (cheaper).
        """
        if not scale:
            return self.a0 @ x + self.s0 @ u + self.incidence @ i, None, None
        t = self.topology
        nodes = self.nodes(x, u)
        g = t.line_g[:, None]
        x_a, x_b = nodes[t.line_a], nodes[t.line_b]
        current = np.concatenate([g * (x_a - x_b), i])
        size = np.concatenate([g * (np.abs(x_a) + np.abs(x_b)), np.abs(i)])
        br = self.branches
        with np.errstate(invalid="ignore", over="ignore"):
            f = br.incidence @ current
            through = (br.touches @ np.abs(current)).max(axis=0, initial=0.0)
            terms = (br.touches @ size).max(axis=0, initial=0.0)
        return f, through, terms

    def jacobian(self, slope: np.ndarray) -> tuple[sp.csc_matrix, bool]:
        """Jacobian (n, n) in siemens for device slopes (M·N,), and whether it is positive definite.

        With no negative slope it is the nodal matrix of passive devices (a zero slope is an
        open device), positive definite since every node reaches a source or the ground.
        """
        return self.pattern.matrices(slope.reshape(self.crossbar.shape))[0], bool((slope >= 0).all())

    def jvp(self, slope: np.ndarray, dx: np.ndarray) -> np.ndarray:
        """Jacobian–vector products J_k·dx_k (A) for each column k of slopes (M·N, B) and dx (n, B) (V)."""
        return self.a0 @ dx + self.incidence @ (slope * (self._incidence_t @ dx))

    def preconditioner(self, slope: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """Approximate inverse of each column's Jacobian: one symmetric block Gauss–Seidel sweep
        over the word-line and bit-line blocks (alternating tridiagonal line solves, see
        :mod:`memxbar.solver.iterative`), with each vector's device slopes on the diagonals."""
        nw = self.n_word
        diag = self.a0.diagonal()[:, None] + self._touches @ slope
        off = self.a0.diagonal(1).copy()
        off_w, off_b = off[: max(nw - 1, 0)], off[nw:]
        batch = slope.shape[1]
        word = [_tridiagonal(diag[:nw, k], off_w) for k in range(batch)]
        bit = [_tridiagonal(diag[nw:, k], off_b) for k in range(batch)]
        w_in, b_in = self._w_in[:nw], self._b_in[nw:]

        def apply(cols: np.ndarray, r: np.ndarray) -> np.ndarray:
            r_w, r_b, g = r[:nw], r[nw:], slope[:, cols]
            y_w = _solve_columns([word[k] for k in cols], r_w)
            # Off-diagonal block J_bw = −B_in·diag(g)·W_inᵀ (devices only join word and bit lines).
            y_b = _solve_columns([bit[k] for k in cols], r_b + b_in @ (g * (w_in.T @ y_w)))
            z_w = _solve_columns([word[k] for k in cols], r_w + w_in @ (g * (b_in.T @ y_b)))
            return np.concatenate([z_w, y_b])

        return apply

    def describe(self, node: int) -> str:
        """Name of unknown node ``node``, e.g. ``W[3, 7]``."""
        return node_label(self.topology, node)

    def describe_junction(self, junction: int) -> str:
        """Name of device ``junction`` (flat index), e.g. ``device [2, 5]``."""
        return device_label(self.crossbar.shape, junction)

    def __repr__(self) -> str:
        return f"{self.crossbar.rows}x{self.crossbar.cols} crossbar of {self.crossbar.device!r}"


def _tridiagonal(d: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """LDLᵀ factor (LAPACK dpttrf) of the tridiagonal matrix with diagonal d and off-diagonal e."""
    if d.size == 0:
        return None
    factor_d, factor_e, info = lapack.dpttrf(d, e if d.size > 1 else np.zeros(1))
    if info:
        raise np.linalg.LinAlgError(f"line block is not positive definite (dpttrf info {info})")
    return factor_d, factor_e


def _solve_columns(factors: list, rhs: np.ndarray) -> np.ndarray:
    """Solve column k of rhs (size, B) with tridiagonal factor k."""
    if rhs.shape[0] == 0:
        return rhs
    rows = np.array(rhs.T, order="C")  # a copy: dpttrs overwrites it
    solve = lapack.dpttrs
    for k, (d, e) in enumerate(factors):
        rows[k] = solve(d, e, rows[k], overwrite_b=True)[0]
    return np.ascontiguousarray(rows.T)
