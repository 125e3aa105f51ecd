"""Circuit graph of a crossbar: which physical points are one electrical node, and how nodes connect.

Both backends start from this module, so they simulate the same circuit by construction.

Each word line i is a chain of N + 2 *positions*: 0 the ideal source V_i, 1 the driver
output, 2 + j the word-line node W[i, j]. Consecutive positions are joined by the
driver resistance and the N word-line segments. Each bit line j is a chain of M + 2
positions: i the bit-line node B[i, j], M the sense node, M + 1 the virtual ground.
Consecutive positions are joined by the M bit-line segments and the sense resistance.

A zero-resistance segment merges its two positions into one node; every node is named
by its *representative*, the first position of its run of merged positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.crossbar import Crossbar


def chain_representatives(segments: np.ndarray) -> np.ndarray:
    """Representative position of every position in a set of resistor chains.

    Args:
        segments: (K, L) resistances in ohms of K chains of L segments each; segment k
            joins positions k and k + 1.

    Returns:
        (K, L + 1) integer array: for each position, the first position of the run of
        zero-resistance segments it belongs to.
    """
    k, length = segments.shape
    start = np.zeros((k, length + 1), dtype=np.int64)
    start[:, 1:] = np.where(segments > 0, np.arange(1, length + 1), 0)
    return np.maximum.accumulate(start, axis=1)


def word_line_segments(crossbar: Crossbar) -> np.ndarray:
    """(M, N + 1) resistances along each word-line chain: driver, then N segments (Ω)."""
    return np.column_stack([crossbar.r_driver, crossbar.r_wl])


def bit_line_segments(crossbar: Crossbar) -> np.ndarray:
    """(N, M + 1) resistances along each bit-line chain: M segments, then the sense (Ω)."""
    return np.column_stack([crossbar.r_bl.T, crossbar.r_sense])


@dataclass(frozen=True, eq=False)
class Topology:
    """Node numbering of a crossbar after merging zero-resistance segments.

    Nodes are numbered for nodal analysis: unknown nodes ``0 … n_unknown-1``, then the M
    source nodes, then one ground node at 0 V shared by all virtual grounds.
    """

    wl_rep: np.ndarray
    """(M, N + 2) representative position of each word-line chain position."""
    bl_rep: np.ndarray
    """(N, M + 2) representative position of each bit-line chain position."""
    wl_node: np.ndarray
    """(M, N + 2) node index of each word-line chain position."""
    bl_node: np.ndarray
    """(N, M + 2) node index of each bit-line chain position."""
    n_unknown: int
    """Number of nodes whose voltage is unknown."""
    line_a: np.ndarray
    """(L,) first node of each line resistor with non-zero resistance."""
    line_b: np.ndarray
    """(L,) second node of each such line resistor."""
    line_g: np.ndarray
    """(L,) conductance in siemens of each such line resistor."""

    @property
    def n_sources(self) -> int:
        """Number of input sources (word lines) M."""
        return self.wl_node.shape[0]

    @property
    def ground(self) -> int:
        """Index of the 0 V node."""
        return self.n_unknown + self.n_sources

    @property
    def device_w(self) -> np.ndarray:
        """(M, N) node index of the word-line terminal of each device."""
        return self.wl_node[:, 2:]

    @property
    def device_b(self) -> np.ndarray:
        """(M, N) node index of the bit-line terminal of each device."""
        return self.bl_node[:, :-2].T


def build_topology(crossbar: Crossbar) -> Topology:
    """Merge zero-resistance segments and number the nodes of ``crossbar``.

    Args:
        crossbar: The crossbar specification.

    Returns:
        Its :class:`Topology`.
    """
    m, n = crossbar.shape
    wl_seg = word_line_segments(crossbar)
    bl_seg = bit_line_segments(crossbar)
    wl_rep = chain_representatives(wl_seg)
    bl_rep = chain_representatives(bl_seg)

    # Global ids of representatives: word-line chains first, then bit-line chains.
    wl_gid = np.arange(m)[:, None] * (n + 2) + wl_rep
    bl_gid = m * (n + 2) + np.arange(n)[:, None] * (m + 2) + bl_rep
    wl_fixed = wl_rep == 0
    bl_fixed = bl_rep == bl_rep[:, -1:]

    is_unknown = np.zeros(m * (n + 2) + n * (m + 2), dtype=bool)
    is_unknown[wl_gid[~wl_fixed]] = True
    is_unknown[bl_gid[~bl_fixed]] = True
    index = np.cumsum(is_unknown) - 1
    n_unknown = int(is_unknown.sum())

    wl_node = np.where(wl_fixed, n_unknown + np.arange(m)[:, None], index[wl_gid])
    bl_node = np.where(bl_fixed, n_unknown + m, index[bl_gid])

    wl_pos = wl_seg > 0
    bl_pos = bl_seg > 0
    line_a = np.concatenate([wl_node[:, :-1][wl_pos], bl_node[:, :-1][bl_pos]])
    line_b = np.concatenate([wl_node[:, 1:][wl_pos], bl_node[:, 1:][bl_pos]])
    line_g = np.concatenate([1.0 / wl_seg[wl_pos], 1.0 / bl_seg[bl_pos]])
    return Topology(wl_rep, bl_rep, wl_node, bl_node, n_unknown, line_a, line_b, line_g)
