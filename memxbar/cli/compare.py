"""``memxbar compare``: solve one crossbar with both backends and report their difference."""

from __future__ import annotations

from typing import Any

import click

from memxbar.cli.bias import CIRCUIT_ARGUMENTS, circuit_options, circuit_setup, scheme_figures, scheme_summary
from memxbar.cli.options import (
    crossbar_options,
    force_option,
    input_options,
    output_paths,
    problem_from_options,
)
from memxbar.io import write_output


@click.command("compare")
@crossbar_options
@input_options
@circuit_options
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="Write every figure to this JSON file.")
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=False),
    help="Draw both backends' output currents and their difference to this image (.png, .pdf, .svg …).",
)
@click.option(
    "--engines",
    default="fast,spice",
    show_default=True,
    help="Engines to run: fast,spice, or fast,spice,vacask to add VACASK (verilog-a extra) as a third, "
    "independent engine, compared with the fast backend.",
)
@force_option
def compare_command(json_file: str | None, plot_file: str | None, engines: str, force: bool, **kwargs: Any) -> None:
    """Run the fast and the ngspice backend (and optionally VACASK) on the same crossbar and inputs."""
    from memxbar.build import effective_parameters
    from memxbar.compare import compare
    from memxbar.progress import Spinner
    from memxbar.report import comparison_record, comparison_summary, provenance, write_json

    chosen = [name.strip() for name in engines.split(",")]
    if sorted(chosen) not in (["fast", "spice"], ["fast", "spice", "vacask"]):
        raise click.BadParameter("give fast,spice or fast,spice,vacask", param_hint="--engines")
    if "vacask" in chosen and (kwargs["cell"] != "1r" or any(kwargs[name] is not None for name in (
            "bl_voltages", "floating_wl", "floating_bl", "scheme"))):
        raise click.BadParameter("vacask runs 1r crossbars read from the word lines with bit lines at 0 V; drop "
                                 "--cell, --bl-voltages, --floating-* and --scheme, or vacask", param_hint="--engines")
    json_path, plot_path = output_paths(force, {"--json": json_file, "--plot": plot_file}, images=("--plot",))
    circuit = {name: kwargs.pop(name) for name in CIRCUIT_ARGUMENTS}
    inputs_from_file = kwargs.get("inputs") is not None
    inputs_given = inputs_from_file or kwargs.get("batch", 1) != 1 or kwargs.get("v_max", 0.5) != 0.5
    problem, params = problem_from_options(kwargs, backend="spice", remedies=())
    setup = circuit_setup(problem.crossbar, problem.voltages, circuit, inputs_given, inputs_from_file)
    with Spinner(f"solving {setup.crossbar.rows}x{setup.crossbar.cols} in both backends"):
        comparison = compare(setup.crossbar, setup.voltages, **setup.bias)
    click.echo(comparison_summary(comparison))
    origin = provenance({**effective_parameters(params), **setup.given}, spice=True)
    record = {"provenance": origin, **comparison_record(comparison)}
    if setup.select is not None:
        record["scheme"] = {backend: scheme_figures(getattr(comparison, backend), setup.select)
                            for backend in ("fast", "spice")}
        click.echo(scheme_summary(record["scheme"]["fast"], setup.scheme))
    if "vacask" in chosen:
        from memxbar.compare import relative_errors
        from memxbar.vacask.engine import solve_vacask

        vacask = solve_vacask(setup.crossbar, setup.voltages)
        error = float(relative_errors(vacask.output_currents, comparison.fast.output_currents).max())
        click.echo(f"vacask vs fast: max relative error of output currents {error:.3e}; vacask: {vacask.seconds:.4f} s")
        record |= {"vacask_max_rel_error": error, "vacask_seconds": vacask.seconds}
    if json_path:
        write_json(record, json_path)
    if plot_path:
        from memxbar.plotting import plot_comparison

        write_output(plot_path, "--plot", lambda target: plot_comparison(comparison, target, origin=origin))
