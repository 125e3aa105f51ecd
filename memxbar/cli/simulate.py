"""``memxbar simulate``: solve one crossbar with one backend."""

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
from memxbar.errors import InputError
from memxbar.plotting import plot_solution
from memxbar.report import save_arrays, solution_record, solution_summary, write_json
from memxbar.simulate import BACKENDS, simulate
from memxbar.solver.direct import METHODS
from memxbar.solver.iterative import DEFAULT_TOL


@click.command("simulate")
@crossbar_options
@input_options
@click.option(
    "--backend",
    type=click.Choice(sorted(BACKENDS)),
    default="fast",
    show_default=True,
    help="fast: exact sparse nodal analysis; spice: ngspice.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="auto",
    show_default=True,
    help="Fast backend: direct (sparse factorisation), weights (effective weights, needs --outputs-only), "
    "iterative (preconditioned conjugate gradients), or auto (by size and by what is asked).",
)
@click.option(
    "--outputs-only",
    is_flag=True,
    help="Fast backend: keep only output and input currents, not node voltages (faster for large batches).",
)
@click.option(
    "--tol",
    type=click.FloatRange(min=0.0, max=1.0, min_open=True, max_open=True),
    default=DEFAULT_TOL,
    show_default=True,
    help="Fast backend: relative error at which the iterative method stops; relative KCL residual of Newton.",
)
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Write every figure to this JSON file.")
@click.option(
    "--npz",
    "npz_file",
    type=click.Path(dir_okay=False),
    help="Write node voltages and device currents to this .npz file.",
)
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=False),
    help="Draw voltage and current heatmaps and outputs vs ideal to this image (e.g. .png).",
)
@force_option
def simulate_command(
    backend: str,
    method: str,
    outputs_only: bool,
    tol: float,
    json_file: str | None,
    npz_file: str | None,
    plot_file: str | None,
    force: bool,
    **kwargs: Any,
) -> None:
    """Simulate a crossbar and report currents, deviation from ideal and power."""
    if outputs_only and plot_file:
        raise InputError("--plot draws node voltages, which --outputs-only does not keep: drop one of them")
    json_path = output_path(json_file, force, "--json")
    npz_path = output_path(npz_file, force, "--npz")
    plot_path = output_path(plot_file, force, "--plot")
    problem = build_problem(**problem_arguments(kwargs))
    solution = simulate(problem.crossbar, problem.voltages, backend, outputs_only=outputs_only, method=method, tol=tol)
    click.echo(solution_summary(solution))
    if json_path:
        write_json(solution_record(solution), json_path)
    if npz_path:
        save_arrays(solution, npz_path)
    if plot_path:
        plot_solution(solution, plot_path)
