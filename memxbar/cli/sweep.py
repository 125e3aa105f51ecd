"""``memxbar sweep`` (run a parameter sweep from a TOML file) and ``memxbar plot-sweep`` (draw its results)."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click

from memxbar.cli.options import INTERRUPTED, force_option, output_paths
from memxbar.errors import InputError
from memxbar.examples import example_names, example_path

ERROR_COLUMN = "error"
"""Column of a failed point's error (:data:`memxbar.sweeps.runner.ERROR_COLUMN`)."""
METRIC_NAMES = (
    "error_max_rel", "error_wires_max_rel", "error_devices_max_rel",
    "error_rms_rel", "error_max_A", "error_rms_A", "ir_drop_max_V", "ir_drop_max_frac", "power_W",
    "power_parasitic_W", "energy_J", "time_fast_s", "time_spice_s", "spice_vs_fast_max_rel", "spice_vs_fast_max_A",
    "accuracy", "accuracy_software", "energy_per_inference_J", "tops_per_watt", "operations", "peripheral_energy_J",
    "time_train_s", "time_circuit_s",
)
"""Choices of ``--metric``: the keys of :data:`memxbar.sweeps.metrics.METRICS` (crossbar sweeps) and of
:data:`memxbar.sweeps.network.METRICS` (network sweeps)."""
PLOTTABLE = (
    "rows, cols, g_min, g_max, r_wl, r_bl, r_driver, r_sense, v_max, batch, read_time, device, backend, method, tol, "
    "seed, device_NAME; or a network sweep's parameters (memxbar sweep --help)"
)
"""The sweep parameters, for help texts (the fields of :class:`memxbar.sweeps.spec.Experiment`)."""
FAILED = 1
"""Exit code of a sweep in which points failed."""



def _config_path(config: str | None, example: str | None) -> Path:
    if (config is None) == (example is None):
        raise InputError("give a configuration file CONFIG.toml or --example NAME (one of them)")
    return example_path(example) if example is not None else Path(config)


def _plan(config_path: Path, out: Path, force: bool) -> Any:
    from memxbar.sweeps.api import plan_sweep
    from memxbar.sweeps.config import load_config

    config = load_config(config_path)
    return plan_sweep(config.base, config.grid, config.seeds, out, force, config.kind)


class _SweepCommand(click.Command):
    """``memxbar sweep``, whose help ends with every parameter, its default and unit (listed when asked)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from memxbar.sweeps.network import FIELDS as NETWORK_FIELDS
        from memxbar.sweeps.spec import DEVICE_PARAMETERS, FIELDS

        def described(fields: dict[str, Any]) -> list[tuple[str, str]]:
            rows = []
            for name, item in fields.items():
                unit = item.metadata["unit"]
                others = (item.metadata.get("choices") or ())[1:]
                choices = f" (or {', '.join(map(repr, others))})" if others else ""
                rows.append((name, f"{item.default!r}{' ' + unit if unit else ''}{choices}"))
            return rows

        with formatter.section("Parameters (keys of [base] and [grid])"):
            formatter.write_dl(described(FIELDS))
            models = sorted({model for pairs in DEVICE_PARAMETERS.values() for model, _ in pairs})
            formatter.write_paragraph()
            formatter.write_text(
                "and device_NAME for parameter NAME of the device model (e.g. device_v0 of sinh), defaults and "
                f"units in `memxbar models` ({', '.join(models)})."
            )
        with formatter.section('Parameters of a network sweep (kind = "network": an MLP on crossbars per point)'):
            formatter.write_dl(described(NETWORK_FIELDS))
        with formatter.section("Examples (--example NAME; --print shows one)"):
            formatter.write_text(", ".join(example_names()))


def _failures(frame: object) -> str:
    errors = Counter(e for e in frame[ERROR_COLUMN] if e)
    if not errors:
        return ""
    shown = "; ".join(f"{n}x {message}" for message, n in errors.most_common(3))
    return f"{sum(errors.values())} point(s) failed (see the {ERROR_COLUMN} column): {shown}"


@click.command("sweep", cls=_SweepCommand)
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--example", type=click.Choice(example_names()), help="Run an example configuration shipped with memxbar."
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Results file (CSV), appended to as points finish [default: CONFIG name with .csv].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Worker processes of the local Dask cluster [default: one per core]; 0 runs in this process.",
)
@click.option("--scheduler", metavar="ADDRESS", help="Use a running Dask scheduler (e.g. tcp://host:8786) instead.")
@click.option(
    "--task-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=0.5,
    show_default=True,
    help="Largest estimated work of one Dask task (s); small points are grouped.",
)
@click.option("--dry-run", is_flag=True, help="Check the configuration, print the plan and stop.")
@click.option("--print", "print_config", is_flag=True, help="Print the configuration (e.g. of --example) and stop.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar [default: when standard error is a terminal].",
)
@click.option(
    "--force",
    is_flag=True,
    help="Start afresh even if the results file holds points; it is kept, renamed to NAME.backup-N.csv.",
)
def sweep_command(
    config: str | None,
    example: str | None,
    out_file: str | None,
    workers: int | None,
    scheduler: str | None,
    task_seconds: float,
    dry_run: bool,
    print_config: bool,
    progress: bool | None,
    force: bool,
) -> None:
    """Run the sweep described by CONFIG.toml; run it again to resume after an interruption.

    Every point's row (parameters, output error against ideal G^T V, worst IR drop, power and
    energy per VMM, solver times; for kind = "network": accuracy, energy per inference, TOPS/W)
    is appended to the results file as soon as its task finishes; finished points are skipped on
    the next run and failed ones are tried again.
    """
    if workers is not None and scheduler is not None:
        raise InputError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    config_path = _config_path(config, example)
    if print_config:
        from memxbar.io import read_text

        click.echo(read_text(config_path, "CONFIG"), nl=False)
        return
    out = Path(out_file) if out_file is not None else Path(f"{config_path.stem}.csv")
    plan = _plan(config_path, out, force)
    done = len(plan.points) - len(plan.todo)
    click.echo(
        f"sweep {config_path.name}: {len(plan.points)} points, {len(plan.todo)} to run"
        + (f", {done} already in {out}" if done else "")
        + f"; results in {out}",
        err=True,
    )
    if dry_run:
        from memxbar.sweeps.tasks import plan_tasks

        count = max(workers if workers is not None else os.cpu_count() or 1, 1)
        where = f"the workers of {scheduler}" if scheduler else f"{count} local worker(s)"
        tasks = plan_tasks(plan.todo, count, task_seconds)
        click.echo(f"dry run: about {len(tasks)} task(s) for {where}; nothing was run or written", err=True)
        return
    if plan.backup is not None:
        click.echo(f"keeping the earlier results as {plan.backup}", err=True)
    from dataclasses import replace

    from memxbar.io import read_text
    from memxbar.report import provenance
    from memxbar.sweeps.api import run_sweep

    configuration = read_text(config_path, "CONFIG")
    plan = replace(plan, origin=provenance({"config": str(config_path), "configuration": configuration}))

    logging.getLogger("distributed").setLevel(logging.ERROR)
    start = time.perf_counter()
    try:
        shown = sys.stderr.isatty() if progress is None else progress
        frame = run_sweep(plan, workers, scheduler, shown, task_seconds)
    except KeyboardInterrupt:
        left = len(_plan(config_path, out, False).todo)
        click.echo(
            f"interrupted: {len(plan.points) - left} of {len(plan.points)} points are saved in {out}; "
            "run the same command again to continue",
            err=True,
        )
        sys.exit(INTERRUPTED)
    click.echo(f"{len(plan.todo)} point(s) run in {time.perf_counter() - start:.1f} s; results in {out}", err=True)
    failures = _failures(frame)
    if failures:
        click.echo(f"Error: {failures}", err=True)
        sys.exit(FAILED)


def _where(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise InputError(f"--where {item}: expected PARAMETER=VALUE, e.g. g_max=1e-4")
        pairs[name.strip()] = value.strip()
    return pairs


SCALES = click.Choice(["auto", "linear", "log"])


@click.command("plot-sweep")
@click.argument("results", type=click.Path(dir_okay=False))
@click.option(
    "--x",
    "x",
    required=True,
    help=f"Parameter on the horizontal axis: {PLOTTABLE}; text parameters (device, backend) give categories.",
)
@click.option("--y", "y", help="Second parameter (same choices): draw a heatmap of the metric over x and y.")
@click.option(
    "--metric", type=click.Choice(METRIC_NAMES), default="error_max_rel", show_default=True, help="Metric to draw."
)
@click.option(
    "--series",
    multiple=True,
    help="Parameter (same choices as --x) with one line per value; repeat for combinations.",
)
@click.option("--where", multiple=True, metavar="PARAMETER=VALUE", help="Keep only rows with this value (repeatable).")
@click.option("--xscale", type=SCALES, default="auto", show_default=True, help="Scale of the x axis.")
@click.option(
    "--yscale",
    type=SCALES,
    default="auto",
    show_default=True,
    help="Scale of the metric (y axis, or the colours of a heatmap).",
)
@click.option(
    "-o",
    "--output",
    "output_file",
    type=click.Path(dir_okay=False),
    help="Image file [default: RESULTS-METRIC-vs-X.png].",
)
@force_option
def plot_sweep_command(
    results: str,
    x: str,
    y: str | None,
    metric: str,
    series: tuple[str, ...],
    where: tuple[str, ...],
    xscale: str,
    yscale: str,
    output_file: str | None,
    force: bool,
) -> None:
    """Draw a metric of a sweep's RESULTS against a parameter (lines, mean and min-max over seeds) or a heatmap."""
    from memxbar.io import write_output
    from memxbar.report import provenance
    from memxbar.sweeps.plots import plot_heatmap, plot_lines
    from memxbar.sweeps.store import read_results

    if y is not None and series:
        raise InputError("a heatmap (--y) has no --series; fix other parameters with --where")
    stem = Path(results).with_suffix("")
    default = f"{stem}-{metric}-vs-{x}" + (f"-{y}" if y else "") + ".png"
    (path,) = output_paths(force, {"--output": output_file or default}, images=("--output",))
    frame = read_results(results)
    conditions = _where(where)
    origin = provenance({"results": str(results), "x": x, "y": y, "metric": metric, "series": list(series),
                         "where": conditions})
    if y is None:
        write_output(path, "--output", lambda target: plot_lines(frame, x, metric, target, series, conditions, xscale,
                                                                 yscale, origin))
    else:
        write_output(path, "--output", lambda target: plot_heatmap(frame, x, y, metric, target, conditions, yscale,
                                                                   origin))
    click.echo(f"wrote {path}", err=True)
    failures = _failures(frame)
    if failures:
        click.echo(f"left out: {failures}", err=True)
