"""The ngspice transient netlist of one dynamic device driven by a periodic voltage."""

from __future__ import annotations

import re

import numpy as np

from memxbar.devices.base import DynamicModel
from memxbar.devices.dynamic import Memristor
from memxbar.iv.stimulus import Stimulus

SOURCE = "Vin"
"""Name of the voltage source; its branch current is minus the device current."""
NODE = "p"
"""The device's positive terminal; the other one is ground."""
DEVICE = "d"
"""Element name suffix of the device: state k is the voltage of node ``xd_<k>``."""
OPTIONS = "reltol=1e-8 abstol=1e-15 vntol=1e-12 chgtol=1e-22 trtol=1 method=gear"
"""Tolerances tighter than ngspice's defaults (reltol 1e-3, vntol 1 µV, trtol 7), with Gear
(BDF2) integration. Measured on every dynamic model's default sweep (``memxbar iv``): the
normalised states stay within 1e-5 of SciPy's (Stanford–PKU: 1.2e-3, at its SET, a thermal
runaway of ~20 ns at 1e8 /s; 5e-4 at reltol 3e-9, in 1.5 times the time)."""
LOOSER_OPTIONS = (
    "reltol=1e-6 abstol=1e-12 vntol=1e-9 chgtol=1e-18 trtol=1 method=gear",
    "method=gear",
)
"""What ngspice retries with, in order, when :data:`OPTIONS` abort a run ("timestep too small"),
as they do for published devices with steep windows (Biolek, p = 7): looser tolerances, then
ngspice's defaults (reltol 1e-3, abstol 1 pA, vntol 1 µV, chgtol 1e-14 C) with Gear integration."""
STEPS_PER_PERIOD = 2000
"""Largest time step, as a fraction of the period."""


def state_nodes(model: DynamicModel) -> list[str]:
    """Names of the nodes whose voltages are the device's state variables."""
    return [str(node) for node in model.spice_state_nodes(np.array(DEVICE))]


def _tran_card(stimulus: Stimulus, uic: bool) -> str:
    step = stimulus.period / STEPS_PER_PERIOD
    return f".tran {step!r} {stimulus.duration!r} 0 {step!r}" + (" uic" if uic else "")


def transient_netlist(model: DynamicModel, stimulus: Stimulus, initial: np.ndarray, options: str = OPTIONS) -> str:
    """Netlist of ``.tran`` over the stimulus, from the initial state (``uic``: no operating point,
    unless the model holds its state at its initial value in the operating point, as compiled
    Verilog-A models do).

    Args:
        model: The device model.
        stimulus: The applied voltage.
        initial: (S,) initial state.
        options: The ``.options`` line's settings (tolerances, integration method).
    """
    cards = model.spice_transient_cards(np.array(DEVICE), np.array(NODE), np.array("0"), initial.reshape(-1))
    lines = [
        f"* memxbar iv: {model.name}, {stimulus.waveform} of {stimulus.amplitude!r} V at {stimulus.frequency!r} Hz",
        f".options {options}",
        *model.spice_preamble(),
        stimulus.spice_source(SOURCE, NODE),
        *(str(card) for card in cards),
        _tran_card(stimulus, uic=not model.transient_from_operating_point),
        ".end",
    ]
    return "\n".join(lines) + "\n"


def verilog_a_module(model: DynamicModel) -> str:
    """Name of the module in the model's Verilog-A source."""
    match = re.search(r"^\s*module\s+(\w+)", model.verilog_a_path().read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"no module in {model.verilog_a_path()}")
    return match.group(1)


def osdi_transient_netlist(model: Memristor, stimulus: Stimulus) -> str:
    """Netlist of the same ``.tran`` with the device as the compiled Verilog-A (OSDI) model.

    The initial state comes from the operating point: the Verilog-A state nodes leak towards
    their ``<state>0`` parameters, and every model's state is at rest at 0 V.
    """
    values = " ".join(f"{name}={value!r}" for name, value in model.verilog_a_values().items())
    lines = [
        f"* memxbar iv through OSDI: {model.name}",
        f".options {OPTIONS}",
        stimulus.spice_source(SOURCE, NODE),
        f".model {DEVICE}model {verilog_a_module(model)} {values}",
        f"N{DEVICE} {NODE} 0 {DEVICE}model",
        _tran_card(stimulus, uic=False),
        ".end",
    ]
    return "\n".join(lines) + "\n"
