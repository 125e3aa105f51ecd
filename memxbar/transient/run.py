"""``transient(crossbar, stimulus, t_stop, backend=...)``: time-domain simulation of a whole crossbar."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np

from memxbar.circuit.compile import compile_circuit
from memxbar.crossbar import Crossbar
from memxbar.devices.base import DynamicModel
from memxbar.errors import InputError
from memxbar.memory import check_transient_memory
from memxbar.solution import terminal_currents
from memxbar.transient.elements import transient_circuit
from memxbar.transient.fast import TransientOptions, integrate, linear_product_mean
from memxbar.transient.stimulus import Stimulus
from memxbar.transient.waveforms import Waveforms

BACKENDS = ("fast", "spice")
"""Backends of :func:`transient`."""
MAX_POINTS = 10**6
"""Most output times a run may ask for: more would take hours at the step sizes they force."""


def _probe_nodes(circuit, probes: Sequence[str]) -> np.ndarray:
    names = circuit.node_names
    lookup = {str(name): k for k, name in enumerate(names)}
    nodes = []
    for probe in probes:
        if probe not in lookup:
            raise InputError(f"probe {probe!r} is not a node of this circuit; name nodes as w<i>_<j> (word line), "
                             "b<i>_<j> (bit line), s<j> (sense node) or in<i> (word-line terminal)")
        nodes.append(lookup[probe])
    return np.array(nodes, dtype=np.int64)


def _interpolate(t: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.stack([np.interp(t, times, row) for row in values]) if values.shape[0] else np.zeros((0, t.size))


def transient(
    crossbar: Crossbar,
    stimulus: Stimulus,
    t_stop: float,
    *,
    backend: str = "fast",
    options: TransientOptions | None = None,
    probes: Sequence[str] = (),
) -> Waveforms:
    """Simulate a crossbar in time under a stimulus on its line terminals.

    Line capacitances (``crossbar.c_wl``, ``c_bl``, ``c_device``) load the lines; a dynamic device model
    (VTEAM, HP, Yakopcic, Stanford–PKU, volatile-stp …) changes its state with the voltage it sees,
    starting from the state whose conductance is ``crossbar.conductances``. The circuit starts at its
    operating point at t = 0 (the fast backend) or, with dynamic devices, from 0 V everywhere (ngspice's
    ``uic``; the stimulus must then start at 0 V, where both agree).

    Args:
        crossbar: The crossbar specification.
        stimulus: The waveform on every terminal (:mod:`memxbar.transient.stimulus`); its shape must be the
            crossbar's.
        t_stop: End time in seconds (s), > 0.
        backend: ``"fast"`` (variable-step BDF2 on the nodal equations, :mod:`memxbar.transient.fast`) or
            ``"spice"`` (one ngspice ``.tran``, :mod:`memxbar.transient.spice`).
        options: Output times and accuracy (:class:`~memxbar.transient.fast.TransientOptions`).
        probes: SPICE names of nodes whose voltages to record (e.g. ``"w3_4"``, ``"b0_0"``).

    Returns:
        The :class:`~memxbar.transient.waveforms.Waveforms` at ``options.points`` evenly spaced times.

    Raises:
        InputError: If an argument is invalid (the message names it), or the circuit and waveforms would
            not fit in memory (:func:`memxbar.memory.check_transient_memory`).
        ConvergenceError: If the fast backend cannot take a step.
        memxbar.spice.ngspice.NgspiceError: If ngspice is missing or fails.
    """
    start = time.perf_counter()
    if not isinstance(crossbar, Crossbar):
        raise InputError(f"crossbar must be a memxbar.Crossbar, got {type(crossbar).__name__}")
    if not isinstance(stimulus, Stimulus):
        raise InputError(f"stimulus must be a memxbar.transient.Stimulus, got {type(stimulus).__name__}")
    if stimulus.shape != crossbar.shape:
        raise InputError(f"stimulus has {stimulus.shape[0]} word-line and {stimulus.shape[1]} bit-line waveforms; "
                         f"the crossbar is {crossbar.rows}x{crossbar.cols}")
    if not (np.isfinite(t_stop) and t_stop > 0):
        raise InputError(f"t_stop must be a positive time in seconds, got {t_stop!r}")
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    options = options or TransientOptions()
    if options.points > MAX_POINTS:
        raise InputError(f"points is {options.points}; at most {MAX_POINTS:.0e} output times are allowed (the default "
                         "1001 resolves most waveforms)")
    model = crossbar.device
    dynamic = isinstance(model, DynamicModel)
    check_transient_memory(crossbar.shape, len(model.states) if dynamic else 0, options.points, len(probes),
                           options.save_states, backend)
    state0 = model.state_from_conductance(crossbar.conductances) if dynamic else None
    base = compile_circuit(crossbar, stimulus.floating_wl, stimulus.floating_bl)
    circuit, holder = transient_circuit(crossbar, base, state0)
    probe_nodes = _probe_nodes(circuit, probes)
    gates = np.full(crossbar.rows, crossbar.cell.default_gate_voltage) if crossbar.cell.gated else None
    grid = np.linspace(0.0, t_stop, options.points)
    m, n = crossbar.shape
    md, nd = int(circuit.driven_wl.sum()), int(circuit.driven_bl.sum())
    rejected = retries = 0
    if backend == "fast":
        raw = integrate(circuit, holder, stimulus, gates, t_stop, options, probe_nodes)
        delivered, probed, energy, steps, rejected = raw.delivered[:md + nd], raw.probes, raw.energy, raw.steps, \
            raw.rejected
        states = raw.states
    else:
        from memxbar.transient.spice import run_spice

        run = run_spice(crossbar, circuit, stimulus, gates, t_stop, options.points, probe_nodes)
        wl_t, bl_t = stimulus.voltages(run.time)
        u_t = np.concatenate([wl_t[circuit.driven_wl], bl_t[circuit.driven_bl]])
        energy = product_integral(u_t, run.delivered, run.time)
        delivered = _interpolate(grid, run.time, run.delivered)
        probed = _interpolate(grid, run.time, run.probes)
        steps, retries = run.steps, run.retries
        states = None
        if run.states is not None:
            s = run.states
            states = np.stack([_interpolate(grid, run.time, s[k]) for k in range(s.shape[0])]) \
                if options.save_states else s[:, :, [0, -1]]
    i_in, i_out = terminal_currents(circuit, np.concatenate([delivered, np.zeros((circuit.n_known - md - nd,
                                                                                   delivered.shape[1]))]))
    energy_wl, energy_bl = np.zeros(m), np.zeros(n)
    energy_wl[circuit.driven_wl], energy_bl[circuit.driven_bl] = energy[:md], energy[md:md + nd]
    wl_v, bl_v = stimulus.voltages(grid)
    grid_states = initial = final_states = None
    final = crossbar
    if dynamic:
        devices = circuit.devices
        grid_states = np.zeros((states.shape[0], m * n, states.shape[-1]))
        grid_states[:, devices.cell] = states
        grid_states = grid_states.reshape(states.shape[0], m, n, -1)
        initial, final_states = state0, grid_states[..., -1]
        g = np.where(crossbar.conductances > 0, model.conductance(final_states), 0.0)
        final = dataclasses.replace(crossbar, conductances=g)
        if not options.save_states:
            grid_states = None
    return Waveforms(
        time=grid, input_currents=i_in, output_currents=i_out, wl_voltages=wl_v, bl_voltages=bl_v,
        probes={name: probed[k] for k, name in enumerate(probes)}, states=grid_states, initial_states=initial,
        final_states=final_states, energy_wl=energy_wl, energy_bl=energy_bl, backend=backend,
        wall_time=time.perf_counter() - start, steps=steps, final=final, rejected=rejected, retries=retries,
    )


def product_integral(v: np.ndarray, i: np.ndarray, t: np.ndarray) -> np.ndarray:
    """∫ v·i dt over sampled (K, T) voltages and currents at times (T,), exact where both are linear
    between samples (a trapezoid of the product is not: across a stimulus ramp sampled only at its
    ends it overestimates ∫v²/R dt by a sixth of v²·t_rise).

    On [t_a, t_b] with h = t_b − t_a: ∫ v·i dt = h·(v_a·i_a + v_b·i_b)/3 + h·(v_a·i_b + v_b·i_a)/6.

    Returns:
        (K,) energies in joules (J) for volts and amperes.
    """
    return linear_product_mean(v[:, :-1], i[:, :-1], v[:, 1:], i[:, 1:]) @ np.diff(t)
