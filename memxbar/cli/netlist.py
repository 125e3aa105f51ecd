"""``memxbar netlist``: write the SPICE netlist of a crossbar."""

from __future__ import annotations

from typing import Any

import click

from memxbar.cli.bias import CIRCUIT_ARGUMENTS, circuit_options, circuit_setup
from memxbar.cli.options import (
    build_problem,
    crossbar_options,
    force_option,
    input_options,
    output_path,
    problem_arguments,
)
from memxbar.errors import InputError
from memxbar.netlist.writer import crossbar_netlist


@click.command("netlist")
@crossbar_options
@input_options
@circuit_options
@click.option(
    "-o",
    "--output",
    "output_file",
    type=click.Path(dir_okay=False),
    help="Write the netlist to this file instead of standard output.",
)
@force_option
def netlist_command(output_file: str | None, force: bool, **kwargs: Any) -> None:
    """Write a netlist that `ngspice -b FILE` runs as it is, printing every output current."""
    path = output_path(output_file, force, "--output")
    circuit = {name: kwargs.pop(name) for name in CIRCUIT_ARGUMENTS}
    inputs_given = kwargs["inputs_file"] is not None or kwargs["batch"] != 1
    problem = build_problem(**problem_arguments(kwargs))
    setup = circuit_setup(problem.crossbar, problem.voltages, circuit, inputs_given)
    voltages = setup.voltages
    if voltages.ndim == 2:
        if voltages.shape[1] != 1:
            raise InputError(
                f"a netlist holds one input vector, got {voltages.shape[1]}; "
                "use --batch 1 or a one-column --inputs file"
            )
        voltages = voltages[:, 0]
    text = crossbar_netlist(setup.crossbar, voltages, **setup.bias).text
    if path is None:
        click.echo(text, nl=False)
    else:
        path.write_text(text)
