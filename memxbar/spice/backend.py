"""The ngspice backend: compiled circuit → netlist → libngspice → :class:`~memxbar.solution.Solution`."""

from __future__ import annotations

import time

import numpy as np

from memxbar.circuit.bias import Bias
from memxbar.circuit.compile import Circuit
from memxbar.crossbar import Crossbar
from memxbar.netlist.writer import circuit_netlist
from memxbar.solution import Solution, assemble_solution, terminal_currents
from memxbar.solver.accuracy import check
from memxbar.spice.ngspice import session


def solve_spice_circuit(crossbar: Crossbar, circuit: Circuit, bias: Bias, known: np.ndarray) -> Solution:
    """Solve a compiled circuit with ngspice's operating-point analysis (``.op``, KLU).

    The circuit is loaded once; for each further vector of the batch only the source values that
    change are altered (``alter``) before the analysis is run again. Every node voltage and the
    branch current of every terminal source are read back.

    Args:
        crossbar: The crossbar specification.
        circuit: Its compiled circuit.
        bias: The terminal conditions.
        known: (n_known, B) voltages of the circuit's known nodes (V).

    Returns:
        The :class:`Solution`, with ``backend="spice"``. Terminal currents are the measured branch
        currents of the sources; device currents are the device model's I(V) at the node voltages
        ngspice computed.

    Raises:
        memxbar.spice.ngspice.NgspiceError: If ngspice is missing, unsuitable or fails.
    """
    start = time.perf_counter()
    ng = session()
    ng.require()

    phases = {"netlist": 0.0, "load": 0.0, "parse": 0.0, "run": 0.0, "read": 0.0}
    tick = time.perf_counter()
    netlist = circuit_netlist(crossbar, circuit, known[:, 0], save_nodes=True)
    n_unknown = circuit.n_unknown
    terminal = np.concatenate([circuit.wl_sources.names, circuit.bl_sources.names]).astype(str)
    vector_names = [name.lower() for name in netlist.unknown_names] + [f"{s.lower()}#branch" for s in terminal]
    tick = _lap(phases, "netlist", tick)
    phases["parse"] = ng.load(netlist.text)
    tick = _lap(phases, "load", tick)
    phases["load"] -= phases["parse"]
    batch = known.shape[1]
    results = np.empty((len(vector_names), batch))
    sources = netlist.sources
    values = known[netlist.source_node - n_unknown]
    for k in range(batch):
        if k:
            changed = values[:, k] != values[:, k - 1]
            ng.alter(sources[changed], values[changed, k])
        plot = ng.run()
        tick = _lap(phases, "run", tick)
        results[:, k] = ng.vectors(plot, vector_names)[:, 0]
        ng.destroy(plot)
        tick = _lap(phases, "read", tick)
    nodes = np.concatenate([results[:n_unknown], known])
    # A source's branch current flows into its positive node from the circuit: it delivers minus that.
    delivered = np.zeros((circuit.n_known, batch))
    delivered[: terminal.size] = -results[n_unknown:]
    _, i_out = terminal_currents(circuit, delivered)
    with np.errstate(over="ignore", invalid="ignore"):
        kcl = check(circuit, nodes)
    return assemble_solution(crossbar, circuit, bias, "spice", start, nodes=nodes, output_currents=i_out,
                             phase_times=phases, kcl_residual=kcl.residual)


def _lap(phases: dict[str, float], name: str, since: float) -> float:
    """Add the time since ``since`` to phase ``name``; return the current time."""
    now = time.perf_counter()
    phases[name] += now - since
    return now
