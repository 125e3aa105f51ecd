"""``iv_sweep``: one dynamic device under a periodic voltage, in ngspice and in SciPy, compared."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from memxbar.devices import MODELS, DeviceModel, as_model
from memxbar.devices.dynamic import Memristor
from memxbar.errors import InputError
from memxbar.iv.netlist import (
    LOOSER_OPTIONS,
    NODE,
    OPTIONS,
    SOURCE,
    STEPS_PER_PERIOD,
    osdi_transient_netlist,
    state_nodes,
    transient_netlist,
)
from memxbar.iv.stimulus import Stimulus
from memxbar.spice.ngspice import NgspiceError
from memxbar.spice.transient import run_transient

STATE_AGREEMENT = 0.01
"""Largest normalised state difference between ngspice and SciPy, at equal times, for two
sweeps to agree (1 % of the state range)."""

MAX_STEPS = 2_000_000
"""Most time steps a sweep may need (:data:`~memxbar.iv.netlist.STEPS_PER_PERIOD` per period): 1000 periods."""
MAX_FREQUENCY = 1e12
"""Highest frequency accepted, in hertz (Hz): a 1 ps period, steps of 0.5 fs, beyond any device's dynamics."""

DYNAMIC_MODELS = tuple(name for name, model in MODELS.items() if issubclass(model, Memristor))
"""Names of the models ``iv_sweep`` accepts."""


@dataclass(frozen=True, eq=False)
class IVSweep:
    """The response of one device to a periodic voltage, from both backends, and their agreement.

    All arrays are sampled at ngspice's accepted time points; the SciPy solution is evaluated
    there from its dense output. States are normalised to [0, 1] by their bounds.
    """

    model: Memristor
    """The device model and its parameters."""
    stimulus: Stimulus
    """The applied voltage."""
    time: np.ndarray
    """(T,) time points in seconds (s)."""
    voltage: np.ndarray
    """(T,) applied voltage in volts (V)."""
    current_spice: np.ndarray
    """(T,) device current from ngspice in amperes (A)."""
    current_numpy: np.ndarray
    """(T,) device current from the SciPy solution in amperes (A)."""
    state_spice: np.ndarray
    """(S, T) normalised states from ngspice."""
    state_numpy: np.ndarray
    """(S, T) normalised states from SciPy's ``solve_ivp``."""
    state_difference: np.ndarray
    """(S,) largest |ngspice − SciPy| of each normalised state at equal times (ngspice's time points)."""
    current_difference: float
    """Largest |ngspice − SciPy| current relative to the largest |current|."""
    spice_seconds: float
    """Wall time of the ngspice run (s)."""
    spice_options: str
    """The ngspice ``.options`` the run succeeded with: :data:`~memxbar.iv.netlist.OPTIONS`, or
    the first of :data:`~memxbar.iv.netlist.LOOSER_OPTIONS` that worked."""
    numpy_seconds: float
    """Wall time of the SciPy integration (s)."""

    @property
    def max_state_difference(self) -> float:
        """The worst normalised state difference at equal times over all state variables."""
        return float(self.state_difference.max())

    @property
    def agrees(self) -> bool:
        """Whether the state trajectories agree within :data:`STATE_AGREEMENT` at every time point."""
        return self.max_state_difference <= STATE_AGREEMENT


def _normalise(model: Memristor, state: np.ndarray) -> np.ndarray:
    low = np.array([s.minimum for s in model.states])[:, None]
    high = np.array([s.maximum for s in model.states])[:, None]
    return (state - low) / (high - low)


def _sweep_model(device: DeviceModel | str) -> Memristor:
    model = as_model(device)
    if not isinstance(model, Memristor):
        raise InputError(f"device model {model.name} has no state to sweep; choose one of: {', '.join(DYNAMIC_MODELS)}")
    per_device = [name for name, value in model.values.items() if value.ndim]
    if per_device:
        raise InputError(f"device parameter {per_device[0]} is an array; a single device takes single numbers")
    return model


def iv_sweep(
    device: DeviceModel | str,
    amplitude: float | None = None,
    frequency: float | None = None,
    cycles: float = 2.0,
    waveform: str = "sine",
) -> IVSweep:
    """Apply a sine or triangle voltage to one dynamic device; integrate it in ngspice and in SciPy.

    ngspice runs ``.tran`` on the model's behavioural subcircuit (states on 1 F capacitors) with
    tightened tolerances; SciPy integrates d(state)/dt with LSODA (``solve_ivp``, rtol 1e-12).
    Both start from the model's initial state (its ``<state>0`` parameters).

    Args:
        device: A dynamic model instance, or a model name (default parameters).
        amplitude: Peak voltage (V); default the model's ``sweep_amplitude``.
        frequency: Frequency (Hz); default the model's ``sweep_frequency``.
        cycles: Number of periods.
        waveform: ``"sine"`` or ``"triangle"``.

    Returns:
        The :class:`IVSweep`.

    Raises:
        InputError: For a static model, per-device parameter arrays or a bad stimulus (more than
            :data:`MAX_STEPS` time steps, or above :data:`MAX_FREQUENCY`).
        memxbar.spice.ngspice.NgspiceError: If ngspice is missing or fails at every tolerance.
    """
    from memxbar.iv.integrate import integrate_states

    model = _sweep_model(device)
    if (amplitude is None and model.sweep_amplitude is None) or (frequency is None and model.sweep_frequency is None):
        raise InputError(f"device model {model.name} has no default sweep: give the amplitude and the frequency "
                         "(--amplitude, --frequency)")
    stimulus = Stimulus(
        amplitude=model.sweep_amplitude if amplitude is None else float(amplitude),
        frequency=model.sweep_frequency if frequency is None else float(frequency),
        cycles=float(cycles),
        waveform=waveform,
    )
    steps = stimulus.cycles * STEPS_PER_PERIOD
    if steps > MAX_STEPS:
        raise InputError(
            f"cycles {stimulus.cycles:g} would need {steps:.3g} time steps ({STEPS_PER_PERIOD} per period); "
            f"at most {MAX_STEPS:.0e} ({MAX_STEPS // STEPS_PER_PERIOD} cycles) are allowed"
        )
    if stimulus.frequency > MAX_FREQUENCY:
        raise InputError(
            f"frequency {stimulus.frequency:g} Hz would need time steps of {stimulus.period / STEPS_PER_PERIOD:.3g} s; "
            f"at most {MAX_FREQUENCY:g} Hz is allowed"
        )
    initial = model.initial_state().reshape(-1)

    start = time.perf_counter()
    names = ["time", NODE, f"{SOURCE.lower()}#branch", *state_nodes(model)]
    for options in (OPTIONS, *LOOSER_OPTIONS):
        try:
            vectors = run_transient(transient_netlist(model, stimulus, initial, options), names)
            break
        except NgspiceError as exc:
            if "timestep too small" not in str(exc).lower() or options == LOOSER_OPTIONS[-1]:
                raise
    spice_seconds = time.perf_counter() - start
    t, voltage, source_current, state_spice = vectors[0], vectors[1], vectors[2], vectors[3:]

    start = time.perf_counter()
    state_numpy = integrate_states(model, stimulus, initial, t)
    numpy_seconds = time.perf_counter() - start

    spice_n = _normalise(model, state_spice)
    numpy_n = _normalise(model, state_numpy)
    current_numpy = model.state_current(voltage, state_numpy)
    current_spice = -source_current
    return IVSweep(
        model=model,
        stimulus=stimulus,
        time=t,
        voltage=voltage,
        current_spice=current_spice,
        current_numpy=current_numpy,
        state_spice=spice_n,
        state_numpy=numpy_n,
        state_difference=np.abs(spice_n - numpy_n).max(axis=1),
        current_difference=float(np.abs(current_spice - current_numpy).max() / np.abs(current_numpy).max()),
        spice_seconds=spice_seconds,
        numpy_seconds=numpy_seconds,
        spice_options=options,
    )


def osdi_current_difference(
    device: DeviceModel | str, amplitude: float | None = None, frequency: float | None = None, cycles: float = 1.0
) -> float:
    """Run the same sine sweep with the compiled Verilog-A model (OSDI) and the behavioural one.

    Needs the Verilog-A compiler (see :mod:`memxbar.osdi.compiler`).

    Returns:
        The largest |I_osdi − I_behavioural| relative to the largest |I|, on the OSDI run's time
        points (the behavioural current interpolated there).

    Raises:
        memxbar.osdi.compiler.CompilerMissingError: If the compiler is not installed.
        memxbar.spice.ngspice.NgspiceError: If ngspice cannot load OSDI.
    """
    model = _sweep_model(device)
    stimulus = Stimulus(
        amplitude=model.sweep_amplitude if amplitude is None else float(amplitude),
        frequency=model.sweep_frequency if frequency is None else float(frequency),
        cycles=float(cycles),
    )
    from memxbar.osdi.compiler import compile_verilog_a
    from memxbar.spice.osdi import load_osdi

    load_osdi(compile_verilog_a(model.verilog_a_path()))
    branch = f"{SOURCE.lower()}#branch"
    osdi = run_transient(osdi_transient_netlist(model, stimulus), ["time", branch])
    behavioural = run_transient(transient_netlist(model, stimulus, model.initial_state().reshape(-1)), ["time", branch])
    reference = np.interp(osdi[0], behavioural[0], behavioural[1])
    return float(np.abs(osdi[1] - reference).max() / np.abs(reference).max())
