"""``memxbar simulate``: solve one crossbar with one backend."""

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
from memxbar.errors import InputError
from memxbar.plotting import plot_solution
from memxbar.report import save_arrays, solution_record, solution_summary, write_json
from memxbar.simulate import BACKENDS, simulate
from memxbar.solver.iterative import DEFAULT_TOL
from memxbar.solver.options import METHODS


@click.command("simulate")
@crossbar_options
@input_options
@circuit_options
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
    help="Fast backend, iterative method: relative error at which it stops.",
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
    circuit = {name: kwargs.pop(name) for name in CIRCUIT_ARGUMENTS}
    inputs_given = kwargs["inputs_file"] is not None or kwargs["batch"] != 1
    problem = build_problem(**problem_arguments(kwargs))
    setup = circuit_setup(problem.crossbar, problem.voltages, circuit, inputs_given)
    solution = simulate(setup.crossbar, setup.voltages, backend, **setup.bias, outputs_only=outputs_only,
                        method=method, tol=tol)
    click.echo(solution_summary(solution))
    record = solution_record(solution)
    if setup.select is not None:
        record["scheme"] = scheme_figures(solution, setup.select)
        click.echo(scheme_summary(record["scheme"]))
    if json_path:
        write_json(record, json_path)
    if npz_path:
        save_arrays(solution, npz_path)
    if plot_path:
        plot_solution(solution, plot_path)
