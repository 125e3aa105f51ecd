"""The nodal equations of a compiled circuit whose nonlinear elements are two-terminal devices, as a
:class:`~memxbar.solver.newton.NonlinearSystem`.

Unknowns x are the circuit's unknown node voltages, the driven voltages u its known ones, and the
junctions the D two-terminal nonlinear devices (memristors, selectors), each from its positive
terminal a to its other terminal b. Kirchhoff's current law reads

    F(x) = A₀·x + S₀·u + C·i(v) = 0,     v = Cᵀ·x + D·u,

with A₀, S₀ the nodal matrices of the linear elements and C the incidence of the junctions on the
unknown nodes. The Jacobian is the nodal matrix with each junction replaced by its slope dI/dV,
assembled by refilling the cached pattern of :class:`~memxbar.solver.nodal.NodalPattern`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.compile import Circuit
from memxbar.circuit.elements import TWO_TERMINAL, Devices
from memxbar.solver.equations import CircuitEquations
from memxbar.solver.linalg import factorize
from memxbar.solver.newton import limit_by_current


def junction_circuit(circuit: Circuit) -> bool:
    """Whether every nonlinear element of ``circuit`` is a two-terminal device (a junction)."""
    return all(isinstance(group, Devices) for group in circuit.groups if not group.linear)


class CircuitNonlinearSystem:
    """The nodal equations of one compiled circuit of linear elements and nonlinear junctions."""

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit
        self.equations = CircuitEquations(circuit)
        self.n = circuit.n_unknown
        """Number of unknown node voltages."""
        self.groups = [g for g in circuit.groups if not g.linear]
        n, size = self.n, circuit.n_nodes
        a = np.concatenate([g.nodes[:, 0] for g in self.groups])
        b = np.concatenate([g.nodes[:, 1] for g in self.groups])
        junction = np.arange(a.size)
        self._offsets = np.concatenate([[0], np.cumsum([g.size for g in self.groups])])
        self._w_in = sp.csr_matrix((np.ones(int((a < n).sum())), (a[a < n], junction[a < n])), shape=(n, a.size))
        self._b_in = sp.csr_matrix((np.ones(int((b < n).sum())), (b[b < n], junction[b < n])), shape=(n, a.size))
        self.incidence = (self._w_in - self._b_in).tocsr()
        self._incidence_t = self.incidence.T.tocsr()
        self._touches = (self._w_in + self._b_in).tocsr()
        driven = np.concatenate([np.ones(int((a >= n).sum())), -np.ones(int((b >= n).sum()))])
        self._driven = sp.csr_matrix(
            (driven, (np.concatenate([junction[a >= n], junction[b >= n]]),
                      np.concatenate([a[a >= n], b[b >= n]]) - n)), shape=(a.size, size - n))
        self._g = np.concatenate([g.conductances.ravel()[g.cell] for g in self.groups]).reshape(-1, 1)
        self.a0, self.s0 = self.equations.a0, self.equations.s0
        wl = circuit.wl_node
        self.n_word = int(wl[(wl >= 0) & (wl < n)].max(initial=-1)) + 1
        # Linear branches (two-terminal linear groups), for the branch-by-branch residual.
        linear = [g for g in circuit.groups if g.linear]
        self._la = np.concatenate([g.nodes[:, 0] for g in linear]) if linear else np.zeros(0, int)
        self._lb = np.concatenate([g.nodes[:, 1] for g in linear]) if linear else np.zeros(0, int)
        self._lg = np.concatenate([g.conductance_stamps()[:, 0, 0] for g in linear]) if linear else np.zeros(0)
        branches = np.arange(self._la.size + a.size)
        rows = np.concatenate([self._la, a, self._lb, b])
        cols = np.concatenate([branches, branches])
        sign = np.concatenate([np.ones(branches.size), -np.ones(branches.size)])
        keep = rows < n
        self._branch_incidence = sp.csr_matrix((sign[keep], (rows[keep], cols[keep])), shape=(n, branches.size))
        self._branch_touches = abs(self._branch_incidence)

    @property
    def ordering(self) -> np.ndarray:
        """(n,) fill-reducing (nested-dissection) elimination order of the Jacobian."""
        return self.equations.ordering

    def _per_group(self, v: np.ndarray, what: str) -> np.ndarray:
        parts = []
        with np.errstate(over="ignore", invalid="ignore"):
            for k, g in enumerate(self.groups):
                part = v[self._offsets[k]:self._offsets[k + 1]]
                parts.append(g.current(part) if what == "current" else g.slope(part))
        return np.concatenate(parts)

    @cached_property
    def _linear(self) -> tuple[Callable[[np.ndarray], np.ndarray], sp.csc_matrix]:
        """Solver of the nodal matrix with every junction replaced by its conductance G, and S."""
        values = self.equations.linear_values.copy()
        for g in self.groups:
            values[self.equations._slices[id(g)]] = g.conductance_stamps().ravel()
        a, s = self.equations.pattern.matrices(values)
        return factorize(a, self.ordering, positive_definite=True), s

    def initial(self, u: np.ndarray) -> np.ndarray:
        """(n, B) node voltages (V) with every junction replaced by its conductance G, for known voltages u."""
        if self.n == 0:
            return np.zeros((0, u.shape[1]))
        solve, s = self._linear
        return solve(-(s @ u))

    def nodes(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """(n_nodes, B) voltages of every node (V)."""
        return np.concatenate([x, u])

    def junction_voltages(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """(D, B) junction voltages (V)."""
        return self._incidence_t @ x + self._driven @ u

    def junction_currents(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Junction currents (A) and slopes dI/dV (S), each (D, B), at junction voltages v (V)."""
        return self._per_group(v, "current"), self._per_group(v, "slope")

    def junction_slopes(self, v: np.ndarray) -> np.ndarray:
        """Junction slopes dI/dV (S), (D, B), at junction voltages v (V)."""
        return self._per_group(v, "slope")

    def limit(self, v_new: np.ndarray, v_old: np.ndarray, i_old: np.ndarray, g_old: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """Junction voltages of a Newton step, limited, and the junction currents there
        (see :func:`~memxbar.solver.newton.limit_by_current`)."""
        return limit_by_current(lambda v: self._per_group(v, "current"), self._g, v_new, v_old, i_old, g_old)

    def residual(self, x: np.ndarray, u: np.ndarray, i: np.ndarray, scale: bool = True
                 ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """KCL residual with junction currents i (D, B).

        Returns:
            F (n, B) in amperes (net current leaving each unknown node); if ``scale``, the largest
            current through any node (B,) and the largest sum of the magnitudes of the terms at any
            node (B,), with F summed branch by branch; else None, None and F from the nodal matrices.
        """
        if not scale:
            return self.a0 @ x + self.s0 @ u + self.incidence @ i, None, None
        nodes = self.nodes(x, u)
        g = self._lg[:, None]
        x_a, x_b = nodes[self._la], nodes[self._lb]
        current = np.concatenate([g * (x_a - x_b), i])
        size = np.concatenate([g * (np.abs(x_a) + np.abs(x_b)), np.abs(i)])
        with np.errstate(invalid="ignore", over="ignore"):
            f = self._branch_incidence @ current
            through = (self._branch_touches @ np.abs(current)).max(axis=0, initial=0.0)
            terms = (self._branch_touches @ size).max(axis=0, initial=0.0)
        return f, through, terms

    def jacobian(self, slope: np.ndarray) -> tuple[sp.csc_matrix, bool]:
        """Jacobian (n, n) in siemens for junction slopes (D,), and whether it is positive definite
        (no negative slope: the nodal matrix of passive elements, a zero slope an open device)."""
        values = self.equations.linear_values.copy()
        for k, g in enumerate(self.groups):
            part = slope[self._offsets[k]:self._offsets[k + 1]]
            values[self.equations._slices[id(g)]] = (part[:, None, None] * TWO_TERMINAL).ravel()
        return self.equations.pattern.matrices(values)[0], bool((slope >= 0).all())

    def jvp(self, slope: np.ndarray, dx: np.ndarray) -> np.ndarray:
        """Jacobian–vector products J_k·dx_k (A) for each column k of slopes (D, B) and dx (n, B) (V)."""
        return self.a0 @ dx + self.incidence @ (slope * (self._incidence_t @ dx))

    def preconditioner(self, slope: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """Approximate inverse of each column's Jacobian: one symmetric block Gauss–Seidel sweep over the
        word-line and bit-line blocks (alternating tridiagonal line solves, see
        :mod:`memxbar.solver.iterative`), with each vector's junction slopes on the diagonals. Needs a
        plain grid (:attr:`~memxbar.circuit.compile.Circuit.plain_grid`)."""
        from memxbar.solver.tridiagonal import Chains  # numba: imported only where it is used

        nw = self.n_word
        diag = self.a0.diagonal()[:, None] + self._touches @ slope
        off = self.a0.diagonal(1)
        off_w, off_b = off[: max(nw - 1, 0)], off[nw:]
        word = Chains(diag[:nw].T, off_w)
        bit = Chains(diag[nw:].T, off_b)
        w_in, b_in = self._w_in[:nw], self._b_in[nw:]

        def apply(cols: np.ndarray, r: np.ndarray) -> np.ndarray:
            r_w, r_b, g = r[:nw], r[nw:], slope[:, cols]
            y_w = word.solve(r_w, cols)
            # Off-diagonal block J_bw = −B_in·diag(g)·W_inᵀ (junctions only join word and bit lines).
            y_b = bit.solve(r_b + b_in @ (g * (w_in.T @ y_w)), cols)
            z_w = word.solve(r_w + w_in @ (g * (b_in.T @ y_b)), cols)
            return np.concatenate([z_w, y_b])

        return apply

    def describe(self, node: int) -> str:
        """Name of unknown node ``node``, e.g. ``W[3, 7]``."""
        return self.circuit.describe(node)

    def describe_junction(self, junction: int) -> str:
        """Name of junction ``junction``, e.g. ``device [2, 5]`` or ``access device [2, 5]``."""
        k = int(np.searchsorted(self._offsets, junction, side="right") - 1)
        group = self.groups[k]
        i, j = np.unravel_index(int(group.cell[junction - self._offsets[k]]), group.conductances.shape)
        return f"{'device' if group.power_class == 'devices' else 'access device'} [{i}, {j}]"

    def __repr__(self) -> str:
        m, n = self.circuit.shape
        return f"{m}x{n} circuit of {', '.join(repr(g.model) for g in self.groups)}"
