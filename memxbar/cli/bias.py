"""Options for cells and terminal conditions (bit-line voltages, floating lines, biasing schemes).

They complement the crossbar and input options of :mod:`memxbar.cli.options`: ``--cell`` and
``--cell-param`` choose what sits at each crosspoint; ``--bl-voltages``, ``--floating-wl``,
``--floating-bl`` and ``--gate-voltages`` set every terminal; ``--scheme read|v2|v3 --select I,J
--v-write V`` builds the static biasing of one selected cell instead of random inputs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from memxbar.circuit.bias import SCHEMES, scheme_bias
from memxbar.circuit.cells import CELLS, get_cell
from memxbar.cli.options import DeviceParameter, NumberOrArrayFile, _compose
from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.io import as_vector, read_array

if TYPE_CHECKING:
    from memxbar.solution import Solution


class IndexList(click.ParamType):
    """A comma-separated list of line indices, e.g. ``0,3,5``."""

    name = "I,J,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return tuple(int(part) for part in str(value).split(",") if part.strip())
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of whole numbers, e.g. 0,3,5", param, ctx)


circuit_options = _compose(
    click.option("--cell", type=click.Choice(list(CELLS)), default="1r", show_default=True,
                 help="What sits at each crosspoint; `memxbar cells` lists them with their parameters."),
    click.option("--cell-param", "cell_params", type=DeviceParameter(), multiple=True,
                 help="A cell parameter KEY=VALUE in SI units (repeatable), e.g. vto=0.4."),
    click.option("--bl-voltages", type=NumberOrArrayFile(), default=None,
                 help="Bit-line terminal voltages (V): a number or an (N,) .npy/.csv file [default: 0, a virtual "
                      "ground]."),
    click.option("--floating-wl", type=IndexList(), default=None,
                 help="Word lines whose terminal is left open (comma-separated indices)."),
    click.option("--floating-bl", type=IndexList(), default=None,
                 help="Bit lines whose terminal is left open (comma-separated indices)."),
    click.option("--gate-voltages", type=NumberOrArrayFile(), default=None,
                 help="1t1r: select-line voltages (V), a number or an (M,) .npy/.csv file [default: the cell's "
                      "v_gate, every transistor on]."),
    click.option("--scheme", type=click.Choice(SCHEMES), default=None,
                 help="Bias one selected cell (--select, --v-write) instead of random inputs: read (selected word "
                      "line at V, all else 0 V), v2 (unselected lines at V/2) or v3 (word lines V/3, bit lines 2V/3)."),
    click.option("--select", type=IndexList(), default=None, help="The selected cell I,J of --scheme."),
    click.option("--v-write", type=float, default=None, help="Voltage V across the selected cell of --scheme (V)."),
)
"""Options choosing the cell and the terminal conditions."""

CIRCUIT_ARGUMENTS = ("cell", "cell_params", "bl_voltages", "floating_wl", "floating_bl", "gate_voltages", "scheme",
                     "select", "v_write")
"""Keyword arguments that :data:`circuit_options` gives a command."""


@dataclass(frozen=True)
class CircuitSetup:
    """The crossbar with its cell, its word-line voltages, and the other terminal conditions."""

    crossbar: Crossbar
    """The crossbar, with the cell the options chose."""
    voltages: np.ndarray
    """(M,) or (M, B) word-line terminal voltages (V)."""
    bias: dict[str, Any]
    """Keyword arguments of :func:`memxbar.simulate` for the other terminals."""
    select: tuple[int, int] | None
    """The selected cell of a ``--scheme``, else None."""
    given: dict[str, Any]
    """The circuit options the user gave (for the provenance of output files)."""
    scheme: str | None
    """The biasing scheme, else None."""


def _describe(value: Any) -> Any:
    """A JSON-ready form of an option's value (pairs of KEY=VALUE options as a mapping)."""
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return {key: item for key, item in value}
    return list(value) if isinstance(value, tuple) else value


def _mask(indices: tuple[int, ...] | None, size: int, option: str, lines: str) -> np.ndarray | None:
    if indices is None:
        return None
    bad = [k for k in indices if not 0 <= k < size]
    if bad:
        raise InputError(f"{option}: {lines} {bad[0]} does not exist; indices run from 0 to {size - 1}")
    if len(set(indices)) != len(indices):
        raise InputError(f"{option}: {lines} {max(indices, key=indices.count)} is listed twice; list each once")
    mask = np.zeros(size, dtype=bool)
    mask[list(indices)] = True
    return mask


def circuit_setup(crossbar: Crossbar, voltages: np.ndarray, options: dict[str, Any],
                  inputs_given: bool, inputs_from_file: bool = False) -> CircuitSetup:
    """Apply the :data:`circuit_options` to a crossbar and its inputs.

    Args:
        crossbar: The crossbar from the crossbar options (a 1r cell).
        voltages: Its inputs from the input options (V).
        options: The values of :data:`CIRCUIT_ARGUMENTS`.
        inputs_given: Whether ``--inputs``, ``--batch`` or ``--v-max`` chose the inputs (they conflict with
            ``--scheme``).
        inputs_from_file: Whether ``--inputs`` gave them (then a floating line's entry must be 0 already).

    Raises:
        InputError: If an option is invalid or conflicts with another.
    """
    given = {name: _describe(value) for name, value in options.items() if value not in (None, (), "1r")}
    for name in ("bl_voltages", "gate_voltages"):
        if isinstance(options[name], str):
            options = {**options, name: as_vector(read_array(options[name], "--" + name.replace("_", "-")))}
    params: dict[str, Any] = {}
    for key, value in options["cell_params"]:
        if key in params:
            raise InputError(f"--cell-param {key} is given twice; give each parameter once")
        params[key] = value
    crossbar = dataclasses.replace(crossbar, cell=get_cell(options["cell"], **params))
    m, n = crossbar.shape
    floating_wl = _mask(options["floating_wl"], m, "--floating-wl", "word line")
    floating_bl = _mask(options["floating_bl"], n, "--floating-bl", "bit line")
    bias: dict[str, Any] = {"floating_wl": floating_wl, "floating_bl": floating_bl}
    if options["gate_voltages"] is not None:
        bias["gate_voltages"] = options["gate_voltages"]
    scheme, select, v_write = options["scheme"], options["select"], options["v_write"]
    if scheme is None:
        if select is not None or v_write is not None:
            raise InputError("--select and --v-write belong to --scheme; add --scheme read|v2|v3 or drop them")
        if options["bl_voltages"] is not None:
            bias["bl_voltages"] = options["bl_voltages"]
        if floating_wl is not None and not inputs_from_file:
            # Random inputs: a floating line takes none.
            voltages = np.where(floating_wl[:, None] if voltages.ndim == 2 else floating_wl, 0.0, voltages)
        return CircuitSetup(crossbar, voltages, bias, None, given, None)
    if select is None or len(select) != 2 or v_write is None:
        raise InputError("--scheme needs --select I,J (the selected cell) and --v-write V")
    for option, conflicting in (("--inputs/--batch/--v-max", inputs_given),
                                ("--bl-voltages", options["bl_voltages"] is not None),
                                ("--floating-wl", floating_wl is not None), ("--floating-bl", floating_bl is not None)):
        if conflicting:
            raise InputError(f"--scheme sets every terminal itself; drop {option}")
    plan = scheme_bias(crossbar.shape, scheme, (select[0], select[1]), v_write)
    bias["bl_voltages"] = plan.bl_voltages
    return CircuitSetup(crossbar, plan.voltages, bias, (select[0], select[1]), given, scheme)


def scheme_figures(solution: Solution, select: tuple[int, int]) -> dict[str, Any]:
    """The selected device's voltage and current, and the worst half-selected device's (SI units).

    Half-selected devices share the selected cell's word line or bit line (in a read, those on the
    selected word line see the full voltage); the worst is the one with the largest |voltage|. For a
    batch, vector 0.
    """
    v = solution.device_voltages if not solution.batched else solution.device_voltages[..., 0]
    i = solution.device_currents if not solution.batched else solution.device_currents[..., 0]
    row, col = select
    half = np.zeros(v.shape, dtype=bool)
    half[row, :] = half[:, col] = True
    half[row, col] = False
    figures: dict[str, Any] = {
        "selected": [row, col],
        "selected_voltage_V": float(v[row, col]),
        "selected_current_A": float(i[row, col]),
    }
    if half.any():
        candidates = np.argwhere(half)
        worst = candidates[np.argmax(np.abs(v[half]))]
        figures.update({
            "worst_half_selected": [int(worst[0]), int(worst[1])],
            "worst_half_selected_voltage_V": float(v[tuple(worst)]),
            "worst_half_selected_current_A": float(i[tuple(worst)]),
        })
    return figures


def scheme_summary(figures: dict[str, Any], scheme: str = "v2") -> str:
    """The figures of :func:`scheme_figures` as terminal lines."""
    row, col = figures["selected"]
    lines = [f"selected device [{row}, {col}]: {figures['selected_voltage_V']:.6g} V, "
             f"{figures['selected_current_A']:.6g} A"]
    if "worst_half_selected" in figures:
        i, j = figures["worst_half_selected"]
        # In a read, every device of the selected word line sees the full voltage: they are not half-selected.
        label = "worst other device on the selected lines" if scheme == "read" else "worst half-selected device"
        lines.append(f"{label} [{i}, {j}]: {figures['worst_half_selected_voltage_V']:.6g} V, "
                     f"{figures['worst_half_selected_current_A']:.6g} A")
    return "\n".join(lines)
