"""``memxbar models``: the device models, their parameters and states, units, defaults, ranges and sources."""

from __future__ import annotations

from collections.abc import Sequence

import click

from memxbar.devices import MODELS, DeviceModel, Parameter, model_class
from memxbar.devices.dynamic import Memristor

LEGEND = (
    "Units are SI (1: dimensionless), except activation energies in eV as the papers give them. "
    "Ranges: [a, b] includes a bound, (a, b) excludes it. Set a parameter with --device-param NAME=VALUE."
)
"""The line under the listing that explains its notation."""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows aligned in columns (the last one, the meaning, left ragged), indented by two spaces."""
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header) - 1)]
    return [
        "  " + "  ".join([*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in [header, *rows]
    ]


def _hertz(frequency: float) -> str:
    """A frequency with an SI prefix, e.g. ``1 MHz``."""
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if frequency >= scale:
            return f"{frequency / scale:g} {prefix}Hz"
    return f"{frequency:g} Hz"


def model_description(model: type[DeviceModel] | DeviceModel) -> str:
    """A few lines describing one model class (or a compiled Verilog-A model) for the terminal."""
    lines = [
        f"{model.name}: {model.summary}",
        f"  G (conductances): {model.conductance_meaning}",
        f"  source: {model.citation}",
        f"  Verilog-A: {model.verilog_a_path()}",
    ]
    if isinstance(model, type) and issubclass(model, Memristor):
        lines.append(f"  memxbar iv default: sine of {model.sweep_amplitude:g} V at {_hertz(model.sweep_frequency)}")
    if getattr(model, "states", ()):
        states = [(s.name, s.unit, f"[{s.minimum:g}, {s.maximum:g}]", s.doc) for s in model.states]
        lines += _table(("state", "unit", "range", "meaning"), states)
    return "\n".join(lines + parameter_table(model.parameters))


def parameter_table(parameters: Sequence[Parameter]) -> list[str]:
    """Lines listing parameters with unit, default, range and meaning (or saying there are none)."""
    if not parameters:
        return ["  no parameters"]
    rows = [(p.name, p.unit, f"{p.default:g}", p.range_text(), p.doc) for p in parameters]
    return _table(("parameter", "unit", "default", "range", "meaning"), rows)


@click.command("models")
@click.argument("names", nargs=-1)
@click.option("--device-file", type=click.Path(dir_okay=False), help="List the parameters of this Verilog-A model.")
@click.option("--conductance-param", metavar="NAME", help="Its instance parameter that takes the conductance.")
def models_command(names: tuple[str, ...], device_file: str | None, conductance_param: str | None) -> None:
    """List the device models (or only NAMES) with their parameters, for --device and --device-param."""
    if device_file is not None:
        from memxbar.devices.verilog_a import from_verilog_a

        legend = f'{LEGEND} Unit ?: the file declares none (give it as (* units="V" *)).'
        click.echo("\n\n".join([model_description(from_verilog_a(device_file, conductance_param)), legend]))
        return
    chosen = [model_class(name) for name in names] or list(MODELS.values())
    click.echo("\n\n".join([*(model_description(model) for model in chosen), LEGEND]))
