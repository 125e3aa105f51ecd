"""``memxbar simulate``: solve one crossbar with one backend."""

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
from memxbar.devices import MODELS
from memxbar.errors import InputError
from memxbar.io import write_output

BACKEND_NAMES = ("fast", "spice")
"""Choices of ``--backend`` (the keys of :data:`memxbar.simulate.BACKENDS`)."""
METHOD_NAMES = ("auto", "direct", "weights", "iterative")
"""Choices of ``--method`` (:data:`memxbar.solver.direct.METHODS`)."""
DEFAULT_TOL = 1e-10
"""Default of ``--tol`` (:data:`memxbar.solver.iterative.DEFAULT_TOL`)."""
MIN_TOL = 1e-13
"""Smallest ``--tol`` (:data:`memxbar.solver.options.MIN_TOL`)."""


def check_fast_options(backend: str, method: str, outputs_only: bool, tol: float, linear: bool, device: str) -> None:
    """Refuse fast-backend options that would not take effect, naming the CLI options.

    Raises:
        InputError: For ``--method``/``--outputs-only``/``--tol`` with ``--backend spice``,
            ``--method weights`` without ``--outputs-only``, or ``--method``/``--tol`` that
            nonlinear devices (solved by Newton's method) do not use.
    """
    if backend != "fast":
        given = [name for name, used in (("--method", method != "auto"), ("--outputs-only", outputs_only),
                                         ("--tol", tol != DEFAULT_TOL)) if used]
        if given:
            raise InputError(f"{given[0]} applies to --backend fast only; drop it for --backend {backend}")
    if method == "weights" and not outputs_only:
        raise InputError("--method weights gives output currents only: add --outputs-only, or use --method direct")
    if not linear and (method not in ("auto", "direct") or tol != DEFAULT_TOL):
        option = "--tol" if tol != DEFAULT_TOL else f"--method {method}"
        raise InputError(
            f"{option} applies to ohmic devices; --device {device} is solved by Newton's method with direct "
            "solves: drop it"
        )


@click.command("simulate")
@crossbar_options
@input_options
@circuit_options
@click.option(
    "--backend",
    type=click.Choice(BACKEND_NAMES),
    default="fast",
    show_default=True,
    help="fast: exact sparse nodal analysis; spice: ngspice.",
)
@click.option(
    "--method",
    type=click.Choice(METHOD_NAMES),
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
    type=click.FloatRange(min=MIN_TOL, max=1.0, max_open=True),
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
    help="Draw maps of line voltages, device voltages (IR drop) and currents, and outputs vs ideal, to this "
    "image (.png, .pdf, .svg …).",
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
    from memxbar.build import effective_parameters
    from memxbar.progress import Spinner
    from memxbar.report import provenance, save_arrays, solution_record, solution_summary, write_json
    from memxbar.simulate import simulate

    if outputs_only and plot_file:
        raise InputError("--plot draws node voltages, which --outputs-only does not keep: drop one of them")
    json_path, npz_path, plot_path = output_paths(
        force, {"--json": json_file, "--npz": npz_file, "--plot": plot_file}, images=("--plot",)
    )
    device = kwargs["device"]
    circuit = {name: kwargs.pop(name) for name in CIRCUIT_ARGUMENTS}
    linear = kwargs.get("device_file") is None and MODELS[device].linear and circuit["cell"] == "1r"
    check_fast_options(backend, method, outputs_only, tol, linear, device)
    inputs_from_file = kwargs.get("inputs") is not None
    inputs_given = inputs_from_file or kwargs.get("batch", 1) != 1 or kwargs.get("v_max", 0.5) != 0.5
    problem, params = problem_from_options(kwargs, backend, outputs_only, method)
    setup = circuit_setup(problem.crossbar, problem.voltages, circuit, inputs_given, inputs_from_file)
    crossbar = setup.crossbar
    with Spinner(f"solving {crossbar.rows}x{crossbar.cols} ({backend} backend)"):
        solution = simulate(crossbar, setup.voltages, backend, **setup.bias, outputs_only=outputs_only, method=method,
                            tol=tol)
    click.echo(solution_summary(solution))
    origin = provenance(
        {**effective_parameters(params), **setup.given, "backend": backend, "method": method,
         "outputs_only": outputs_only, "tol": tol},
        spice=backend == "spice",
    )
    record = {"provenance": origin, **solution_record(solution)}
    if setup.select is not None:
        record["scheme"] = scheme_figures(solution, setup.select)
        click.echo(scheme_summary(record["scheme"], setup.scheme))
    if json_path:
        write_json(record, json_path)
    if npz_path:
        save_arrays(solution, npz_path, origin)
    if plot_path:
        from memxbar.plotting import plot_solution

        write_output(plot_path, "--plot", lambda target: plot_solution(solution, target, origin=origin))
