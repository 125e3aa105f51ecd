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
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from memxbar.solver.ordering import nested_dissection
from memxbar.topology import Topology


def _index_dtype(size: int) -> type:
    return np.int32 if size < 2**31 else np.int64


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
        # SciPy's COO → CSC conversion is a counting sort in C that sums duplicates; with
        # each stamp's number as its value, the result says where every stamp landed.
        count = rows.size
        tagged = sp.csc_matrix((np.arange(1, count + 1, dtype=np.float64), (rows, cols)), shape=shape)
        tagged.sum_duplicates()
        dtype = _index_dtype(max(tagged.nnz, count) + 1)
        if tagged.nnz == count:
            slot = np.empty(count, dtype=dtype)
            slot[tagged.data.astype(np.int64) - 1] = np.arange(count, dtype=dtype)
        else:
            key = cols.astype(np.int64) * shape[0] + rows
            slot = np.searchsorted(np.repeat(np.arange(shape[1]), np.diff(tagged.indptr)) * shape[0]
                                   + tagged.indices, key).astype(dtype)
        return cls(shape, tagged.indices, tagged.indptr, slot)

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
        dtype = _index_dtype(a.size)

        # Each two-terminal conductance g between nodes a and b stamps +g at (a, a) and
        # (b, b), and -g at (a, b) and (b, a). Rows of known nodes are not equations.
        # Diagonal stamps are summed per node first, so the pattern holds one entry per
        # node plus two per edge between unknown nodes.
        a_in, b_in = a < n, b < n
        self._diag_edge = np.concatenate([np.flatnonzero(a_in), np.flatnonzero(b_in)]).astype(dtype)
        self._diag_node = np.concatenate([a[a_in], b[b_in]])
        both = np.flatnonzero(a_in & b_in & (a != b)).astype(dtype)
        self._off_edge = np.concatenate([both, both])
        nodes = np.arange(n)
        self._a = _CscPattern.build(
            np.concatenate([nodes, a[both], b[both]]), np.concatenate([nodes, b[both], a[both]]), (n, n)
        )
        src_a = a_in & (b >= n) & (b < n + m)
        src_b = b_in & (a >= n) & (a < n + m)
        self._s_edge = np.concatenate([np.flatnonzero(src_a), np.flatnonzero(src_b)]).astype(dtype)
        self._s = _CscPattern.build(
            np.concatenate([a[src_a], b[src_b]]), np.concatenate([b[src_a], a[src_b]]) - n, (n, m)
        )

    @cached_property
    def ordering(self) -> np.ndarray:
        """(n,) nested-dissection elimination order of A, for :func:`memxbar.solver.linalg.factorize`."""
        return nested_dissection(self.topology)

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
        n = self.topology.n_unknown
        diagonal = np.bincount(self._diag_node, weights=g[self._diag_edge], minlength=n)
        return (
            self._a.matrix(np.concatenate([diagonal, -g[self._off_edge]])),
            self._s.matrix(-g[self._s_edge]),
        )
