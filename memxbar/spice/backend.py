"""The ngspice backend: crossbar → netlist → libngspice → :class:`~memxbar.solution.Solution`."""

from __future__ import annotations

import time

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.inputs import as_batch
from memxbar.netlist.writer import crossbar_netlist
from memxbar.solution import Solution
from memxbar.solver.accuracy import kcl_residual
from memxbar.spice.ngspice import session


def solve_spice(crossbar: Crossbar, voltages: np.ndarray) -> Solution:
    """Solve a crossbar with ngspice's operating-point analysis (``.op``, KLU).

    The circuit is loaded once; for each further input vector of the batch only the
    source values are changed (``alter``) before the analysis is run again. Only the
    word- and bit-line node voltages and the output currents are saved.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).

    Returns:
        The :class:`Solution`, with ``backend="spice"``. Output currents are the measured
        currents of the 0 V virtual-ground sources; device currents are the device model's
        I(W − B) at the node voltages ngspice computed.

    Raises:
        memxbar.spice.ngspice.NgspiceError: If ngspice is missing, unsuitable or fails.
    """
    start = time.perf_counter()
    v, batched = as_batch(voltages, crossbar.rows)
    ng = session()
    ng.require()

    phases = {"netlist": 0.0, "load": 0.0, "parse": 0.0, "run": 0.0, "read": 0.0}
    tick = time.perf_counter()
    netlist = crossbar_netlist(crossbar, v[:, 0], save_nodes=True)
    n_nodes = netlist.nodes.size
    vector_names = [node.lower() for node in netlist.nodes] + [f"{a.lower()}#branch" for a in netlist.ammeters]
    tick = _lap(phases, "netlist", tick)
    phases["parse"] = ng.load(netlist.text)
    tick = _lap(phases, "load", tick)
    phases["load"] -= phases["parse"]
    results = np.empty((len(vector_names), v.shape[1]))
    for k in range(v.shape[1]):
        if k:
            ng.alter(netlist.sources, v[:, k])
        plot = ng.run()
        tick = _lap(phases, "run", tick)
        results[:, k] = ng.vectors(plot, vector_names)[:, 0]
        ng.destroy(plot)
        tick = _lap(phases, "read", tick)
    w, b = results[netlist.point_node]
    with np.errstate(over="ignore", invalid="ignore"):
        i_dev = crossbar.device.current(w - b, crossbar.conductances)
    residual = kcl_residual(crossbar, v, w, b, i_dev).residual if np.isfinite(i_dev).all() else None
    return Solution.from_node_voltages(crossbar, v, batched, w, b, "spice", start, output_currents=results[n_nodes:],
                                       phase_times=phases, kcl_residual=residual)


def _lap(phases: dict[str, float], name: str, since: float) -> float:
    """Add the time since ``since`` to phase ``name``; return the current time."""
    now = time.perf_counter()
    phases[name] += now - since
    return now
