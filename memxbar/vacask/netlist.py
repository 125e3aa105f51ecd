"""A crossbar netlist in VACASK's format, translated from the SPICE netlist memxbar writes.

VACASK (Bürmen, codeberg.org/arpadbuermen/VACASK) reads its own netlist language: instances are
``name (node node) model param=value`` with lower-case parameter names, models are declared with
``model NAME MODULE params`` and compiled device models are loaded with ``load "FILE.osdi"``.
Its bundled SPICE converter does not run, so the cards memxbar writes are translated here, one
kind at a time: resistors (VACASK's ``resistor.osdi``), DC voltage sources (``vsource``),
OSDI instances and their ``.model``/``pre_osdi`` lines. Built-in non-ohmic device models become
their Verilog-A twins in ``device_models/`` (there are no B-sources in VACASK).
"""

from __future__ import annotations

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.devices.base import DeviceModel
from memxbar.errors import InputError
from memxbar.netlist.writer import crossbar_netlist

OPTIONS = "options reltol=1e-9 vntol=1e-12 abstol=1e-15"
"""Tolerances as tight as the ngspice backend's (see :data:`memxbar.netlist.writer.DEFAULT_OPTIONS`)."""
ANALYSIS = "op1"
"""Name of the operating-point analysis; VACASK writes its results to ``op1.raw``."""


def compiled_device(device: DeviceModel) -> DeviceModel:
    """The device as cards VACASK can run: ohmic devices as resistors, other models compiled from Verilog-A."""
    from memxbar.devices.verilog_a import VerilogADynamicModel, VerilogAModel, from_verilog_a

    if device.linear or isinstance(device, (VerilogAModel, VerilogADynamicModel)):
        return device
    values = device.verilog_a_values() if device.dynamic else dict(device.values)
    return from_verilog_a(device.verilog_a_path(), **values)


def _parameters(words: list[str]) -> str:
    pairs = [word.split("=", 1) for word in words]
    return " ".join(f"{key.lower()}={value}" for key, value in pairs)


def vacask_netlist(crossbar: Crossbar, voltages: np.ndarray) -> tuple[str, list[str]]:
    """VACASK netlist of a crossbar driven by one input vector.

    Args:
        crossbar: The crossbar.
        voltages: (M,) input voltages (V).

    Returns:
        The netlist text and the names of the (N,) output-current vectors in VACASK's results.

    Raises:
        InputError: If the netlist holds a card the translation does not know.
    """
    import dataclasses

    spice = crossbar_netlist(dataclasses.replace(crossbar, device=compiled_device(crossbar.device)), voltages)
    lines = ["memxbar crossbar (VACASK)", "ground 0", 'load "resistor.osdi"', "model resistor resistor",
             "model vsource vsource"]
    for line in spice.text.splitlines():
        words = line.split()
        if not words or line.startswith(("*", ".options", ".control", ".endc", ".save", ".op", ".print", ".end")):
            continue
        kind = words[0][0].upper()
        if words[0] == "pre_osdi":
            lines.append(f'load "{words[1]}"')
        elif words[0] == ".model":
            lines.append(f"model {words[1]} {words[2]} {_parameters(words[3:])}")
        elif kind == "R":
            lines.append(f"{words[0].lower()} ({words[1]} {words[2]}) resistor r={words[3]}")
        elif kind == "V" and words[3].upper() == "DC":
            lines.append(f"{words[0].lower()} ({words[1]} {words[2]}) vsource dc={words[4]}")
        elif kind == "N":
            lines.append(f"{words[0].lower()} ({words[1]} {words[2]}) {words[3]} {_parameters(words[4:])}")
        else:
            raise InputError(f"the VACASK engine cannot translate the netlist card {line[:60]!r}")
    lines += ["control", f"  {OPTIONS}", f"  analysis {ANALYSIS} op", "endc", ""]
    return "\n".join(lines), [f"{str(name).lower()}:flow(br)" for name in spice.ammeters]
