"""Geometric nested-dissection ordering of a crossbar's unknown nodes.

A crossbar's circuit graph is two interleaved grids: word-line nodes W[i, j] joined along
rows, bit-line nodes B[i, j] joined along columns, and one device between W[i, j] and
B[i, j]. Cutting between columns c and c + 1 severs only word-line segments, so the
word-line nodes at column c alone separate the two halves; cutting between rows r and
r + 1 severs only bit-line segments, so the bit-line nodes at row r separate them.
Recursively halving the longer side of the array and numbering each separator after both
halves is nested dissection (A. George, "Nested dissection of a regular finite element
mesh", SIAM J. Numer. Anal. 10(2), 345–363, 1973): the Cholesky factor of an n-node
crossbar then has O(n log n) entries and costs O(n^1.5) operations.

The cuts depend on coordinates only, so every box of one level is cut the same way and
each node's place in the order follows from a few table look-ups on its row and column.
Nodes merged by zero-resistance segments span a range of positions along their line; a
node whose span reaches the cut joins the separator, which keeps every separator valid
whatever the parasitics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.circuit.compile import Circuit

LEAF_SIZE = 16
"""Boxes of at most about this many nodes are not cut further."""


@dataclass(frozen=True)
class _Axis:
    """Repeated halving of the coordinates 0 … length-1 of one axis."""

    cut: np.ndarray
    """(levels, length): at each level, the cut c (halves [a, c] and [c + 1, b]) of the
    interval holding each coordinate; -1 where that interval is a single coordinate."""
    widest: list[int]
    """Length of the widest interval before each level, and after the last one."""

    @classmethod
    def bisect(cls, length: int) -> _Axis:
        x = np.arange(length)
        a, b = np.zeros(length, dtype=np.int64), np.full(length, length - 1, dtype=np.int64)
        cuts, widest = [], [length]
        while widest[-1] > 1:
            c = np.where(b > a, (a + b - 1) // 2, -1)
            second = (c >= 0) & (x > c)
            cuts.append(c)
            a, b = np.where(second, c + 1, a), np.where((c >= 0) & ~second, c, b)
            widest.append(int((b - a).max()) + 1)
        return cls(np.array(cuts, dtype=np.int64).reshape(-1, length), widest)

    def second_half(self, level: int) -> np.ndarray:
        """(length,) whether each coordinate falls in the second half at ``level``."""
        c = self.cut[level]
        return (c >= 0) & (np.arange(c.size) > c)


def _runs(chains: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unknown nodes of (K, L) chains: id, chain, and first and last position along it.

    Unknown nodes are numbered in chain order, so each node's positions form one run.
    """
    flat = chains.ravel()
    where = np.flatnonzero((flat >= 0) & (flat < n))
    node = flat[where]
    if node.size == 0:
        return node, node, node, node
    start = np.flatnonzero(np.diff(node, prepend=-1))
    first, last = where[start], where[np.append(start[1:], node.size) - 1]
    width = chains.shape[1]
    return node[start], first // width, first % width, last % width


def nested_dissection(circuit: Circuit, leaf_size: int = LEAF_SIZE) -> np.ndarray:
    """Fill-reducing elimination order of the unknown nodes of a compiled crossbar.

    A cell's internal nodes lie inside its own box and are never separators.

    Args:
        circuit: The compiled crossbar (its node numbering and grid geometry).
        leaf_size: Boxes of at most about this many nodes are numbered as they are.

    Returns:
        (n_unknown,) permutation: ``order[k]`` is the node eliminated k-th.
    """
    n = circuit.n_unknown
    m, cols = circuit.shape
    # Coordinates: rows 0 … M (the sense nodes are row M), columns 0 … N (the drivers are
    # column 0, word-line node W[i, j] column j + 1).
    w_id, w_row, w_lo, w_hi = _runs(circuit.wl_node[:, 1:], n)
    b_id, b_col, b_lo, b_hi = _runs(circuit.bl_node[:, :-1], n)
    rows_axis, cols_axis = _Axis.bisect(m + 1), _Axis.bisect(cols + 1)

    # One schedule for all boxes: cut the axis whose widest interval is longer, until the
    # boxes are small; each cut appends one bit to the path of every box.
    schedule: list[tuple[_Axis, int]] = []
    counts = {id(rows_axis): 0, id(cols_axis): 0}
    while True:
        height, width = rows_axis.widest[counts[id(rows_axis)]], cols_axis.widest[counts[id(cols_axis)]]
        if height * width * 2 <= leaf_size or (height == 1 and width == 1):
            break
        axis = cols_axis if width >= height else rows_axis
        schedule.append((axis, counts[id(axis)]))
        counts[id(axis)] += 1
    depth_max = len(schedule)
    row_bits, col_bits = np.zeros(m + 1, dtype=np.int64), np.zeros(cols + 1, dtype=np.int64)
    for t, (axis, level) in enumerate(schedule):
        bits = row_bits if axis is rows_axis else col_bits
        bits |= axis.second_half(level).astype(np.int64) << (depth_max - 1 - t)

    leaf = np.empty(n, dtype=np.int64)
    leaf[w_id] = row_bits[w_row] | col_bits[w_lo]
    leaf[b_id] = row_bits[b_lo] | col_bits[b_col + 1]
    # A word-line node is separated by the first column cut within its span, a bit-line
    # node by the first row cut within its span; the others end in a leaf box.
    cell_i, cell_j, _ = np.nonzero(circuit.cell_node >= 0)
    cell_id = circuit.cell_node[circuit.cell_node >= 0]
    leaf[cell_id] = row_bits[cell_i] | col_bits[cell_j + 1]
    depth = np.full(n, depth_max, dtype=np.int64)
    for ids, lo, hi, cutting in ((w_id, w_lo, w_hi, cols_axis), (b_id, b_lo, b_hi, rows_axis)):
        found = np.full(ids.size, depth_max, dtype=np.int64)
        for t, (axis, level) in enumerate(schedule):
            if axis is cutting:
                c = axis.cut[level][lo]
                found[(found == depth_max) & (c >= lo) & (c <= hi)] = t
        depth[ids] = found
    # Post-order: a box's separator after all of both halves; a separator shares its key
    # with the separators of its last descendants, so deeper ones go first.
    shift = depth_max - depth
    key = (((leaf >> shift) + 1) << shift) * 64 + (63 - depth)
    return np.argsort(key, kind="stable")
