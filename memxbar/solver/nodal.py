"""Sparse nodal equations of a compiled circuit, with the sparsity pattern built once per geometry.

For unknown node voltages x and known (source) voltages u, Kirchhoff's current law at the unknown
nodes of a linear circuit reads ``A x = −S u``; at the known nodes, the currents the sources deliver
are ``P x + Q u``. A, S, P and Q are the blocks of the circuit's nodal admittance matrix Y, the sum of
every element's (T × T) stamp at its nodes (:mod:`memxbar.circuit.elements`). For passive circuits Y
is symmetric, so P = Sᵀ, and A is positive definite: every unknown node reaches a source through
positive conductances.

The pattern holds, for every stamp, the position of its value in the CSC ``data`` arrays of the four
blocks, so new element values (new conductances, or a Newton Jacobian) are a ``bincount`` over the
stamps, never a rebuild. The assembler knows nothing of crossbars: it loops over element groups.
Patterns and elimination orders are cached per geometry (the node indices of every element), so
the next circuit of the same shape and zero segments reuses them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.compile import Circuit
from memxbar.solver.ordering import nested_dissection


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
    stamp: np.ndarray
    """Which of all stamps of the circuit each stamp of this block is."""

    @classmethod
    def build(cls, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], stamp: np.ndarray) -> _CscPattern:
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
        return cls(shape, tagged.indices, tagged.indptr, slot, stamp.astype(dtype))

    def matrix(self, values: np.ndarray) -> sp.csc_matrix:
        """The block with the given values of all stamps of the circuit."""
        data = np.bincount(self.slot, weights=values[self.stamp], minlength=self.indices.size)
        return sp.csc_matrix((data, self.indices, self.indptr), shape=self.shape)

    @property
    def nbytes(self) -> int:
        return self.indices.nbytes + self.indptr.nbytes + self.slot.nbytes + self.stamp.nbytes


class _Structure:
    """Where every stamp of a circuit lands in the blocks A, S, P, Q, and the elimination order.

    It depends only on the node indices of the elements, so it is shared by every circuit of the
    same geometry (see :func:`_structure_of`).
    """

    def __init__(self, circuit: Circuit) -> None:
        # Only the grid geometry is kept (for the ordering), not the circuit and its element values.
        self.geometry = SimpleNamespace(n_unknown=circuit.n_unknown, shape=circuit.shape, wl_node=circuit.wl_node,
                                        bl_node=circuit.bl_node, cell_node=circuit.cell_node)
        n, k = circuit.n_unknown, circuit.n_known
        rows = np.concatenate([np.broadcast_to(g.nodes[:, :, None], (g.size, *(g.nodes.shape[1],) * 2)).ravel()
                               for g in circuit.groups])
        cols = np.concatenate([np.broadcast_to(g.nodes[:, None, :], (g.size, *(g.nodes.shape[1],) * 2)).ravel()
                               for g in circuit.groups])
        stamp = np.arange(rows.size)
        row_in, col_in = rows < n, cols < n
        blocks = {}
        for name, mask, shape in (("a", row_in & col_in, (n, n)), ("s", row_in & ~col_in, (n, k)),
                                  ("p", ~row_in & col_in, (k, n)), ("q", ~row_in & ~col_in, (k, k))):
            r = rows[mask] - (0 if name in "as" else n)
            c = cols[mask] - (0 if name in "ap" else n)
            blocks[name] = _CscPattern.build(r, c, shape, stamp[mask])
        self.a, self.s, self.p, self.q = blocks["a"], blocks["s"], blocks["p"], blocks["q"]

    @cached_property
    def ordering(self) -> np.ndarray:
        """(n,) nested-dissection elimination order of A."""
        return nested_dissection(self.geometry)

    @property
    def nbytes(self) -> int:
        """Memory held by the index arrays, the geometry and the ordering (counted before it is made), in bytes."""
        g = self.geometry
        return (sum(block.nbytes for block in (self.a, self.s, self.p, self.q))
                + g.wl_node.nbytes + g.bl_node.nbytes + g.cell_node.nbytes + 8 * g.n_unknown)


STRUCTURE_CACHE_BYTES = 1 << 30
"""Memory the cache of structures may hold (bytes); the least recently used go first. A
1024×1024 crossbar's structure takes a few hundred MiB and about a second to build."""

_structures: OrderedDict[bytes, _Structure] = OrderedDict()
_structures_lock = threading.Lock()


def _geometry_key(circuit: Circuit) -> bytes:
    """A digest of everything a :class:`_Structure` is built from: node counts and element nodes."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(np.array([circuit.n_unknown, circuit.n_known, *circuit.wl_node.shape, *circuit.bl_node.shape,
                            *circuit.cell_node.shape], dtype=np.int64).tobytes())
    for array in (circuit.wl_node, circuit.bl_node, circuit.cell_node, *(g.nodes for g in circuit.groups)):
        digest.update(np.array(array.shape, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(array, dtype=np.int64).data)
    return digest.digest()


def _structure_of(circuit: Circuit) -> _Structure:
    """The structure of ``circuit``'s geometry, built once and then shared (least recently used cache)."""
    key = _geometry_key(circuit)
    with _structures_lock:
        structure = _structures.get(key)
        if structure is not None:
            _structures.move_to_end(key)
            return structure
    structure = _Structure(circuit)
    with _structures_lock:
        _structures[key] = structure
        while _structures and sum(item.nbytes for item in _structures.values()) > STRUCTURE_CACHE_BYTES:
            _structures.popitem(last=False)
    return structure


class NodalPattern:
    """Sparsity pattern of the nodal matrices of one circuit geometry.

    Every element is stamped, open devices included (with value 0), so the pattern is the same for
    any conductance matrix of this geometry: the same shape, cell and zero-resistance segments.
    """

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit
        self._structure = _structure_of(circuit)

    @property
    def ordering(self) -> np.ndarray:
        """(n,) nested-dissection elimination order of A, for :func:`memxbar.solver.linalg.factorize`."""
        return self._structure.ordering

    @staticmethod
    def values(stamps: Sequence[np.ndarray]) -> np.ndarray:
        """All stamps of the circuit as one array, from each group's (K, T, T) stamps in group order."""
        return np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in stamps])

    def linear_stamps(self) -> list[np.ndarray]:
        """Each group's constant stamps (S); zero for nonlinear groups."""
        return [g.conductance_stamps() if g.linear else np.zeros((g.size, *(g.nodes.shape[1],) * 2))
                for g in self.circuit.groups]

    def matrices(self, values: np.ndarray) -> tuple[sp.csc_matrix, sp.csc_matrix]:
        """A (n × n) and S (n × known) for the given stamp values (from :meth:`values`), in siemens."""
        st = self._structure
        return st.a.matrix(values), st.s.matrix(values)

    def source_maps(self, values: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """P (known × n) and Q (known × known): the currents the sources deliver are P x + Q u."""
        st = self._structure
        return st.p.matrix(values).tocsr(), st.q.matrix(values).tocsr()
