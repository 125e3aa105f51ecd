"""Sparse nodal equations of a crossbar, with the sparsity pattern built once per topology.

For unknown node voltages x and source voltages V, Kirchhoff's current law reads
``A x = -S V``, where A (unknown × unknown) and S (unknown × source) are blocks of the
grounded Laplacian of the circuit graph. A is symmetric positive definite: every
unknown node reaches a source or the ground through positive line resistances.

The pattern holds, for every conductance stamp, the position of its value in the CSC
``data`` arrays of A and S, so a new set of device conductances (or a Newton Jacobian)
is a ``bincount`` over the stamps, never a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from memxbar.topology import Topology


@dataclass(frozen=True, eq=False)
class _CscPattern:
    """Positions of a list of stamps in a CSC matrix whose duplicates are summed."""

    shape: tuple[int, int]
    indices: np.ndarray
    indptr: np.ndarray
    slot: np.ndarray
    """For each stamp, the index of its entry in the CSC ``data`` array."""

    @classmethod
    def build(cls, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> _CscPattern:
        key = cols.astype(np.int64) * shape[0] + rows
        unique, slot = np.unique(key, return_inverse=True)
        indices = (unique % shape[0]).astype(np.int32 if shape[0] < 2**31 else np.int64)
        counts = np.bincount(unique // shape[0], minlength=shape[1])
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(indices.dtype)
        return cls(shape, indices, indptr, slot)

    def matrix(self, values: np.ndarray) -> sp.csc_matrix:
        data = np.bincount(self.slot, weights=values, minlength=self.indices.size)
        return sp.csc_matrix((data, self.indices, self.indptr), shape=self.shape)


class NodalPattern:
    """Sparsity pattern of the nodal matrices A and S of one crossbar topology.

    Every device is stamped, open ones included (with value 0), so the pattern is the same
    for any conductance matrix of this topology.
    """

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        n = topology.n_unknown
        m = topology.n_sources
        a = np.concatenate([topology.line_a, topology.device_w.ravel()])
        b = np.concatenate([topology.line_b, topology.device_b.ravel()])
        self._n_line = topology.line_a.size

        # Each two-terminal conductance g between nodes a and b stamps +g at (a, a) and
        # (b, b), and -g at (a, b) and (b, a). Rows of known nodes are not equations.
        rows = np.concatenate([a, b, a, b])
        cols = np.concatenate([a, b, b, a])
        sign = np.concatenate([np.ones(2 * a.size), -np.ones(2 * a.size)])
        edge = np.tile(np.arange(a.size), 4)
        in_a = (rows < n) & (cols < n)
        in_s = (rows < n) & (cols >= n) & (cols < n + m)

        self._a_edge, self._a_sign = edge[in_a], sign[in_a]
        self._s_edge, self._s_sign = edge[in_s], sign[in_s]
        self._a = _CscPattern.build(rows[in_a], cols[in_a], (n, n))
        self._s = _CscPattern.build(rows[in_s], cols[in_s] - n, (n, m))

    def edge_conductances(self, device_g: np.ndarray) -> np.ndarray:
        """Conductances (S) of all stamped edges: line resistors, then the (M, N) devices."""
        return np.concatenate([self.topology.line_g, np.asarray(device_g, dtype=np.float64).ravel()])

    def matrices(self, device_g: np.ndarray) -> tuple[sp.csc_matrix, sp.csc_matrix]:
        """Assemble A (n × n) and S (n × M) for the given device conductances.

        Args:
            device_g: (M, N) device conductances, or small-signal conductances dI/dV for a
                Newton step, in siemens (S).

        Returns:
            The matrices A and S in CSC format.
        """
        g = self.edge_conductances(device_g)
        return (
            self._a.matrix(g[self._a_edge] * self._a_sign),
            self._s.matrix(g[self._s_edge] * self._s_sign),
        )
