"""Sparse nodal equations of a crossbar, with the sparsity pattern built once per topology.

For unknown node voltages x and source voltages V, Kirchhoff's current law reads
``A x = -S V``, where A (unknown × unknown) and S (unknown × source) are blocks of the
grounded Laplacian of the circuit graph. A is symmetric positive definite: every
unknown node reaches a source or the ground through positive line resistances.

The pattern holds, for every conductance stamp, the position of its value in the CSC
``data`` arrays of A and S, so a new set of device conductances (or a Newton Jacobian)
is a ``bincount`` over the stamps, never a rebuild. Patterns and elimination orders are
cached per geometry, so the next crossbar of the same shape and zero segments reuses them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
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


class _Structure:
    """The structural part of a :class:`NodalPattern`: where every stamp lands, and the
    elimination order. It depends only on the node numbering, so it is shared by every
    crossbar of the same geometry (see :func:`_structure_of`)."""

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
        self.diag_edge = np.concatenate([np.flatnonzero(a_in), np.flatnonzero(b_in)]).astype(dtype)
        self.diag_node = np.concatenate([a[a_in], b[b_in]])
        both = np.flatnonzero(a_in & b_in & (a != b)).astype(dtype)
        self.off_edge = np.concatenate([both, both])
        nodes = np.arange(n)
        self.a = _CscPattern.build(
            np.concatenate([nodes, a[both], b[both]]), np.concatenate([nodes, b[both], a[both]]), (n, n)
        )
        src_a = a_in & (b >= n) & (b < n + m)
        src_b = b_in & (a >= n) & (a < n + m)
        self.s_edge = np.concatenate([np.flatnonzero(src_a), np.flatnonzero(src_b)]).astype(dtype)
        self.s = _CscPattern.build(
            np.concatenate([a[src_a], b[src_b]]), np.concatenate([b[src_a], a[src_b]]) - n, (n, m)
        )

    @cached_property
    def ordering(self) -> np.ndarray:
        """(n,) nested-dissection elimination order of A."""
        return nested_dissection(self.topology)

    @property
    def nbytes(self) -> int:
        """Memory held by the index arrays, in bytes."""
        arrays = (self.diag_edge, self.diag_node, self.off_edge, self.s_edge, self.a.indices, self.a.indptr,
                  self.a.slot, self.s.indices, self.s.indptr, self.s.slot)
        return sum(array.nbytes for array in arrays)


STRUCTURE_CACHE_BYTES = 1 << 30
"""Memory the cache of structures may hold (bytes); the least recently used go first. A
1024×1024 crossbar's structure takes about 0.2 GiB and 1.3 s to build."""

_structures: OrderedDict[bytes, _Structure] = OrderedDict()
_structures_lock = threading.Lock()


def _geometry_key(topology: Topology) -> bytes:
    """A digest of everything a :class:`_Structure` is built from: the node numbering and the line edges."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(np.array([topology.n_unknown, topology.n_sources, *topology.wl_node.shape,
                            *topology.bl_node.shape], dtype=np.int64).tobytes())
    for array in (topology.wl_node, topology.bl_node, topology.line_a, topology.line_b):
        digest.update(np.ascontiguousarray(array, dtype=np.int64).data)
    return digest.digest()


def _structure_of(topology: Topology) -> _Structure:
    """The structure of ``topology``'s geometry, built once and then shared (least recently used cache)."""
    key = _geometry_key(topology)
    with _structures_lock:
        structure = _structures.get(key)
        if structure is not None:
            _structures.move_to_end(key)
            return structure
    structure = _Structure(topology)
    with _structures_lock:
        _structures[key] = structure
        while _structures and sum(item.nbytes for item in _structures.values()) > STRUCTURE_CACHE_BYTES:
            _structures.popitem(last=False)
    return structure


class NodalPattern:
    """Sparsity pattern of the nodal matrices A and S of one crossbar topology.

    Every device is stamped, open ones included (with value 0), so the pattern is the same
    for any conductance matrix of this topology. Its structure (stamp positions, elimination
    order) is shared by every crossbar of the same geometry: the same shape and the same
    zero-resistance segments, whatever the conductances and resistances.
    """

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._structure = _structure_of(topology)

    @property
    def ordering(self) -> np.ndarray:
        """(n,) nested-dissection elimination order of A, for :func:`memxbar.solver.linalg.factorize`."""
        return self._structure.ordering

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
        st = self._structure
        diagonal = np.bincount(st.diag_node, weights=g[st.diag_edge], minlength=self.topology.n_unknown)
        return st.a.matrix(np.concatenate([diagonal, -g[st.off_edge]])), st.s.matrix(-g[st.s_edge])
