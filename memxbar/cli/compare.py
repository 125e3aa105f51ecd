"""``memxbar compare``: solve one crossbar with both backends and report their difference."""

from __future__ import annotations

from typing import Any

import click

from memxbar.cli.bias import CIRCUIT_ARGUMENTS, circuit_options, circuit_setup, scheme_figures, scheme_summary
from memxbar.cli.options import (
    build_problem,
    crossbar_options,
    force_option,
    input_options,
    output_path,
    problem_arguments,
)
from memxbar.compare import compare
from memxbar.plotting import plot_comparison
from memxbar.report import comparison_record, comparison_summary, write_json


@click.command("compare")
@crossbar_options
@input_options
@circuit_options
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Write every figure to this JSON file.")
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=False),
    help="Draw both backends' output currents and their difference to this image.",
)
@force_option
def compare_command(json_file: str | None, plot_file: str | None, force: bool, **kwargs: Any) -> None:
    """Run the fast and the ngspice backend on the same crossbar and inputs."""
    json_path = output_path(json_file, force, "--json")
    plot_path = output_path(plot_file, force, "--plot")
    circuit = {name: kwargs.pop(name) for name in CIRCUIT_ARGUMENTS}
    inputs_given = kwargs["inputs_file"] is not None or kwargs["batch"] != 1
    problem = build_problem(**problem_arguments(kwargs))
    setup = circuit_setup(problem.crossbar, problem.voltages, circuit, inputs_given)
    comparison = compare(setup.crossbar, setup.voltages, **setup.bias)
    click.echo(comparison_summary(comparison))
    record = comparison_record(comparison)
    if setup.select is not None:
        record["scheme"] = {backend: scheme_figures(getattr(comparison, backend), setup.select)
                            for backend in ("fast", "spice")}
        click.echo(scheme_summary(record["scheme"]["fast"]))
    if json_path:
        write_json(record, json_path)
    if plot_path:
        plot_comparison(comparison, plot_path)
