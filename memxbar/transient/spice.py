"""Transient analysis in ngspice: one ``.tran`` of the whole array, written from the transient circuit.

The netlist holds every element group's cards (capacitors as ``C`` cards, dynamic devices with their
states on 1 F capacitors, :meth:`~memxbar.devices.base.DynamicModel.spice_transient_cards`), one
independent source per driven terminal with the stimulus's waveform, and ``.tran`` with its largest
step at the output spacing. Only the terminal currents, the probed nodes and the state nodes are saved.

Tolerances (:data:`OPTIONS`) are tight enough for the fast backend to agree within 1e-4 of the peak
current. When ngspice stops with "timestep too small", the run is repeated once with
:data:`RETRY_OPTIONS` (ngspice's default integration tolerances) and the result says so (``retries``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.cards import join, numbers
from memxbar.circuit.compile import Circuit
from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.spice.ngspice import NgspiceError, session
from memxbar.transient.elements import DynamicDevices
from memxbar.transient.stimulus import Stimulus

OPTIONS = "klu reltol=1e-7 abstol=1e-15 vntol=1e-10 chgtol=1e-22 trtol=1 method=gear maxord=2"
"""KLU, Gear (BDF2) integration and tolerances far tighter than ngspice's defaults (reltol 1e-3,
vntol 1 µV, trtol 7), as for single devices (:mod:`memxbar.iv.netlist`)."""

RETRY_OPTIONS = "klu reltol=1e-5 abstol=1e-12 vntol=1e-8 method=gear maxord=2"
"""Looser tolerances for the one retry after "timestep too small"."""


@dataclass
class SpiceRun:
    """ngspice's accepted time points and the saved vectors at them."""

    time: np.ndarray
    delivered: np.ndarray
    probes: np.ndarray
    states: np.ndarray | None
    steps: int
    retries: int


def transient_netlist(crossbar: Crossbar, circuit: Circuit, stimulus: Stimulus, gates: np.ndarray | None,
                      t_stop: float, points: int, probe_nodes: np.ndarray, options: str = OPTIONS) -> tuple[str, list]:
    """The ``.tran`` netlist and the names of the vectors to read (terminal branches, probes, states)."""
    names = circuit.node_names
    dynamic = next((g for g in circuit.groups if isinstance(g, DynamicDevices)), None)
    if dynamic is not None and stimulus.peak > 0:
        wl, bl = stimulus.voltages(0.0)
        if np.abs(wl).max(initial=0) > 0 or np.abs(bl).max(initial=0) > 0:
            raise InputError("the spice backend starts dynamic devices from 0 V on every node (uic): let every "
                             "waveform start at 0 V (a pulse's v1, a sine's offset, a pwl's first value)")
    step = t_stop / (points - 1)
    sources = []
    for group, waves in ((circuit.wl_sources, stimulus.wl), (circuit.bl_sources, stimulus.bl)):
        driven = [w for w in waves if w is not None]
        for name, node, wave in zip(group.names, group.node, driven, strict=True):
            sources.append(f"{name} {names[node]} 0 {wave.spice(t_stop)}")
    if circuit.select_sources.names.size:
        sources.extend(join(circuit.select_sources.names, " ", names[circuit.select_sources.node], " 0 DC ",
                            numbers(gates)).tolist())
    preamble = list(dict.fromkeys(line for group in circuit.groups for line in group.spice_preamble()))
    cards = [card for group in circuit.groups for cards in group.spice_cards(names[group.nodes])
             for card in np.asarray(cards, dtype=str).ravel().tolist()]
    branches = [f"i({s})" for s in np.concatenate([circuit.wl_sources.names, circuit.bl_sources.names])]
    probes = [f"v({names[p]})" for p in probe_nodes]
    states = [] if dynamic is None else [f"v({node})" for nodes in dynamic.spice_state_nodes() for node in nodes]
    saved = branches + probes + states
    uic = " uic" if dynamic is not None else ""
    lines = [
        f"* memxbar transient: {crossbar.rows}x{crossbar.cols}, devices {crossbar.device!r}",
        f".options {options}",
        *preamble,
        *sources,
        *cards,
        *(".save " + " ".join(saved[k:k + 8]) for k in range(0, len(saved), 8)),
        f".tran {step!r} {t_stop!r} 0 {largest_step(stimulus, t_stop, step)!r}{uic}",
        ".end",
    ]
    vectors = ["time"] + [b.lower().replace("i(", "").replace(")", "") + "#branch" for b in branches] + \
        [p[2:-1].lower() for p in probes] + [s[2:-1].lower() for s in states]
    return "\n".join(lines) + "\n", vectors


NGSPICE_MIN_BREAK = 5e-5
"""ngspice merges breakpoints closer than this times its largest step TMAX (``CKTminBreak``, traninit.c)."""
MAX_SPICE_STEPS = 10**7
"""Most time steps a run may force on ngspice through its largest step."""


def largest_step(stimulus: Stimulus, t_stop: float, step: float) -> float:
    """ngspice's largest time step (TMAX, s): the output spacing, or less where the stimulus has corners
    closer together than ngspice would keep apart at that TMAX (it merges breakpoints closer than
    :data:`NGSPICE_MIN_BREAK`·TMAX: a 1 ns read pulse in a 1000 s run was stepped over, energy 0).

    Raises:
        InputError: If that TMAX would force more than :data:`MAX_SPICE_STEPS` steps.
    """
    corners = np.unique(np.concatenate([[0.0], stimulus.corners(t_stop), [t_stop]]))
    shortest = float(np.diff(corners).min(initial=np.inf))
    tmax = min(step, 0.5 * shortest / NGSPICE_MIN_BREAK)
    if t_stop / tmax > MAX_SPICE_STEPS:
        raise InputError(
            f"the stimulus has corners {shortest:.3g} s apart, {t_stop / shortest:.3g} times shorter than t_stop: "
            f"ngspice would need over {MAX_SPICE_STEPS:.0e} steps to keep them; shorten t_stop or use the fast backend"
        )
    return tmax


def run_spice(crossbar: Crossbar, circuit: Circuit, stimulus: Stimulus, gates: np.ndarray | None, t_stop: float,
              points: int, probe_nodes: np.ndarray) -> SpiceRun:
    """Run the ``.tran`` in ngspice (with one looser retry on "timestep too small").

    Raises:
        NgspiceError: If ngspice is missing or fails (also after the retry).
    """
    ng = session()
    ng.require()
    retries = 0
    for options in (OPTIONS, RETRY_OPTIONS):
        text, vectors = transient_netlist(crossbar, circuit, stimulus, gates, t_stop, points, probe_nodes, options)
        ng.load(text)
        try:
            plot = ng.run()
        except NgspiceError as exc:
            if "timestep too small" in str(exc).lower() and options is OPTIONS:
                retries += 1
                continue
            raise
        try:
            data = ng.vectors(plot, vectors)
        finally:
            ng.destroy(plot)
        break
    n_branch = circuit.wl_sources.names.size + circuit.bl_sources.names.size
    n_probe = probe_nodes.size
    dynamic = next((g for g in circuit.groups if isinstance(g, DynamicDevices)), None)
    states = None
    if dynamic is not None:
        raw = data[1 + n_branch + n_probe:]
        n_states = len(dynamic.model.states)
        closed = ~dynamic.open
        states = np.zeros((n_states, dynamic.size, data.shape[1]))
        states[:, closed] = raw.reshape(n_states, int(closed.sum()), -1)
    return SpiceRun(time=data[0], delivered=-data[1:1 + n_branch], probes=data[1 + n_branch:1 + n_branch + n_probe],
                    states=states, steps=data.shape[1] - 1, retries=retries)
