"""``memxbar compare``: solve one crossbar with both backends and report their difference."""

from __future__ import annotations

from typing import Any

import click

from memxbar.cli.options import (
    crossbar_options,
    force_option,
    input_options,
    output_paths,
    problem_from_options,
    warn_read_disturb,
)
from memxbar.io import write_output


@click.command("compare")
@crossbar_options
@input_options
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Write every figure to this JSON file.")
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=False),
    help="Draw both backends' output currents and their difference to this image (.png, .pdf, .svg …).",
)
@force_option
def compare_command(json_file: str | None, plot_file: str | None, force: bool, **kwargs: Any) -> None:
    """Run the fast and the ngspice backend on the same crossbar and inputs."""
    from memxbar.build import effective_parameters
    from memxbar.compare import compare
    from memxbar.progress import Spinner
    from memxbar.report import comparison_record, comparison_summary, provenance, write_json

    json_path, plot_path = output_paths(force, {"--json": json_file, "--plot": plot_file}, images=("--plot",))
    problem, params = problem_from_options(kwargs, backend="spice")
    warn_read_disturb(problem.crossbar, problem.voltages)
    with Spinner(f"solving {problem.crossbar.rows}x{problem.crossbar.cols} in both backends"):
        comparison = compare(problem.crossbar, problem.voltages)
    click.echo(comparison_summary(comparison))
    origin = provenance(effective_parameters(params), spice=True)
    if json_path:
        write_json({"provenance": origin, **comparison_record(comparison)}, json_path)
    if plot_path:
        from memxbar.plotting import plot_comparison

        write_output(plot_path, "--plot", lambda target: plot_comparison(comparison, target, origin=origin))
