"""``memxbar doctor``: what this machine offers memxbar (PARDISO, ngspice, KLU, OSDI, openvaf-r)."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

import click

from memxbar.spice.ngspice import MIN_VERSION, NgspiceError, session


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@click.command("doctor")
def doctor_command() -> None:
    """Report the ngspice version, KLU, OSDI, library path and Verilog-A compiler; exit 1 if unusable."""
    from memxbar.osdi.compiler import compiler_status
    from memxbar.solver.linalg import pardiso_available
    from memxbar.vacask.engine import vacask_status

    click.echo(f"python      {sys.version.split()[0]}")
    for package in ("numpy", "scipy", "PySpice", "click", "matplotlib"):
        click.echo(f"{package:<11} {_package_version(package)}")
    if pardiso_available():
        click.echo(f"PARDISO     yes (pypardiso {_package_version('pypardiso')}): fast factorisations, Kron reduction")
    else:
        click.echo("PARDISO     no: SciPy's SuperLU, 2-4x slower on large arrays (pip install 'memxbar[speed]')")
    try:
        info = session().info
    except NgspiceError as exc:
        click.echo(f"ngspice     unusable: {exc}")
        click.echo(f"Verilog-A   {compiler_status()}")
        sys.exit(1)
    click.echo(
        f"ngspice     {info.version} ({'ok' if info.version >= MIN_VERSION else f'too old, need >= {MIN_VERSION}'})"
    )
    click.echo(f"library     {info.library}")
    click.echo(f"KLU         {'yes' if info.klu else 'no (needed: large crossbars are impractically slow)'}")
    click.echo(f"OSDI        {'yes' if info.osdi else 'no'}")
    click.echo(f"Verilog-A   {compiler_status()}")
    click.echo(f"VACASK      {vacask_status()}")
    try:
        session().require()
    except NgspiceError as exc:
        click.echo(f"problem: {exc}")
        sys.exit(1)
