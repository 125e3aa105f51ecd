"""Terminal currents of a linear circuit as linear maps of the node voltages.

Every terminal's current has two exact formulas, equal in exact arithmetic, that round differently:

- **Ohm's law** at the terminal: the current its source delivers is the row of its known node in the
  nodal equations, ``P x + Q u`` (:meth:`memxbar.solver.nodal.NodalPattern.source_maps`): for a
  driver resistance g_t, g_t·(u − x_1).
- **Kirchhoff's law** along the line: the sum of the currents leaving the line's nodes through the
  elements hanging off it (the devices of a word line: Σ_k g_k·(W_k − B_k)).

Node voltages carry an error of about ε·s, with s the node voltages' scale (max |u|: in a network of
resistors every node voltage lies between the extreme source voltages) and ε the unit roundoff. So
Ohm's law is accurate to about ε·s·g_t/|I| relative (ε·|V|/|ΔV| for the drop ΔV = I/g_t across the
terminal's resistance), and Kirchhoff's law to about ε·s·Σ_k g_k/|I| (the sum's own rounding,
ε·Σ|I_k|/|I|, is below that, as |I_k| ≤ g_k·2s). Both bounds share s/|I|, so for each terminal
:func:`port_map` takes the formula whose conductance is smaller: Ohm's law where the terminal's
resistance is large against the line's devices (a 1 MΩ sense input), Kirchhoff's law where it is small
(a 1e-4 Ω segment, whose drop V − W_0 carries few correct digits); the same choice holds for every
input vector. The input current of word line i is that of its terminal; the output current of bit line
j is minus that of its terminal (the current flowing from the bit line into it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.compile import Circuit
from memxbar.circuit.elements import Resistors


@dataclass(frozen=True, eq=False)
class PortMap:
    """I_out = out_x·x + out_v·u and I_in = in_x·x + in_v·u over the driven terminals; x the unknown
    node voltages, u the known ones."""

    out_x: sp.csr_matrix
    """(N_driven, n) output currents per unknown node voltage (S)."""
    out_v: sp.csr_matrix
    """(N_driven, K) output currents per known node voltage (S)."""
    in_x: sp.csr_matrix
    """(M_driven, n) input currents per unknown node voltage (S)."""
    in_v: sp.csr_matrix
    """(M_driven, K) input currents per known node voltage (S)."""

    @cached_property
    def port_x(self) -> sp.csr_matrix:
        """(N_driven + M_driven, n) output then input currents per unknown node voltage (S)."""
        return sp.vstack([self.out_x, self.in_x], format="csr")

    @cached_property
    def port_v(self) -> sp.csr_matrix:
        """(N_driven + M_driven, K) output then input currents per known node voltage (S)."""
        return sp.vstack([self.out_v, self.in_v], format="csr")

    def currents(self, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N_driven, B) output and (M_driven, B) input currents (A) for node voltages x and u (V)."""
        return self.out_x @ x + self.out_v @ u, self.in_x @ x + self.in_v @ u


def line_sums(circuit: Circuit, chains: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Kirchhoff's law along L lines of a linear circuit: the current leaving each line's nodes through
    the elements that are not line resistors, as a map of all node voltages.

    Args:
        circuit: The compiled circuit (linear groups).
        chains: (L, P) node of each position of each line (``circuit.wl_node`` or ``bl_node`` rows).

    Returns:
        (L, n_nodes) map (S) and (L,) total conductance of those elements at the line (S), Σ_k g_k.
    """
    on_chain = np.full(circuit.n_nodes, -1, dtype=np.int64)
    for line, chain in enumerate(chains):
        on_chain[chain[chain >= 0]] = line
    rows, cols, values = [], [], []
    weight = np.zeros(chains.shape[0])
    for group in circuit.groups:
        if isinstance(group, Resistors):
            continue
        stamps = group.conductance_stamps()
        line = on_chain[group.nodes]
        element, terminal = np.nonzero(line >= 0)
        width = group.nodes.shape[1]
        rows.append(np.repeat(line[element, terminal], width))
        cols.append(group.nodes[element].ravel())
        values.append(stamps[element, terminal].ravel())
        np.add.at(weight, line[element, terminal], np.abs(stamps[element, terminal, terminal]))
    sums = sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(chains.shape[0], circuit.n_nodes))
    sums.sum_duplicates()
    return sums, weight


def _better(ohm: sp.csr_matrix, kirchhoff: sp.csr_matrix, use_kirchhoff: np.ndarray) -> sp.csr_matrix:
    """The rows of ``kirchhoff`` where ``use_kirchhoff``, else those of ``ohm``."""
    rows = np.arange(use_kirchhoff.size) + np.where(use_kirchhoff, use_kirchhoff.size, 0)
    return sp.vstack([ohm, kirchhoff], format="csr")[rows]


def source_map(circuit: Circuit, p: sp.csr_matrix, q: sp.csr_matrix) -> PortMap:
    """The terminal-current maps of ``circuit`` by Ohm's law at every terminal: its source rows P (K × n)
    and Q (K × K) (S). They depend on the devices only through x (the form the adjoint needs).

    Args:
        circuit: The compiled circuit.
        p: Source currents per unknown node voltage (S).
        q: Source currents per known node voltage (S).

    Returns:
        The :class:`PortMap`.
    """
    md, nd = int(circuit.driven_wl.sum()), int(circuit.driven_bl.sum())
    return PortMap(out_x=-p[md:md + nd], out_v=-q[md:md + nd], in_x=p[:md], in_v=q[:md])


def port_map(circuit: Circuit, p: sp.csr_matrix, q: sp.csr_matrix) -> PortMap:
    """The terminal-current maps of ``circuit`` from its source rows P (K × n) and Q (K × K): for each
    terminal, Ohm's law (the source row) or Kirchhoff's law along its line, whichever rounds less (see
    the module docstring).

    Args:
        circuit: The compiled circuit (linear groups).
        p: Source currents per unknown node voltage (S).
        q: Source currents per known node voltage (S).

    Returns:
        The :class:`PortMap`.
    """
    n = circuit.n_unknown
    md, nd = int(circuit.driven_wl.sum()), int(circuit.driven_bl.sum())
    ohm = sp.hstack([p[:md + nd], q[:md + nd]], format="csr")
    terminal = np.abs(q.diagonal()[:md + nd])
    wl_sums, wl_weight = line_sums(circuit, circuit.wl_node[circuit.driven_wl])
    bl_sums, bl_weight = line_sums(circuit, circuit.bl_node[circuit.driven_bl])
    kirchhoff = sp.vstack([wl_sums, bl_sums], format="csr")
    chosen = _better(ohm, kirchhoff, terminal > np.concatenate([wl_weight, bl_weight]))
    x, v = chosen[:, :n], chosen[:, n:]
    return PortMap(out_x=-x[md:], out_v=-v[md:], in_x=x[:md], in_v=v[:md])
