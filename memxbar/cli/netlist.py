"""``memxbar netlist``: write the SPICE netlist of a crossbar."""

from __future__ import annotations

from typing import Any

import click

from memxbar.cli.bias import CIRCUIT_ARGUMENTS, circuit_options, circuit_setup
from memxbar.cli.options import (
    crossbar_options,
    force_option,
    input_options,
    output_paths,
    problem_from_options,
)
from memxbar.errors import InputError
from memxbar.io import write_output

PROVENANCE = "* provenance"
"""Start of the comment lines, after the title, that record how a netlist file was made."""


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
    from memxbar.build import effective_parameters
    from memxbar.netlist.writer import crossbar_netlist
    from memxbar.report import provenance

    (path,) = output_paths(force, {"--output": output_file})
    circuit = {name: kwargs.pop(name) for name in CIRCUIT_ARGUMENTS}
    inputs_from_file = kwargs.get("inputs") is not None
    inputs_given = inputs_from_file or kwargs.get("batch", 1) != 1 or kwargs.get("v_max", 0.5) != 0.5
    problem, params = problem_from_options(kwargs, backend="spice", remedies=())
    setup = circuit_setup(problem.crossbar, problem.voltages, circuit, inputs_given, inputs_from_file)
    voltages = setup.voltages
    if voltages.ndim == 2:
        if voltages.shape[1] != 1:
            raise InputError(
                f"a netlist holds one input vector, got {voltages.shape[1]}; "
                "use --batch 1 or a one-column --inputs file"
            )
        voltages = voltages[:, 0]
    origin = provenance({**effective_parameters(params), **setup.given})
    header = "".join(f"{PROVENANCE} {key}: {value}\n" for key, value in origin.items() if key != "parameters")
    header += "".join(f"{PROVENANCE} {key} = {value}\n" for key, value in origin["parameters"].items())
    text = crossbar_netlist(setup.crossbar, voltages, **setup.bias).text
    if path is None:
        click.echo(text, nl=False)
    else:
        write_output(path, "--output", lambda target: target.write_text(_with_header(text, header)))


def _with_header(text: str, header: str) -> str:
    """The netlist with the provenance comments after its title line (SPICE reads line 1 as the title)."""
    title, _, rest = text.partition("\n")
    return f"{title}\n{header}{rest}"
