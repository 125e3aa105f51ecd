"""``memxbar compare``: solve one crossbar with both backends and report their difference."""

from __future__ import annotations

from typing import Any

import click

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
    problem = build_problem(**problem_arguments(kwargs))
    comparison = compare(problem.crossbar, problem.voltages)
    click.echo(comparison_summary(comparison))
    if json_path:
        write_json(comparison_record(comparison), json_path)
    if plot_path:
        plot_comparison(comparison, plot_path)
