"""``memxbar bench``: a few-seconds side-by-side timing of memxbar, badcrossbar and ngspice."""

from __future__ import annotations

import click

from memxbar.bench import TOOLS, badcrossbar_available, problem, time_tool
from memxbar.errors import InputError
from memxbar.spice.ngspice import NgspiceError

DEFAULT_TOOLS = ("memxbar direct", "memxbar outputs", "badcrossbar", "ngspice")


@click.command("bench")
@click.option("--size", type=click.IntRange(min=2), default=128, show_default=True,
              help="Rows and columns of the square crossbar.")
@click.option("--batch", type=click.IntRange(min=1), default=10, show_default=True,
              help="Input vectors solved at once (ngspice solves them one after another).")
@click.option("--r-line", type=float, default=1.0, show_default=True,
              help="Resistance of every word- and bit-line segment (Ω).")
@click.option("--tools", default=",".join(DEFAULT_TOOLS), show_default=True,
              help=f"Comma-separated tools among: {', '.join(TOOLS)}.")
def bench_command(size: int, batch: int, r_line: float, tools: str) -> None:
    """Time memxbar against badcrossbar and ngspice on one random crossbar (devices 1–100 µS).

    Errors are relative to memxbar's direct solve; speed-ups are each tool's time over memxbar's
    fastest time for the same answer (outputs only, or all node voltages). For the full benchmark
    (sizes up to 2048, peak memory, plots) see benchmarks/run.py.
    """
    from memxbar.compare import relative_errors
    from memxbar.progress import Spinner

    names = [name.strip() for name in tools.split(",") if name.strip()]
    for name in names:
        if name not in TOOLS:
            raise InputError(f"--tools: unknown tool {name!r}; choose among {', '.join(TOOLS)}")
    crossbar, voltages = problem(size, size, batch, r_line)
    click.echo(f"{size}x{size} crossbar, {batch} input vector(s), {r_line:g} Ω segments, devices 1-100 µS")
    timings = []
    for name in names:
        if name == "badcrossbar" and not badcrossbar_available():
            click.echo(f"{name:<18} skipped: not installed "
                       "(pip install --no-deps badcrossbar==1.1.0 && pip install pathvalidate sigfig)")
            continue
        try:
            with Spinner(f"timing {name}", delay=0.5):
                timings.append(time_tool(name, crossbar, voltages))
        except NgspiceError as exc:
            click.echo(f"{name:<18} skipped: {exc}")
    reference = next((t for t in timings if t.tool == "memxbar direct"), timings[0] if timings else None)
    full = min((t.seconds for t in timings if t.tool in ("memxbar direct", "memxbar full")), default=None)
    outputs = min((t.seconds for t in timings if t.tool.startswith("memxbar")), default=None)
    click.echo(f"{'tool':<18} {'method':<10} {'time (s)':>10} {'max rel. error':>15} {'memxbar faster':>15}")
    for timing in timings:
        error = float(relative_errors(timing.currents, reference.currents).max())
        # badcrossbar returns outputs only for a batch; ngspice always returns everything.
        mine = outputs if timing.tool == "badcrossbar" and batch > 1 else full
        faster = f"{timing.seconds / mine:.0f}x" if mine and not timing.tool.startswith("memxbar") else ""
        click.echo(f"{timing.tool:<18} {timing.method or '':<10} {timing.seconds:>10.4g} {error:>15.1e} {faster:>15}")
