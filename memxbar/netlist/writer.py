"""SPICE netlist of a compiled circuit, built with vectorised NumPy string operations.

The writer knows nothing of crossbars: it writes the sources of the known nodes and asks every
element group of the circuit for its cards (:mod:`memxbar.circuit.elements`). Node names follow the
positions of :mod:`memxbar.circuit.compile`: ``in{i}`` word-line terminal, ``d{i}`` driver output,
``w{i}_{j}`` word-line node, ``b{i}_{j}`` bit-line node, ``s{j}`` sense node, ``g{j}`` bit-line
terminal, ``c{i}_{j}`` a cell's internal node, ``sel{i}`` select line. Merged positions take the name
of their representative. Each driven word line has a source ``Vin{i}``; each driven bit line a
source ``Vout{j}`` (0 V for a virtual ground), whose branch current is the output current I_j.
Numbers are written with the shortest decimal form that round-trips to the same float64.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from memxbar.cards import join, numbers
from memxbar.circuit.bias import check_gates, make_bias
from memxbar.circuit.compile import Circuit, Sources, compile_circuit
from memxbar.crossbar import Crossbar
from memxbar.errors import InputError

DEFAULT_OPTIONS: Mapping[str, str | None] = {"klu": None, "reltol": "1e-9", "abstol": "1e-15", "vntol": "1e-12"}
"""Simulator options: KLU, which ngspice does not use unless asked (see NOTES.md), and Newton
tolerances far tighter than ngspice's defaults (reltol 1e-3, abstol 1 pA, vntol 1 µV), so that
nonlinear devices are solved as exactly as the fast backend solves them: relative 1e-9, 1 fA,
1 pV. With the defaults, strongly nonlinear 32×32 arrays differed from the fast backend by up
to 1e-7 relative; with these, by about 1e-11. Linear 64×64 arrays take the same 3 iterations either
way, sinh ones 6 instead of 5."""


@dataclass(frozen=True, eq=False)
class Netlist:
    """A circuit's netlist and the names a backend needs to read its results."""

    text: str
    """The complete netlist, runnable by ``ngspice -b``."""
    sources: np.ndarray
    """(S,) names of every independent source, in the order of the circuit's known nodes."""
    source_node: np.ndarray
    """(S,) node index each source holds."""
    ammeters: np.ndarray
    """Names of the bit-line sources, whose branch currents are the output currents."""
    unknown_names: np.ndarray
    """(n_unknown,) name of every unknown node, by node index."""


def _cards(keyword: str, items: Sequence[str], per_line: int = 8) -> list[str]:
    """Control cards listing ``items`` a few per line, keeping lines short."""
    return [f"{keyword} " + " ".join(items[k : k + per_line]) for k in range(0, len(items), per_line)]


def _source_cards(sources: Sources, names: np.ndarray, values: np.ndarray) -> np.ndarray:
    return join(sources.names, " ", names[sources.node], " 0 DC ", numbers(values)) if sources.names.size \
        else np.zeros(0, dtype=str)


def circuit_netlist(
    crossbar: Crossbar,
    circuit: Circuit,
    known: np.ndarray,
    *,
    title: str = "memxbar crossbar",
    save_nodes: bool = False,
    options: Mapping[str, str | None] = DEFAULT_OPTIONS,
) -> Netlist:
    """Write the SPICE netlist of a compiled circuit for one set of known node voltages.

    Args:
        crossbar: The crossbar the circuit was compiled from (for the header).
        circuit: The compiled circuit.
        known: (n_known,) voltages of the known nodes in volts (V), in
            :meth:`~memxbar.circuit.compile.Circuit.known_voltages` order.
        title: First (title) line of the netlist.
        save_nodes: Keep every node voltage and source current (ngspice's default when there is no
            ``.save`` card) instead of only the output currents. Listing tens of thousands of nodes in
            ``.save`` cards instead costs ngspice time quadratic in their number (128×128: 8 s instead
            of 0.4 s per run).
        options: ``.options`` entries, a value of ``None`` meaning a flag.

    Returns:
        The :class:`Netlist`. It ends with ``.op`` and a ``.print`` of every output current.
    """
    m, n = crossbar.shape
    names = circuit.node_names
    groups = circuit.groups
    md, nd = int(circuit.driven_wl.sum()), int(circuit.driven_bl.sum())
    wl_values, bl_values, select_values = known[:md], known[md:md + nd], known[md + nd:md + nd + m]
    option_text = " ".join(k if val is None else f"{k}={val}" for k, val in options.items())
    outputs = [f"i({a})" for a in circuit.bl_sources.names]
    cell = "" if crossbar.cell.name == "1r" else f", cell {crossbar.cell!r}"
    preamble = list(dict.fromkeys(line for group in groups for line in group.spice_preamble()))
    sections = [
        [f"* {title}", f"* {m} word lines x {n} bit lines, SI units, devices {crossbar.device!r}{cell}"],
        [f".options {option_text}"] if option_text else [],
        preamble,
        _source_cards(circuit.wl_sources, names, wl_values),
        *(cards for group in groups for cards in group.spice_cards(names[group.nodes])),
        _source_cards(circuit.bl_sources, names, bl_values),
        _source_cards(circuit.select_sources, names, select_values),
        [] if save_nodes else _cards(".save", outputs),
        [".op"],
        _cards(".print op", outputs),
        [".end"],
    ]
    text = "\n".join("\n".join(np.asarray(section, dtype=str).ravel().tolist()) for section in sections
                     if len(section)) + "\n"
    all_sources = (circuit.wl_sources, circuit.bl_sources, circuit.select_sources)
    return Netlist(
        text=text,
        sources=np.concatenate([s.names for s in all_sources]).astype(str),
        source_node=np.concatenate([s.node for s in all_sources]).astype(np.int64),
        ammeters=circuit.bl_sources.names,
        unknown_names=names[: circuit.n_unknown],
    )


def crossbar_netlist(
    crossbar: Crossbar,
    voltages: np.ndarray,
    *,
    bl_voltages: object = 0.0,
    floating_wl: object = None,
    floating_bl: object = None,
    gate_voltages: object = None,
    title: str = "memxbar crossbar",
    save_nodes: bool = False,
    options: Mapping[str, str | None] = DEFAULT_OPTIONS,
) -> Netlist:
    """Write the SPICE netlist of a crossbar for one bias vector.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) word-line terminal voltages in volts (V).
        bl_voltages: Bit-line terminal voltages (V): a number or (N,).
        floating_wl: (M,) boolean mask of floating word lines, or None.
        floating_bl: (N,) boolean mask of floating bit lines, or None.
        gate_voltages: Select-line voltages (V) of gated cells: a number or (M,); None for the cell's default.
        title: First (title) line of the netlist.
        save_nodes: See :func:`circuit_netlist`.
        options: ``.options`` entries, a value of ``None`` meaning a flag.

    Returns:
        The :class:`Netlist`.

    Raises:
        InputError: If the voltages are not one vector, or a bias argument is invalid.
    """
    m = crossbar.rows
    v = np.asarray(voltages, dtype=np.float64)
    if v.shape != (m,):
        raise InputError(f"voltages must have shape ({m},) for a netlist, got {v.shape}")
    check_gates(crossbar.cell.gated, crossbar.cell.name, gate_voltages)
    if gate_voltages is None and crossbar.cell.gated:
        gate_voltages = crossbar.cell.default_gate_voltage
    bias = make_bias(crossbar.shape, v, bl_voltages, floating_wl, floating_bl, gate_voltages)
    circuit = compile_circuit(crossbar, bias.floating_wl, bias.floating_bl)
    known = circuit.known_voltages(bias.wl_voltages, bias.bl_voltages, bias.gate_voltages)[:, 0]
    return circuit_netlist(crossbar, circuit, known, title=title, save_nodes=save_nodes, options=options)
