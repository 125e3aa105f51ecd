"""The ``memxbar`` command line: a thin layer over the Python API.

Each command lives in its own module of this package and is registered in ``COMMANDS``.
A user's mistake (:class:`~memxbar.errors.InputError`, a bad option, an unreadable
file) ends the command with one line on standard error and exit code 2; a missing or
unsuitable ngspice, or a solver that does not converge, with one line and exit code 1.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

from memxbar import __version__
from memxbar.cli.bench import bench_command
from memxbar.cli.cells import cells_command
from memxbar.cli.compare import compare_command
from memxbar.cli.doctor import doctor_command
from memxbar.cli.iv import iv_command
from memxbar.cli.models import models_command
from memxbar.cli.netlist import netlist_command
from memxbar.cli.nn import nn_command
from memxbar.cli.options import INTERRUPTED, invocation
from memxbar.cli.simulate import simulate_command
from memxbar.cli.sweep import plot_sweep_command, sweep_command
from memxbar.cli.transient import transient_command
from memxbar.cli.weights import weights_command
from memxbar.errors import AccuracyWarning, ConvergenceError, InputError, ReadDisturbWarning
from memxbar.osdi.library import OsdiError
from memxbar.spice.ngspice import NgspiceError
from memxbar.vacask.engine import VacaskError


class _Group(click.Group):
    """A click group that reports every expected failure as one line instead of a traceback."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        invocation[:] = ["memxbar", *(sys.argv[1:] if args is None else args)]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", AccuracyWarning)
                warnings.simplefilter("once", ReadDisturbWarning)
                warnings.showwarning = _warn
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            code = _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            code = _fail("interrupted (Ctrl-C); no output file was written after this point", INTERRUPTED)
        except (InputError, OSError) as exc:
            code = _fail(str(exc), 2)
        except (NgspiceError, ConvergenceError, OsdiError, VacaskError) as exc:
            code = _fail(str(exc), 1)
        if standalone_mode:
            sys.exit(code if isinstance(code, int) else 0)
        return code


def _warn(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """Show a warning (e.g. an :class:`AccuracyWarning`) as one line on standard error."""
    click.echo(f"Warning: {' '.join(str(message).split())}", err=True)


def _fail(message: str, code: int) -> int:
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    return code


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="memxbar")
def main() -> None:
    """Simulate memristor crossbar arrays in ngspice and in an exact fast solver."""


COMMANDS: list[click.Command] = [
    simulate_command,
    netlist_command,
    compare_command,
    doctor_command,
    models_command,
    cells_command,
    iv_command,
    sweep_command,
    plot_sweep_command,
    bench_command,
    weights_command,
    nn_command,
    transient_command,
]
"""Sub-commands, each defined in its own module of ``memxbar.cli``."""

for _command in COMMANDS:
    main.add_command(_command)
