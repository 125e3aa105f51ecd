"""Terminal currents of a linear circuit as linear maps of the node voltages.

The current a source delivers into the circuit is the row of its known node in the nodal equations:
``P x + Q u`` (:meth:`memxbar.solver.nodal.NodalPattern.source_maps`). The input current of word line
i is that of its terminal; the output current of bit line j is minus that of its terminal (the
current flowing from the bit line into it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.compile import Circuit


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


def port_map(circuit: Circuit, p: sp.csr_matrix, q: sp.csr_matrix) -> PortMap:
    """The terminal-current maps of ``circuit`` from its source rows P (K × n) and Q (K × K).

    Args:
        circuit: The compiled circuit.
        p: Source currents per unknown node voltage (S).
        q: Source currents per known node voltage (S).

    Returns:
        The :class:`PortMap`.
    """
    md, nd = int(circuit.driven_wl.sum()), int(circuit.driven_bl.sum())
    return PortMap(out_x=-p[md:md + nd], out_v=-q[md:md + nd], in_x=p[:md], in_v=q[:md])
