"""``memxbar weights``: the effective weights T (I_out = T·V) of a crossbar, to a file."""

from __future__ import annotations

import time
from typing import Any

import click

from memxbar.cli.options import (
    crossbar_arguments_given,
    force_option,
    linear_crossbar_options,
    option_name,
    output_paths,
    requested_shape,
)
from memxbar.errors import InputError

FORMATS = (".npy", ".csv")
"""File types ``--output`` and ``--conductances-out`` may have."""


def _save(path: Any, array: Any, what: str) -> None:
    import numpy as np

    from memxbar.io import write_output

    def write(target: Any) -> None:
        if path.suffix.lower() == ".npy":
            with target.open("wb") as handle:
                np.save(handle, array)
        else:
            np.savetxt(target, array, delimiter=",", fmt="%.17g")

    write_output(path, what, write)


@click.command("weights")
@linear_crossbar_options
@click.option(
    "-o",
    "--output",
    "output_file",
    type=click.Path(dir_okay=False),
    required=True,
    help="Write the (N, M) effective weights in siemens to this .npy or .csv file (provenance beside it, "
    "in FILE.json).",
)
@click.option(
    "--conductances-out",
    "conductances_file",
    type=click.Path(dir_okay=False),
    help="Also write the (M, N) conductances used, in siemens, to this .npy or .csv file.",
)
@force_option
def weights_command(output_file: str, conductances_file: str | None, force: bool, **kwargs: Any) -> None:
    """Write the effective weights T of a crossbar: I_out = T·V, the IR-drop-distorted Gᵀ (ohmic devices)."""
    from memxbar.build import build, effective_parameters
    from memxbar.report import provenance, write_json
    from memxbar.solver.direct import effective_weights

    for option, name in (("--output", output_file), ("--conductances-out", conductances_file)):
        if name is not None and not name.lower().endswith(FORMATS):
            raise InputError(f"{option}: {name} must end in .npy or .csv")
    record_file = f"{output_file}.json"
    path, g_path, record_path = output_paths(
        force, {"--output": output_file, "--conductances-out": conductances_file, "--output (provenance)": record_file}
    )
    params = crossbar_arguments_given(kwargs)
    shape = requested_shape(params)
    if shape is not None:
        _check_memory(shape)
    crossbar = build(params, inputs=False, label=option_name).crossbar
    _check_memory(crossbar.shape)
    start = time.perf_counter()
    t = effective_weights(crossbar)
    seconds = time.perf_counter() - start
    _save(path, t, "--output")
    if g_path is not None:
        _save(g_path, crossbar.conductances, "--conductances-out")
    origin = provenance(effective_parameters(params, inputs=False))
    write_json({"provenance": origin, "weights": str(path), "conductances": g_path and str(g_path),
                "shape": [crossbar.cols, crossbar.rows], "unit": "S"}, record_path, "--output")
    click.echo(f"{crossbar.rows}x{crossbar.cols} crossbar: effective weights ({crossbar.cols}, {crossbar.rows}) S "
               f"in {seconds:.4g} s, written to {path} (provenance in {record_path})")
    ideal = crossbar.conductances.T
    present = ideal > 0
    if present.any():
        ratio = t[present] / ideal[present]
        click.echo(f"T / G^T over the devices: min {ratio.min():.4g}, mean {ratio.mean():.4g}, max {ratio.max():.4g}")


def _check_memory(shape: tuple[int, int]) -> None:
    """Refuse effective weights that would not fit in memory: a factorisation, as for one full solve
    (:func:`memxbar.memory.check_memory`), whose (M, N) result arrays stand for G and T."""
    from memxbar.memory import check_memory

    check_memory(shape, True, 1, "fast", False, "direct", remedies={})
