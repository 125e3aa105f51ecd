"""Options shared by the commands that build a crossbar and its inputs, and how they are read.

The same options and ``--seed`` give the same crossbar and inputs in every command, so runs of
``netlist``, ``simulate`` and ``compare`` can be checked against each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.devices import MODELS, DeviceModel, get_model
from memxbar.errors import InputError
from memxbar.generate import random_conductances, random_inputs
from memxbar.io import ARRAY_SUFFIXES, as_vector, check_writable, read_array


class NumberOrArrayFile(click.ParamType):
    """A number, or a .npy/.csv file holding an array (e.g. per-segment resistances)."""

    name = "NUMBER|FILE"

    def __init__(self, vector: bool = False) -> None:
        self.vector = vector
        """Whether the file holds one value per row or column: a one-line CSV becomes 1-D."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float, np.ndarray)):
            return value
        try:
            return float(value)
        except ValueError:
            pass
        if Path(value).suffix.lower() not in ARRAY_SUFFIXES:
            self.fail(f"{value!r} is neither a number nor a .npy/.csv file", param, ctx)
        array = read_array(value, f"--{param.name.replace('_', '-')}" if param else "value")
        return as_vector(array) if self.vector else array


class DeviceParameter(click.ParamType):
    """``KEY=VALUE``: a device-model parameter, VALUE a number or a .npy/.csv file of per-device values."""

    name = "KEY=VALUE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        key, sep, number = str(value).partition("=")
        if not sep or not key.strip() or not number.strip():
            self.fail(f"{value!r} is not KEY=VALUE, e.g. v0=0.3; see `memxbar models`", param, ctx)
        key, number = key.strip(), number.strip()
        try:
            return key, float(number)
        except ValueError:
            return key, read_array(number, f"--device-param {key}")


def build_device(
    device: str,
    device_params: tuple[tuple[str, Any], ...],
    device_file: str | None = None,
    conductance_param: str | None = None,
) -> DeviceModel:
    """The device model that ``--device`` (or ``--device-file``) and ``--device-param`` describe.

    Raises:
        InputError: If a parameter is given twice or is unknown, a value is out of range, both
            ``--device`` and ``--device-file`` are given, or the Verilog-A file is refused.
    """
    params: dict[str, Any] = {}
    for key, value in device_params:
        if key in params:
            raise InputError(f"--device-param {key} is given twice; give each parameter once")
        params[key] = value
    if device_file is None:
        if conductance_param is not None:
            raise InputError("--conductance-param applies to --device-file MODEL.va only; drop it")
        return get_model(device, **params)
    if device != "ohmic":
        raise InputError(f"--device {device} and --device-file {device_file} both choose the device; give one")
    from memxbar.devices.verilog_a import from_verilog_a

    return from_verilog_a(device_file, conductance_param, **params)


def _compose(*decorators: Callable[[Callable], Callable]) -> Callable[[Callable], Callable]:
    def apply(function: Callable) -> Callable:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


device_options = _compose(
    click.option(
        "--device",
        type=click.Choice(list(MODELS)),
        default="ohmic",
        show_default=True,
        help="Device model; `memxbar models` lists them with their parameters.",
    ),
    click.option(
        "--device-param",
        "device_params",
        type=DeviceParameter(),
        multiple=True,
        help="A device-model parameter KEY=VALUE in SI units (repeatable); VALUE may be an (M, N) "
        ".npy/.csv file of per-device values.",
    ),
    click.option(
        "--device-file",
        type=click.Path(dir_okay=False),
        help="A Verilog-A device model (.va), compiled to OSDI and run by both backends, instead of --device; "
        "`memxbar models --device-file F` lists its parameters.",
    ),
    click.option(
        "--conductance-param",
        metavar="NAME",
        help="Instance parameter of --device-file that takes the programmed conductances [default: G].",
    ),
)
"""Options choosing the device model and its parameters."""

crossbar_options = _compose(
    click.option("--rows", type=click.IntRange(min=1), help="Word lines M of a random crossbar [default: 32]."),
    click.option("--cols", type=click.IntRange(min=1), help="Bit lines N of a random crossbar [default: 32]."),
    click.option("--g-min", type=float, default=1e-6, show_default=True, help="Lowest random conductance (S)."),
    click.option("--g-max", type=float, default=1e-4, show_default=True, help="Highest random conductance (S)."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of random conductances and inputs."),
    click.option(
        "--conductances",
        "conductances_file",
        type=click.Path(dir_okay=False),
        help="(M, N) conductances in S from a .npy or .csv file, instead of random ones.",
    ),
    click.option(
        "--r-wl",
        type=NumberOrArrayFile(),
        default=0.0,
        show_default=True,
        help="Word-line segment resistance (Ω), or an (M, N) .npy/.csv file.",
    ),
    click.option(
        "--r-bl",
        type=NumberOrArrayFile(),
        default=0.0,
        show_default=True,
        help="Bit-line segment resistance (Ω), or an (M, N) .npy/.csv file.",
    ),
    click.option(
        "--r-driver",
        type=NumberOrArrayFile(vector=True),
        default=0.0,
        show_default=True,
        help="Driver output resistance (Ω), or an (M,) .npy/.csv file.",
    ),
    click.option(
        "--r-sense",
        type=NumberOrArrayFile(vector=True),
        default=0.0,
        show_default=True,
        help="Sense-amplifier input resistance (Ω), or an (N,) .npy/.csv file.",
    ),
    device_options,
)
"""Options describing the crossbar: random (size, range, seed) or from a file, parasitics, devices."""

input_options = _compose(
    click.option(
        "--inputs",
        "inputs_file",
        type=click.Path(dir_okay=False),
        help="Input voltages in V, (M,) or (M, B), from a .npy or .csv file, instead of random ones.",
    ),
    click.option("--v-max", type=float, default=0.5, show_default=True, help="Largest random input voltage (V)."),
    click.option(
        "--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Number of random input vectors B."
    ),
)
"""Options describing the input voltage vectors: random (batch, range, seed) or from a file."""

force_option = click.option("--force", is_flag=True, help="Overwrite output files that already exist.")


@dataclass(frozen=True)
class Problem:
    """A crossbar and its input voltages, as the options describe them."""

    crossbar: Crossbar
    """The crossbar."""
    voltages: np.ndarray
    """(M,) for one input vector, (M, B) for a batch, in volts (V)."""


def build_crossbar(
    rows: int | None,
    cols: int | None,
    g_min: float,
    g_max: float,
    seed: int,
    conductances_file: str | None,
    r_wl: Any,
    r_bl: Any,
    r_driver: Any,
    r_sense: Any,
    device: str,
    device_params: tuple[tuple[str, Any], ...],
    device_file: str | None = None,
    conductance_param: str | None = None,
) -> Crossbar:
    """Turn the crossbar options into a :class:`~memxbar.crossbar.Crossbar`."""
    if conductances_file is not None:
        g = read_array(conductances_file, "--conductances")
        if g.ndim != 2:
            raise InputError(f"--conductances: {conductances_file} holds a {g.ndim}-D array; an (M, N) table is needed")
        for option, value, size in (("--rows", rows, g.shape[0]), ("--cols", cols, g.shape[1])):
            if value is not None and value != size:
                raise InputError(f"{option} {value} disagrees with --conductances of shape {g.shape}; drop {option}")
    else:
        g = random_conductances(rows or 32, cols or 32, g_min, g_max, seed)
    model = build_device(device, device_params, device_file, conductance_param)
    return Crossbar(g, r_wl=r_wl, r_bl=r_bl, r_driver=r_driver, r_sense=r_sense, device=model)


def build_problem(inputs_file: str | None, v_max: float, batch: int, seed: int, **crossbar_args: Any) -> Problem:
    """Turn the crossbar and input options into a :class:`Problem`."""
    crossbar = build_crossbar(seed=seed, **crossbar_args)
    if inputs_file is not None:
        voltages = read_array(inputs_file, "--inputs")
        if voltages.ndim == 2 and voltages.shape in ((1, crossbar.rows), (crossbar.rows, 1)):
            voltages = as_vector(voltages)
        if voltages.ndim not in (1, 2) or voltages.shape[0] != crossbar.rows:
            raise InputError(
                f"--inputs: {inputs_file} has shape {voltages.shape}; need ({crossbar.rows},) or ({crossbar.rows}, B)"
            )
    else:
        voltages = random_inputs(crossbar.rows, batch, v_max, seed)
        if batch == 1:
            voltages = voltages[:, 0]
    return Problem(crossbar, voltages)


CROSSBAR_ARGUMENTS = (
    "rows",
    "cols",
    "g_min",
    "g_max",
    "seed",
    "conductances_file",
    "r_wl",
    "r_bl",
    "r_driver",
    "r_sense",
    "device",
    "device_params",
    "device_file",
    "conductance_param",
)
"""Keyword arguments that :data:`crossbar_options` gives a command."""

INPUT_ARGUMENTS = ("inputs_file", "v_max", "batch")
"""Keyword arguments that :data:`input_options` gives a command."""


def crossbar_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the crossbar options out of a command's keyword arguments."""
    return {name: kwargs.pop(name) for name in CROSSBAR_ARGUMENTS}


def problem_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the crossbar and input options out of a command's keyword arguments."""
    return {name: kwargs.pop(name) for name in CROSSBAR_ARGUMENTS + INPUT_ARGUMENTS}


def output_path(path: str | None, force: bool, option: str) -> Path | None:
    """Check an output file option before any work is done, so a mistake costs nothing."""
    return None if path is None else check_writable(path, force, option)
