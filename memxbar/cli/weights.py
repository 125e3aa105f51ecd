"""``memxbar weights``: the effective weights T (I_out = T·V) of a crossbar, to a file."""

from __future__ import annotations

import time
from typing import Any

import click
import numpy as np

from memxbar.cli.options import build_crossbar, crossbar_arguments, crossbar_options, force_option, output_path
from memxbar.errors import InputError
from memxbar.solver.direct import effective_weights

FORMATS = (".npy", ".csv")
"""File types ``--output`` may have."""


@click.command("weights")
@crossbar_options
@click.option(
    "-o",
    "--output",
    "output_file",
    type=click.Path(dir_okay=False),
    required=True,
    help="Write the (N, M) effective weights in siemens to this .npy or .csv file.",
)
@force_option
def weights_command(output_file: str, force: bool, **kwargs: Any) -> None:
    """Write the effective weights T of a crossbar: I_out = T·V, the IR-drop-distorted Gᵀ (linear devices)."""
    if not output_file.lower().endswith(FORMATS):
        raise InputError(f"--output: {output_file} must end in .npy or .csv")
    path = output_path(output_file, force, "--output")
    crossbar = build_crossbar(**crossbar_arguments(kwargs))
    start = time.perf_counter()
    t = effective_weights(crossbar)
    seconds = time.perf_counter() - start
    if path.suffix.lower() == ".npy":
        with path.open("wb") as handle:
            np.save(handle, t)
    else:
        np.savetxt(path, t, delimiter=",", fmt="%.17g")
    click.echo(f"{crossbar.rows}x{crossbar.cols} crossbar: effective weights ({crossbar.cols}, {crossbar.rows}) S "
               f"in {seconds:.4g} s, written to {path}")
    ideal = crossbar.conductances.T
    present = ideal > 0
    if present.any():
        ratio = t[present] / ideal[present]
        click.echo(f"T / G^T over the devices: min {ratio.min():.4g}, mean {ratio.mean():.4g}, max {ratio.max():.4g}")
