"""``memxbar models``: the device models, their parameters, units, defaults, ranges and sources."""

from __future__ import annotations

import click

from memxbar.devices import MODELS, DeviceModel, model_class


def model_description(model: type[DeviceModel]) -> str:
    """A few lines describing one model class for the terminal."""
    lines = [
        f"{model.name}: {model.summary}",
        f"  G (conductances): {model.conductance_meaning}",
        f"  source: {model.citation}",
        f"  Verilog-A: {model.verilog_a_path()}",
    ]
    if model.parameters:
        rows = [(p.name, p.unit, f"{p.default:g}", p.range_text(), p.doc) for p in model.parameters]
        header = ("parameter", "unit", "default", "range", "meaning")
        widths = [max(len(r[k]) for r in [header, *rows]) for k in range(4)]
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
            lines.append("  " + "  ".join([*cells, row[4]]))
    else:
        lines.append("  no parameters")
    return "\n".join(lines)


@click.command("models")
@click.argument("names", nargs=-1)
def models_command(names: tuple[str, ...]) -> None:
    """List the device models (or only NAMES) with their parameters, for --device and --device-param."""
    chosen = [model_class(name) for name in names] or list(MODELS.values())
    click.echo("\n\n".join(model_description(model) for model in chosen))
