"""The result of a crossbar simulation, the same type whichever backend produced it.

:func:`assemble_solution` builds every :class:`Solution` from the solved node voltages and the
compiled circuit's element arrays, for every backend: device voltages and currents from the device
model at the solved voltages, the current of every driven terminal, and power per element class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from memxbar.circuit.bias import Bias
from memxbar.circuit.compile import Circuit
from memxbar.circuit.elements import Devices, ElementGroup, Resistors
from memxbar.crossbar import Crossbar
from memxbar.errors import NotComputedError

if TYPE_CHECKING:
    from memxbar.solver.accuracy import KclCheck

POWER_CLASSES = ("devices", "word_lines", "bit_lines", "access", "drivers", "sense")
"""Element classes whose dissipated power a solution reports (``power_<class>``)."""


@dataclass(frozen=True, eq=False)
class Solution:
    """Currents, voltages and power of a solved crossbar.

    Shapes follow the input: for voltages of shape (M,) every array below is unbatched, for (M, B)
    it gains a trailing batch axis of length B, and per-vector scalars such as the powers become
    (B,) arrays. Units are SI: V, A, W, s. Currents of floating terminals are NaN.

    An *outputs-only* solution (``simulate(..., outputs_only=True)``) keeps no node voltages:
    ``wl_voltages``, ``bl_voltages``, ``device_voltages`` and ``device_currents`` are None, and the
    powers of element classes raise :class:`~memxbar.errors.NotComputedError`. Its terminal currents,
    and so ``power_drivers``, ``power_sense`` and ``power_total``, are exact.
    """

    crossbar: Crossbar
    """The simulated crossbar."""
    voltages: np.ndarray
    """(M,) or (M, B) word-line terminal voltages in volts (V) (0 where floating)."""
    output_currents: np.ndarray
    """(N,) or (N, B) currents in amperes (A) flowing from each bit line into its terminal (the virtual
    ground of a sense amplifier when it is held at 0 V); NaN where the bit line floats."""
    input_currents: np.ndarray
    """(M,) or (M, B) currents in amperes (A) each word-line terminal delivers into its line; NaN where
    the word line floats."""
    backend: str
    """Name of the backend that produced this solution (``"fast"`` or ``"spice"``)."""
    wall_time: float
    """Wall-clock time the backend took, in seconds (s)."""
    bias: Bias | None = None
    """The terminal conditions that were solved."""
    method: str | None = None
    """How the fast backend solved: ``"direct"`` (sparse factorisation), ``"weights"``
    (effective weights, then one product per vector), ``"iterative"`` (conjugate gradients) or
    ``"newton"``; None for ngspice."""
    phase_times: dict[str, float] | None = None
    """Wall time of each phase of the backend in seconds (s), where it reports them: the ngspice
    backend's ``netlist`` (writing it), ``load`` (handing it to ngspice), ``parse`` (ngspice parsing
    it), ``run`` (ngspice's analyses) and ``read`` (reading results back)."""
    compiled: Circuit | None = field(default=None, repr=False)
    """The compiled circuit, if the backend made it (else :attr:`circuit` compiles it when first asked for)."""
    nodes: np.ndarray | Callable[[Circuit], np.ndarray] | None = field(default=None, repr=False)
    """(n_nodes, B) voltage of every node of :attr:`circuit` in volts (V), or the function that arranges
    them in that order from the circuit (a solver that found them in its own order: the line solver's word-
    and bit-line voltages, arranged when first read); None if outputs-only. Read :attr:`node_voltages`."""
    source_powers: np.ndarray | None = field(default=None, repr=False)
    """(B,) power delivered by all sources, Σ u·I, in watts (W)."""
    accuracy: np.ndarray | float | None = None
    """The achieved relative KCL residual per input vector where the backend computed it while solving
    (see :attr:`kcl_residual`), else None."""

    @cached_property
    def circuit(self) -> Circuit:
        """The compiled circuit that was solved (:func:`~memxbar.circuit.compile.compile_circuit` of the crossbar
        with the bias's floating terminals)."""
        if self.compiled is not None:
            return self.compiled
        from memxbar.circuit.compile import compile_circuit

        return compile_circuit(self.crossbar, self.bias.floating_wl, self.bias.floating_bl)

    @property
    def outputs_only(self) -> bool:
        """Whether this solution keeps only terminal currents, no node voltages."""
        return self.nodes is None

    @cached_property
    def node_voltages(self) -> np.ndarray | None:
        """(n_nodes, B) voltage of every node of :attr:`circuit` in volts (V); None if outputs-only."""
        return self.nodes(self.circuit) if callable(self.nodes) else self.nodes

    @cached_property
    def kcl_residual(self) -> np.ndarray | float | None:
        """Achieved accuracy, per input vector: the largest Kirchhoff-current-law residual at any unknown
        node, recomputed element by element from the node voltages, relative to the largest current
        through any node (dimensionless; see :mod:`memxbar.solver.accuracy`). Computed while solving, or
        from the node voltages when first asked for; None for an outputs-only solution whose solver did
        not compute it (the effective weights)."""
        if self.accuracy is not None or self.outputs_only:
            return self.accuracy
        residual = self.kcl_check.residual
        return residual if self.batched else float(residual[0])

    @cached_property
    def kcl_check(self) -> KclCheck:
        """Kirchhoff's current law checked element by element on the node voltages (once, when first asked
        for): per input vector the relative residual, its rounding floor and the largest node current
        (:class:`~memxbar.solver.accuracy.KclCheck`).

        Raises:
            NotComputedError: For an outputs-only solution.
        """
        if self.outputs_only:
            raise NotComputedError(
                "the KCL check needs node voltages, which an outputs-only solution does not keep; "
                "simulate with outputs_only=False"
            )
        from memxbar.solver.accuracy import check

        return check(self.circuit, self.node_voltages)

    @property
    def batched(self) -> bool:
        """Whether the inputs were a batch (M, B) rather than a single vector (M,)."""
        return self.voltages.ndim == 2

    def _shaped(self, array: np.ndarray) -> np.ndarray:
        return array if self.batched else array[..., 0]

    @cached_property
    def wl_voltages(self) -> np.ndarray | None:
        """(M, N[, B]) word-line node voltages W[i, j] in volts (V); None if outputs-only."""
        return None if self.outputs_only else self._shaped(self.node_voltages[self.circuit.w_node])

    @cached_property
    def bl_voltages(self) -> np.ndarray | None:
        """(M, N[, B]) bit-line node voltages B[i, j] in volts (V); None if outputs-only."""
        return None if self.outputs_only else self._shaped(self.node_voltages[self.circuit.b_node])

    @cached_property
    def _memristors(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(M, N, B) voltage across and current through every memristor (0 where a cell is open)."""
        if self.outputs_only:
            return None
        m, n = self.crossbar.shape
        devices = self.circuit.devices
        terminal = self.node_voltages[devices.nodes]
        vd = terminal[:, 0] - terminal[:, 1]
        voltage = np.zeros((m * n, vd.shape[1]))
        current = np.zeros_like(voltage)
        voltage[devices.cell] = vd
        current[devices.cell] = devices.current(vd)
        return voltage.reshape(m, n, -1), current.reshape(m, n, -1)

    @property
    def memristor_voltages(self) -> np.ndarray | None:
        """(M, N[, B]) voltage across each memristor (its word-line side minus its bit-line side; for cells
        with an access device, across the memristor alone), in volts (V); None if outputs-only."""
        return None if self._memristors is None else self._shaped(self._memristors[0])

    @property
    def device_currents(self) -> np.ndarray | None:
        """(M, N[, B]) current through each memristor towards the bit line, in amperes (A); None if
        outputs-only."""
        return None if self._memristors is None else self._shaped(self._memristors[1])

    def _per_vector(self, batched_value: np.ndarray) -> np.ndarray | float:
        return batched_value if self.batched else float(batched_value[0])

    def _batched(self, array: np.ndarray) -> np.ndarray:
        return array if self.batched else array[..., None]

    @cached_property
    def ideal_currents(self) -> np.ndarray:
        """(N,) or (N, B) ideal output currents Gᵀ·V in amperes (A): linear devices, ideal wires, each device
        at its word line's terminal voltage minus its bit line's; NaN for floating bit lines (floating word
        lines carry no current in this reference)."""
        from memxbar.reference import ideal_wire_currents

        return ideal_wire_currents(self.crossbar, self.voltages, self.bias, linear=True)

    @cached_property
    def ideal_wire_currents(self) -> np.ndarray:
        """(N,) or (N, B) output currents of the same devices with ideal wires (A): the reference that separates
        IR drop from device nonlinearity (see :func:`memxbar.reference.ideal_wire_currents`)."""
        from memxbar.reference import ideal_wire_currents

        return ideal_wire_currents(self.crossbar, self.voltages, self.bias)

    @cached_property
    def deviation(self) -> np.ndarray:
        """(N,) or (N, B) output current minus its ideal value Gᵀ·V, in amperes (A)."""
        return self.output_currents - self.ideal_currents

    @cached_property
    def relative_deviation(self) -> np.ndarray | float:
        """Per input vector: max_j |I_j − (GᵀV)_j| / max_j |(GᵀV)_j| over driven bit lines (dimensionless).

        NaN for an input vector whose ideal currents are all zero.
        """
        from memxbar.reference import relative_to

        return relative_to(self.output_currents, self.ideal_currents)

    @cached_property
    def element_powers(self) -> dict[str, np.ndarray]:
        """(B,) power dissipated per element class (W), keyed by the names of :data:`POWER_CLASSES`.

        Raises:
            NotComputedError: For an outputs-only solution.
        """
        if self.outputs_only:
            raise NotComputedError(
                "element powers need node voltages, which an outputs-only solution does not keep; "
                "simulate with outputs_only=False"
            )
        return element_powers(self.crossbar, self.circuit, self.node_voltages)

    def _power(self, name: str) -> np.ndarray | float:
        if self.outputs_only:
            raise NotComputedError(
                f"power_{name} needs node voltages, which an outputs-only solution does not keep; "
                "simulate with outputs_only=False"
            )
        return self._per_vector(self.element_powers[name])

    @property
    def power_devices(self) -> np.ndarray | float:
        """Power dissipated in all memristors, per input vector, in watts (W)."""
        return self._power("devices")

    @property
    def power_word_lines(self) -> np.ndarray | float:
        """Power dissipated in all word-line segments, per input vector, in watts (W)."""
        return self._power("word_lines")

    @property
    def power_bit_lines(self) -> np.ndarray | float:
        """Power dissipated in all bit-line segments, per input vector, in watts (W)."""
        return self._power("bit_lines")

    @property
    def power_access(self) -> np.ndarray | float:
        """Power dissipated in the cells' access devices (transistors, selectors), per vector, in watts (W)."""
        return self._power("access")

    @cached_property
    def power_drivers(self) -> np.ndarray | float:
        """Power dissipated in the driver output resistances, per input vector, in watts (W)."""
        i_in = np.nan_to_num(self._batched(self.input_currents), nan=0.0)
        return self._per_vector(np.einsum("i,ib->b", self.crossbar.r_driver, i_in**2))

    @cached_property
    def power_sense(self) -> np.ndarray | float:
        """Power dissipated in the sense-amplifier input resistances, per input vector, in watts (W)."""
        i_out = np.nan_to_num(self._batched(self.output_currents), nan=0.0)
        return self._per_vector(np.einsum("j,jb->b", self.crossbar.r_sense, i_out**2))

    @property
    def device_voltages(self) -> np.ndarray:
        """(M, N[, B]) voltage across each memristor in volts (V) (see :attr:`memristor_voltages`).

        Raises:
            NotComputedError: For an outputs-only solution.
        """
        if self.outputs_only:
            raise NotComputedError("device_voltages needs node voltages, which an outputs-only solution does not "
                                   "keep; simulate with outputs_only=False")
        return self.memristor_voltages

    @property
    def power_total(self) -> np.ndarray | float:
        """Power delivered by all sources, Σ u·I over every driven terminal and select line, per input
        vector, in watts (W). Equals the sum of the dissipated powers above, up to solver precision."""
        return self._per_vector(self.source_powers)


def source_power(bias: Bias, input_currents: np.ndarray, output_currents: np.ndarray) -> np.ndarray:
    """(B,) power delivered by the terminals (W): Σ V_wl·I_in − Σ V_bl·I_out over driven lines."""
    delivered = bias.wl_voltages * input_currents
    absorbed = bias.bl_voltages * output_currents
    # NaN where a line floats (np.nan_to_num would also clip infinities, and costs 30 µs a call).
    return (np.where(np.isnan(delivered), 0.0, delivered).sum(axis=0)
            - np.where(np.isnan(absorbed), 0.0, absorbed).sum(axis=0))


def terminal_currents(circuit: Circuit, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, B) input and (N, B) output currents (A, NaN where floating) from the (K, B) currents the
    known nodes' sources deliver (in :meth:`~memxbar.circuit.compile.Circuit.known_voltages` order)."""
    m, n = circuit.shape
    batch = source.shape[1]
    i_in = np.full((m, batch), np.nan)
    i_out = np.full((n, batch), np.nan)
    md, nd = int(circuit.driven_wl.sum()), int(circuit.driven_bl.sum())
    i_in[circuit.driven_wl] = source[:md]
    i_out[circuit.driven_bl] = -source[md:md + nd]
    return i_in, i_out


def _group_currents(circuit: Circuit, nodes: np.ndarray) -> list[tuple[ElementGroup, np.ndarray, np.ndarray]]:
    """Terminal voltages (K, T, B) and currents (K, T, B) of every group that is not a line resistor."""
    out = []
    for group in circuit.groups:
        if not isinstance(group, Resistors):
            v = nodes[group.nodes]
            out.append((group, v, group.currents(v)))
    return out


def _line_totals(circuit: Circuit, chain: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, B) sum, over L line chains, of the currents from each chain's nodes into the elements hanging
    off it: by Kirchhoff's law, what the line's terminal delivers (A); and (L, B) the total small-signal
    conductance of those elements at the chain, Σ_k |∂i_k/∂v| (S), which sets its rounding error.

    Two-terminal devices are evaluated from their voltage alone, one (K, B) array, with the current
    counted +i at a node of the chain where it leaves and −i where it arrives.
    """
    import scipy.sparse as sp

    on_chain = np.full(circuit.n_nodes, -1, dtype=np.int64)
    for line in range(chain.shape[0]):
        on_chain[chain[line][chain[line] >= 0]] = line
    total = np.zeros((chain.shape[0], nodes.shape[1]))
    weight = np.zeros_like(total)
    for group in circuit.groups:
        if isinstance(group, Resistors):
            continue
        line = on_chain[group.nodes]
        if isinstance(group, Devices):
            vd = nodes[group.nodes[:, 0]] - nodes[group.nodes[:, 1]]
            i, slope = group.current(vd), np.abs(group.slope(vd))
            sign = np.array([1.0, -1.0])
            element = np.broadcast_to(np.arange(group.size)[:, None], line.shape)
        else:
            currents, jacobian = group.evaluate(nodes[group.nodes])
            terminals = np.arange(line.shape[1])
            i = currents.reshape(line.size, nodes.shape[1])
            slope = np.abs(jacobian[:, terminals, terminals]).reshape(line.size, nodes.shape[1])
            sign = np.ones(line.shape[1])
            element = np.arange(line.size).reshape(line.shape)
        keep = line >= 0
        weight_of = np.broadcast_to(sign, line.shape)[keep]
        sums = sp.csr_matrix((weight_of, (line[keep], element[keep])), shape=(chain.shape[0], i.shape[0]))
        total += sums @ i
        weight += abs(sums) @ slope
    return total, weight


def _terminal_branches(circuit: Circuit, terminal: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, B) current from each of L terminal nodes into the line resistors at it, by Ohm's law (A), and (L,)
    their total conductance (S); NaN current where another element touches the terminal node (a device
    joined to it by ideal wires), whose current Ohm's law would miss."""
    label = np.full(circuit.n_nodes, -1, dtype=np.int64)
    label[terminal[terminal >= 0]] = np.flatnonzero(terminal >= 0)
    current = np.zeros((terminal.size, nodes.shape[1]))
    conductance = np.zeros(terminal.size)
    for group in circuit.groups:
        line = label[group.nodes]
        if not isinstance(group, Resistors):
            current[line[line >= 0]] = np.nan
            continue
        for side in (0, 1):
            at = np.flatnonzero(line[:, side] >= 0)
            g = group.conductance[at]
            here, there = group.nodes[at, side], group.nodes[at, 1 - side]
            np.add.at(current, line[at, side], g[:, None] * (nodes[here] - nodes[there]))
            np.add.at(conductance, line[at, side], g)
    return current, conductance


def _terminal_currents(circuit: Circuit, chain: np.ndarray, terminal: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """(L, B) current each line's terminal delivers (A), by Ohm's law across the resistors at the terminal
    or by Kirchhoff's law along the line, whichever rounds less.

    With node voltages of scale s (max |v|) accurate to about ε·s, Ohm's law across a terminal resistance of
    conductance g_t is accurate to about ε·s·g_t/|I| (ε·|V|/|ΔV|, ΔV the drop across it) and Kirchhoff's law
    to about ε·s·Σ_k g_k/|I| over the elements hanging off the line (the sum's own rounding, ε·Σ|I_k|/|I|, is
    below that); so Ohm's law is taken where g_t < Σ_k g_k (a 1 MΩ sense resistance), Kirchhoff's law where
    the terminal's resistance is the smaller one (the usual case; a 1e-4 Ω segment), per terminal and vector.
    """
    kirchhoff, weight = _line_totals(circuit, chain, nodes)
    ohm, conductance = _terminal_branches(circuit, terminal, nodes)
    return np.where((conductance[:, None] < weight) & ~np.isnan(ohm), ohm, kirchhoff)


def _link_currents(circuit: Circuit, nodes: np.ndarray,
                   currents: list[tuple[ElementGroup, np.ndarray, np.ndarray]]) -> np.ndarray:
    """(n_nodes, B) current from every node into the elements that are not line resistors (A)."""
    import scipy.sparse as sp

    size, batch = nodes.shape
    link = np.zeros_like(nodes)
    for group, _, i in currents:
        flat = group.nodes.ravel()
        incidence = sp.csr_matrix((np.ones(flat.size), (flat, np.arange(flat.size))), shape=(size, flat.size))
        link += incidence @ i.reshape(flat.size, batch)
    return link


def _chain_currents(chain: np.ndarray, link: np.ndarray, downstream: bool) -> np.ndarray:
    """(L, P − 1, B) current in each segment of L resistor chains of P positions, by Kirchhoff's law.

    Each node's link current is counted once, at the first position of its run. With ``downstream``
    a segment carries the link currents of every position after it (word lines, driven at position
    0); otherwise minus those at and before it (bit lines, ending in their terminal).
    """
    first = np.ones(chain.shape, dtype=bool)
    first[:, 1:] = chain[:, 1:] != chain[:, :-1]
    at = np.where((first & (chain >= 0))[..., None], link[np.maximum(chain, 0)], 0.0)
    if downstream:
        return np.flip(np.cumsum(np.flip(at[:, 1:], axis=1), axis=1), axis=1)
    return -np.cumsum(at[:, :-1], axis=1)


def element_powers(crossbar: Crossbar, circuit: Circuit, nodes: np.ndarray) -> dict[str, np.ndarray]:
    """(B,) power dissipated per element class (W) at node voltages (n_nodes, B) (V).

    Line segments, drivers and sense resistances carry the current that Kirchhoff's law along their line
    gives (the sum of the currents of the devices, or access devices, beyond them), which keeps full
    precision where the voltage drop across a segment is tiny; every other element group absorbs
    Σ_t v_t·i_t.
    """
    currents = _group_currents(circuit, nodes)
    powers = {name: np.zeros(nodes.shape[1]) for name in POWER_CLASSES}
    for group, v, i in currents:
        powers[group.power_class] = powers[group.power_class] + np.einsum("ktb,ktb->b", v, i)
    link = _link_currents(circuit, nodes, currents)
    wl_current = _chain_currents(circuit.wl_node, link, downstream=True)
    bl_current = _chain_currents(circuit.bl_node, link, downstream=False)
    wl_r = np.column_stack([crossbar.r_driver, crossbar.r_wl])
    bl_r = np.column_stack([crossbar.r_bl.T, crossbar.r_sense])
    wl_p = wl_r[..., None] * wl_current**2
    bl_p = bl_r[..., None] * bl_current**2
    powers["drivers"] = np.where(circuit.driven_wl[:, None], wl_p[:, 0], 0.0).sum(axis=0)
    powers["word_lines"] = wl_p[:, 1:].sum(axis=(0, 1))
    powers["bit_lines"] = bl_p[:, :-1].sum(axis=(0, 1))
    powers["sense"] = np.where(circuit.driven_bl[:, None], bl_p[:, -1], 0.0).sum(axis=0)
    return powers


def assemble_solution(
    crossbar: Crossbar,
    circuit: Circuit | None,
    bias: Bias,
    backend: str,
    start: float,
    *,
    nodes: np.ndarray | Callable[[Circuit], np.ndarray] | None,
    input_currents: np.ndarray | None = None,
    output_currents: np.ndarray | None = None,
    method: str | None = None,
    phase_times: dict[str, float] | None = None,
    kcl_residual: np.ndarray | None = None,
) -> Solution:
    """Build a :class:`Solution` from solved node voltages and terminal currents, for any backend.

    With node voltages, the current of every line segment follows from Kirchhoff's current law along
    its line (the sum of the currents of the devices, or access devices, beyond it), which keeps full
    precision where the voltage drop across a segment is tiny; line and terminal powers use it.

    Args:
        crossbar: The solved crossbar.
        circuit: Its compiled circuit, or None if the backend did not need it (then ``nodes`` must be None
            or a function, and both currents given; the solution compiles it when asked for).
        bias: The terminal conditions (B vectors).
        backend: Name of the backend.
        start: ``time.perf_counter()`` when the backend started.
        nodes: (n_nodes, B) voltages of every node of ``circuit`` (V), or the function of the circuit that
            gives them when first read (:attr:`Solution.nodes`), or None for outputs only.
        input_currents: (M, B) word-line terminal currents (A, NaN where floating); by default from
            Kirchhoff's law (needs ``nodes``).
        output_currents: (N, B) bit-line output currents (A, NaN where floating), likewise.
        method: How the fast backend solved, else None.
        phase_times: Wall time of each phase of the backend (s).
        kcl_residual: (B,) achieved relative KCL residual (:mod:`memxbar.solver.accuracy`), if known.

    Returns:
        The solution; the batch axis is dropped if the caller gave one vector.
    """
    if input_currents is None or output_currents is None:
        from_nodes = terminal_currents_from_nodes(circuit, nodes)
        input_currents = from_nodes[0] if input_currents is None else input_currents
        output_currents = from_nodes[1] if output_currents is None else output_currents
    arrays = {"voltages": bias.wl_voltages}
    arrays["input_currents"] = input_currents
    arrays["output_currents"] = output_currents
    total = source_power(bias, input_currents, output_currents)
    if kcl_residual is not None:
        arrays["accuracy"] = np.asarray(kcl_residual, dtype=np.float64)
    if not bias.batched:
        arrays = {name: a[..., 0] for name, a in arrays.items()}
        if "accuracy" in arrays:
            arrays["accuracy"] = float(arrays["accuracy"])
    return Solution(crossbar=crossbar, backend=backend, wall_time=time.perf_counter() - start, bias=bias,
                    method=method, phase_times=phase_times, compiled=circuit, nodes=nodes,
                    source_powers=total, **arrays)


def terminal_currents_from_nodes(circuit: Circuit, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, B) input and (N, B) output currents (A, NaN where floating) from all node voltages (n_nodes, B),
    each by Ohm's law at its terminal or Kirchhoff's law along its line, whichever rounds less
    (:func:`_terminal_currents`)."""
    i_in = _terminal_currents(circuit, circuit.wl_node, circuit.wl_terminal, nodes)
    i_out = -_terminal_currents(circuit, circuit.bl_node, circuit.bl_terminal, nodes)
    return (np.where(circuit.driven_wl[:, None], i_in, np.nan), np.where(circuit.driven_bl[:, None], i_out, np.nan))
