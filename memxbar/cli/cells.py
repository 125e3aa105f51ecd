"""``memxbar cells``: the crosspoint cells, their parameters, units, defaults, ranges and sources."""

from __future__ import annotations

import click

from memxbar.circuit.cells import CELLS, Cell, get_cell
from memxbar.cli.models import parameter_table


def cell_description(cell: type[Cell]) -> str:
    """A few lines describing one cell class for the terminal."""
    return "\n".join([f"{cell.name}: {cell.summary}", f"  source: {cell.citation}", *parameter_table(cell.parameters)])


@click.command("cells")
@click.argument("names", nargs=-1)
def cells_command(names: tuple[str, ...]) -> None:
    """List the crosspoint cells (or only NAMES) with their parameters, for --cell and --cell-param."""
    chosen = [type(get_cell(name)) for name in names] or list(CELLS.values())
    legend = ("Units are SI. Ranges: [a, b] includes a bound, (a, b) excludes it. Set a parameter with "
              "--cell-param NAME=VALUE; the memristor is the --device model.")
    click.echo("\n\n".join([*(cell_description(cell) for cell in chosen), legend]))
