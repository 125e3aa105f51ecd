"""Options shared by the commands that build a crossbar and its inputs, and how they are read.

The same options and ``--seed`` give the same crossbar and inputs in every command, so runs of
``netlist``, ``simulate`` and ``compare`` can be checked against each other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

from memxbar.build import PARAMETERS, Problem, build, device_model
from memxbar.devices import MODELS, DeviceModel
from memxbar.io import ARRAY_SUFFIXES, check_distinct, check_image, check_writable


class NumberOrArrayFile(click.ParamType):
    """A number, or the path of a .npy/.csv file holding an array (read by :func:`memxbar.build.build`)."""

    name = "NUMBER|FILE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float, np.ndarray)):
            return value
        try:
            return float(value)
        except ValueError:
            pass
        if Path(value).suffix.lower() not in ARRAY_SUFFIXES:
            self.fail(f"{value!r} is neither a number nor a .npy/.csv file", param, ctx)
        return value


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
            return key, number


INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells report it."""

invocation: list[str] = []
"""The command line being run (``memxbar`` and its arguments), for the provenance of output files."""


def option_name(parameter: str) -> str:
    """The CLI option of a :mod:`memxbar.build` parameter, for error messages (``r_wl`` → ``--r-wl``)."""
    return "--device-param" if parameter == "device_params" else "--" + parameter.replace("_", "-")


def build_device(device: str | None, device_params: tuple[tuple[str, Any], ...],
                 device_file: str | None = None, conductance_param: str | None = None) -> DeviceModel:
    """The device model that ``--device`` (or ``--device-file``) and the ``--device-param`` options describe.

    Raises:
        InputError: If a parameter is given twice or is unknown, or a value is out of range.
    """
    return device_model({"device": device, "device_params": device_params, "device_file": device_file,
                         "conductance_param": conductance_param}, option_name)


def _compose(*decorators: Callable[[Callable], Callable]) -> Callable[[Callable], Callable]:
    def apply(function: Callable) -> Callable:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def device_options(models: list[str]) -> Callable[[Callable], Callable]:
    """Options choosing the device model among ``models`` and (if any has some) its parameters."""
    device = click.option(
        "--device",
        type=click.Choice(models),
        default="ohmic",
        show_default=True,
        help="Device model; `memxbar models` lists them with their parameters and sources.",
    )
    if not any(MODELS[name].parameters for name in models):
        return device
    return _compose(
        device,
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


def _crossbar_options(models: list[str], seed_help: str) -> Callable[[Callable], Callable]:
    resistance = {"type": NumberOrArrayFile(), "default": 0.0, "show_default": True}
    return _compose(
        click.option("--rows", type=click.IntRange(min=1), help="Word lines M of a random crossbar [default: 32]."),
        click.option("--cols", type=click.IntRange(min=1), help="Bit lines N of a random crossbar [default: 32]."),
        click.option("--g-min", type=float, default=1e-6, show_default=True, help="Lowest random conductance (S)."),
        click.option("--g-max", type=float, default=1e-4, show_default=True, help="Highest random conductance (S)."),
        click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help=seed_help),
        click.option(
            "--conductances",
            type=click.Path(dir_okay=False),
            help="(M, N) conductances in S from a .npy or .csv file, instead of random ones.",
        ),
        click.option("--r-wl", **resistance, help="Word-line segment resistance (Ω), or an (M, N) .npy/.csv file."),
        click.option("--r-bl", **resistance, help="Bit-line segment resistance (Ω), or an (M, N) .npy/.csv file."),
        click.option("--r-driver", **resistance, help="Driver output resistance (Ω), or an (M,) .npy/.csv file."),
        click.option(
            "--r-sense", **resistance, help="Sense-amplifier input resistance (Ω), or an (N,) .npy/.csv file."
        ),
        device_options(models),
    )


crossbar_options = _crossbar_options(list(MODELS), "Seed of the random conductances and inputs (>= 0).")
"""Options describing the crossbar: random (size, range, seed) or from a file, parasitics, devices."""

linear_crossbar_options = _crossbar_options(
    [name for name, model in MODELS.items() if model.linear], "Seed of the random conductances (>= 0)."
)
"""The same options for commands that need linear devices and make no inputs (``memxbar weights``)."""

input_options = _compose(
    click.option(
        "--inputs",
        type=click.Path(dir_okay=False),
        help="Input voltages in V, (M,) or (M, B), from a .npy or .csv file (one CSV line or column is one (M,) "
        "vector), instead of random ones.",
    ),
    click.option("--v-max", type=float, default=0.5, show_default=True, help="Largest random input voltage (V)."),
    click.option(
        "--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Number of random input vectors B."
    ),
)
"""Options describing the input voltage vectors: random (batch, range, seed) or from a file."""

force_option = click.option("--force", is_flag=True, help="Overwrite output files that already exist.")


CROSSBAR_ARGUMENTS = tuple(name for name, spec in PARAMETERS.items() if not spec.inputs)
"""Keyword arguments that :data:`crossbar_options` gives a command (the crossbar parameters of :mod:`memxbar.build`)."""

INPUT_ARGUMENTS = tuple(name for name, spec in PARAMETERS.items() if spec.inputs)
"""Keyword arguments that :data:`input_options` gives a command."""


def _given(kwargs: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Pop the options ``names`` out of a command's keyword arguments, keeping those the user gave."""
    ctx = click.get_current_context()
    params = {}
    for name in names:
        if name not in kwargs:
            continue
        value = kwargs.pop(name)
        source = ctx.get_parameter_source(name)
        if source is not None and source != click.core.ParameterSource.DEFAULT and value not in (None, ()):
            params[name] = value
    return params


def crossbar_arguments_given(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the crossbar options out of a command's keyword arguments; those the user gave, for
    :func:`memxbar.build.build` (with ``inputs=False``)."""
    return _given(kwargs, CROSSBAR_ARGUMENTS)


def requested_shape(params: dict[str, Any]) -> tuple[int, int] | None:
    """(M, N) the given options ask for, so that memory can be checked before anything is built; None when a
    file (``conductances``, ``inputs``) sets the shape instead."""
    if "conductances" in params or "inputs" in params:
        return None
    return params.get("rows", PARAMETERS["rows"].default), params.get("cols", PARAMETERS["cols"].default)


def problem_from_options(
    kwargs: dict[str, Any],
    backend: str = "fast",
    outputs_only: bool = False,
    method: str = "auto",
    remedies: tuple[str, ...] = ("outputs_only", "iterative", "fast"),
) -> tuple[Problem, dict[str, Any]]:
    """Pop the crossbar and input options out of a command's keyword arguments and build the problem,
    checking before and after building that the solve will fit in memory (see :mod:`memxbar.memory`).

    ``remedies`` are the ways out of a memory shortage the command offers (keys of
    :data:`memxbar.memory.CLI_REMEDIES`), so that a refusal names only options the command has.

    Returns:
        The problem, and the options the user gave (for the provenance of output files).
    """
    from memxbar.memory import CLI_REMEDIES, check_memory

    offered = {key: CLI_REMEDIES[key] for key in remedies}
    params = _given(kwargs, CROSSBAR_ARGUMENTS + INPUT_ARGUMENTS)
    linear = "device_file" not in params and MODELS[params.get("device", "ohmic")].linear
    shape = requested_shape(params)
    if shape is not None:
        check_memory(shape, linear, params.get("batch", 1), backend, outputs_only, method, offered)
    problem = build(params, label=option_name)
    batch = 1 if problem.voltages.ndim == 1 else problem.voltages.shape[1]
    check_memory(problem.crossbar.shape, linear, batch, backend, outputs_only, method, offered)
    return problem, params


def output_paths(force: bool, options: dict[str, str | None], images: tuple[str, ...] = ()) -> list[Path | None]:
    """Check every output file of a command before any work is done, so that a mistake costs nothing.

    Args:
        force: Whether existing files may be overwritten.
        options: Option (e.g. ``"--json"``) → the file it names, or None.
        images: The options (e.g. ``"--plot"``) that name images, whose suffix must be a format.

    Returns:
        The checked paths (None where not given), in the order of ``options``.

    Raises:
        InputError: If a file exists (without ``force``), its folder is missing or not writable,
            an image has no known format, or two options name the same file.
    """
    paths: dict[str, Path | None] = {}
    for option, value in options.items():
        paths[option] = None if value is None else check_writable(value, force, option)
        if paths[option] is not None and option in images:
            check_image(paths[option], option)
    check_distinct(paths)
    return list(paths.values())
