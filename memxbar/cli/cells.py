"""``memxbar cells``: the crosspoint cells, their parameters, units, defaults, ranges and sources."""

from __future__ import annotations

import click

from memxbar.circuit.cells import CELLS, Cell, get_cell
from memxbar.cli.models import _table


def cell_description(cell: type[Cell]) -> str:
    """A few lines describing one cell class for the terminal."""
    lines = [f"{cell.name}: {cell.summary}", f"  source: {cell.citation}"]
    if cell.parameters:
        rows = [(p.name, p.unit, f"{p.default:g}", p.range_text(), p.doc) for p in cell.parameters]
        lines += _table(("parameter", "unit", "default", "range", "meaning"), rows)
    else:
        lines.append("  no parameters")
    return "\n".join(lines)


@click.command("cells")
@click.argument("names", nargs=-1)
def cells_command(names: tuple[str, ...]) -> None:
    """List the crosspoint cells (or only NAMES) with their parameters, for --cell and --cell-param."""
    chosen = [type(get_cell(name)) for name in names] or list(CELLS.values())
    legend = ("Units are SI. Ranges: [a, b] includes a bound, (a, b) excludes it. Set a parameter with "
              "--cell-param NAME=VALUE; the memristor is the --device model.")
    click.echo("\n\n".join([*(cell_description(cell) for cell in chosen), legend]))
