"""Output and input currents as linear maps of the node voltages.

Output current I_j is the current of bit line j into the virtual ground: the sum, over
the circuit elements that join bit line j's nodes to the ground node, of g·v. Input
current I_in,i is the current leaving source i: the sum, over the elements joining the
source node to another node, of g·(V_i − v). With zero-resistance segments a device can
join a source or the ground directly; the maps include those terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from memxbar.crossbar import Crossbar
from memxbar.topology import Topology, bit_line_segments, word_line_segments


@dataclass(frozen=True, eq=False)
class PortMap:
    """I_out = out_x·x + out_v·V and I_in = in_x·x + in_v·V, x the unknown node voltages."""

    out_x: sp.csr_matrix
    """(N, n) output currents per unknown node voltage (S)."""
    out_v: sp.csr_matrix
    """(N, M) output currents per source voltage (S)."""
    in_x: sp.csr_matrix
    """(M, n) input currents per unknown node voltage (S)."""
    in_v: sp.csr_matrix
    """(M, M) input currents per source voltage (S)."""

    @cached_property
    def port_x(self) -> sp.csr_matrix:
        """(N + M, n) output then input currents per unknown node voltage (S)."""
        return sp.vstack([self.out_x, self.in_x], format="csr")

    @cached_property
    def port_v(self) -> sp.csr_matrix:
        """(N + M, M) output then input currents per source voltage (S)."""
        return sp.vstack([self.out_v, self.in_v], format="csr")

    def currents(self, x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, B) output and (M, B) input currents (A) for node voltages x and inputs v (V)."""
        return self.out_x @ x + self.out_v @ v, self.in_x @ x + self.in_v @ v


def _split(rows: np.ndarray, nodes: np.ndarray, g: np.ndarray, n: int, shape_x: tuple[int, int],
           shape_v: tuple[int, int]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Entries g at (row, node): node < n goes to the x map, a source node to the V map."""
    unknown = nodes < n
    x = sp.csr_matrix((g[unknown], (rows[unknown], nodes[unknown])), shape=shape_x)
    src = ~unknown & (nodes < n + shape_v[1])
    v = sp.csr_matrix((g[src], (rows[src], nodes[src] - n)), shape=shape_v)
    return x, v


def port_map(crossbar: Crossbar, topology: Topology) -> PortMap:
    """Build the current maps of ``crossbar`` with node numbering ``topology``.

    Args:
        crossbar: The crossbar specification.
        topology: Its node numbering (:func:`memxbar.topology.build_topology`).

    Returns:
        The :class:`PortMap`.
    """
    m, n_cols = crossbar.shape
    n = topology.n_unknown
    ground = topology.ground
    g_dev = crossbar.conductances

    # Bit-line chain elements whose lower end is the ground node, and devices on ground.
    bl_seg = bit_line_segments(crossbar)
    bl = topology.bl_node
    to_ground = (bl_seg > 0) & (bl[:, 1:] == ground)
    col, pos = np.nonzero(to_ground)
    dev_ground = topology.device_b == ground
    dev_i, dev_j = np.nonzero(dev_ground)
    out_x, out_v = _split(
        np.concatenate([col, dev_j]),
        np.concatenate([bl[col, pos], topology.device_w[dev_i, dev_j]]),
        np.concatenate([1.0 / bl_seg[col, pos], g_dev[dev_i, dev_j]]),
        n, (n_cols, n), (n_cols, m),
    )

    # Word-line chain elements leaving the source node, and devices on the source node.
    wl_seg = word_line_segments(crossbar)
    wl = topology.wl_node
    source = n + np.arange(m)[:, None]
    from_source = (wl_seg > 0) & (wl[:, :-1] == source)
    row, pos = np.nonzero(from_source)
    dev_src = topology.device_w == source
    src_i, src_j = np.nonzero(dev_src)
    g_line = 1.0 / wl_seg[row, pos]
    g_src = g_dev[src_i, src_j]
    far_x, far_v = _split(
        np.concatenate([row, src_i]),
        np.concatenate([wl[row, pos + 1], topology.device_b[src_i, src_j]]),
        np.concatenate([g_line, g_src]),
        n, (m, n), (m, m),
    )
    own = sp.csr_matrix(
        (np.concatenate([g_line, g_src]), (np.concatenate([row, src_i]), np.concatenate([row, src_i]))),
        shape=(m, m),
    )
    return PortMap(out_x=out_x, out_v=out_v, in_x=-far_x, in_v=(own - far_v).tocsr())
