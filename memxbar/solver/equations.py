"""Kirchhoff's current law of a compiled circuit: residual, Jacobian and source currents.

For unknown node voltages x (n, B) and known voltages u (K, B), the current from every node into the
elements is the linear part ``A₀ x + S₀ u`` (unknown rows) and ``P₀ x + Q₀ u`` (known rows), assembled
once from the linear groups' stamps, plus the currents of the nonlinear groups evaluated at their
terminal voltages. At an unknown node it must vanish (the KCL residual); at a known node it is the
current its source delivers. The Jacobian with respect to x is the nodal matrix with every nonlinear
group's stamp at its present voltages. Nothing here knows what a crossbar is.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.compile import Circuit
from memxbar.solver.nodal import NodalPattern


class CircuitEquations:
    """The nodal equations of one compiled circuit (linear part assembled once)."""

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit
        self.pattern = NodalPattern(circuit)
        self.linear_values = self.pattern.values(self.pattern.linear_stamps())
        self.a0, self.s0 = self.pattern.matrices(self.linear_values)
        self.p0, self.q0 = self.pattern.source_maps(self.linear_values)
        sizes = [g.size * g.nodes.shape[1] ** 2 for g in circuit.groups]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        self._slices = {id(g): slice(int(starts[k]), int(starts[k + 1])) for k, g in enumerate(circuit.groups)}
        self.nonlinear = [g for g in circuit.groups if not g.linear]

    @property
    def n(self) -> int:
        """Number of unknown node voltages."""
        return self.circuit.n_unknown

    @property
    def ordering(self) -> np.ndarray:
        """Fill-reducing elimination order of the unknowns."""
        return self.pattern.ordering

    @property
    def positive_definite_structure(self) -> bool:
        """Whether every group is a passive two-terminal element (then a Jacobian with slopes ≥ 0 is SPD)."""
        return all(g.passive for g in self.circuit.groups)

    def nodes(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """(n + K, B) voltages of all nodes."""
        return np.concatenate([x, u], axis=0)

    @cached_property
    def _incidence(self) -> dict[int, sp.csr_matrix]:
        """Per nonlinear group: (n + K) × (K_g·T) map of terminal currents to node currents."""
        size = self.circuit.n_nodes
        out = {}
        for g in self.nonlinear:
            flat = g.nodes.ravel()
            out[id(g)] = sp.csr_matrix((np.ones(flat.size), (flat, np.arange(flat.size))), shape=(size, flat.size))
        return out

    def node_currents(self, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Current from every node into the elements.

        Returns:
            (n, B) KCL residual at the unknown nodes (A), (n, B) the sum of the magnitudes of the
            terms at each (for a rounding test), and (K, B) the currents the sources deliver (A).
        """
        f = self.a0 @ x + self.s0 @ u
        scale = abs(self.a0) @ np.abs(x) + abs(self.s0) @ np.abs(u)
        source = self.p0 @ x + self.q0 @ u
        if self.nonlinear:
            nodes = self.nodes(x, u)
            n = self.n
            for g in self.nonlinear:
                with np.errstate(over="ignore", invalid="ignore"):
                    i, _ = g.evaluate(nodes[g.nodes])
                scattered = self._incidence[id(g)] @ i.reshape(-1, x.shape[1])
                magnitude = self._incidence[id(g)] @ np.abs(i).reshape(-1, x.shape[1])
                f = f + scattered[:n]
                scale = scale + magnitude[:n]
                source = source + scattered[n:]
        return f, scale, source

    def jacobian(self, x: np.ndarray, u: np.ndarray) -> tuple[sp.csc_matrix, bool]:
        """∂F/∂x (n × n, S) for one vector (x (n,), u (K,)), and whether it is symmetric positive definite
        (every element passive and two-terminal with slopes ≥ 0).

        Raises:
            FloatingPointError: If a stamp is not finite (device currents beyond floating point).
        """
        values = self.linear_values.copy()
        nodes = self.nodes(x[:, None], u[:, None])
        spd = self.positive_definite_structure
        for g in self.nonlinear:
            with np.errstate(over="ignore", invalid="ignore"):
                _, jac = g.evaluate(nodes[g.nodes])
            stamps = jac[..., 0]
            if not np.isfinite(stamps).all():
                raise FloatingPointError(f"{type(g).__name__} stamps beyond floating point")
            spd = spd and bool((stamps[:, 0, 0] >= 0).all()) if g.passive else False
            values[self._slices[id(g)]] = stamps.ravel()
        return self.pattern.matrices(values)[0], spd
