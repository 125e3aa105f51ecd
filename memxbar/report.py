"""Solutions and comparisons as JSON-ready dictionaries and as short text summaries."""

from __future__ import annotations

import json
import platform
import shlex
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from memxbar.errors import NotComputedError
from memxbar.io import write_output

if TYPE_CHECKING:
    from memxbar.compare import Comparison
    from memxbar.solution import Solution

POWER_FIELDS = ("power_devices", "power_word_lines", "power_bit_lines", "power_access", "power_drivers", "power_sense",
                "power_total")


def provenance(
    parameters: Mapping[str, Any], spice: bool = False, command: Sequence[str] | None = None
) -> dict[str, Any]:
    """How a result was made, for every output file: the command line, the parameters that took
    effect, the device model with all its parameter values and source, and the versions.

    Args:
        parameters: Parameter name → value as given to :func:`memxbar.build.build` or from
            :func:`memxbar.build.effective_parameters` (JSON-ready).
        spice: Whether ngspice was used (its version is then recorded).
        command: The command line; by default the command line memxbar's CLI is running, else this
            process's (``sys.argv``).
    """
    from memxbar import __version__

    if command is None:
        from memxbar.cli.options import invocation

        command = invocation or [Path(sys.argv[0]).name, *sys.argv[1:]]
    record: dict[str, Any] = {
        "command": shlex.join(command),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "memxbar": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "parameters": {key: _plain(value) for key, value in parameters.items()},
    }
    if spice:
        from memxbar.spice.ngspice import NgspiceError, session

        try:
            record["ngspice"] = session().info.version
        except NgspiceError:
            record["ngspice"] = None
    return record


def device_record(model: Any) -> dict[str, Any]:
    """A device model as JSON: name, source, and every parameter value (arrays by shape)."""
    return {
        "name": model.name,
        "citation": model.citation,
        "parameters": {
            name: float(value) if np.ndim(value) == 0 else f"array of shape {np.shape(value)}"
            for name, value in model.values.items()
        },
    }


def _kept(solution: Solution, name: str) -> Any:
    """A solution's field, or None where an outputs-only solution does not hold it."""
    try:
        return getattr(solution, name)
    except NotComputedError:
        return None


def _plain(value: Any) -> Any:
    """JSON-ready value: arrays as lists, NaN (a floating terminal's current) as null."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and np.isnan(value).any():
            return np.where(np.isnan(value), None, value.astype(object)).tolist()
        return value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def solution_record(solution: Solution) -> dict[str, Any]:
    """Every per-output and per-vector figure of a solution, in SI units, JSON-ready.

    Node voltages and device currents ((M, N[, B]) arrays) are left out; see
    :func:`save_arrays` for those. What an outputs-only solution does not hold is None.
    """
    from memxbar.reference import relative_to

    m, n = solution.crossbar.shape
    wires = solution.ideal_wire_currents
    record: dict[str, Any] = {
        "backend": solution.backend,
        "rows": m,
        "cols": n,
        "device": repr(solution.crossbar.device),
        "device_model": device_record(solution.crossbar.device),
        "cell": repr(solution.crossbar.cell),
        "bl_voltages_volts": None if solution.bias is None else
        (solution.bias.bl_voltages if solution.batched else solution.bias.bl_voltages[:, 0]),
        "floating_wl": None if solution.bias is None else np.flatnonzero(solution.bias.floating_wl),
        "floating_bl": None if solution.bias is None else np.flatnonzero(solution.bias.floating_bl),
        "batch": solution.voltages.shape[1] if solution.batched else None,
        "wall_time_seconds": solution.wall_time,
        "voltages_volts": solution.voltages,
        "output_currents": solution.output_currents,
        "ideal_currents": solution.ideal_currents,
        "deviation_amperes": solution.deviation,
        "relative_deviation": solution.relative_deviation,
        "ideal_wire_currents": wires,
        "relative_deviation_from_ideal_wires": relative_to(solution.output_currents, wires),
        "ideal_wires_relative_deviation_from_ideal": relative_to(wires, solution.ideal_currents),
        "input_currents": solution.input_currents,
        "method": solution.method,
        "outputs_only": solution.outputs_only,
        "kcl_residual": solution.kcl_residual,
    }
    device_voltages = _kept(solution, "device_voltages")
    record["max_device_voltage_volts"] = None if device_voltages is None else float(np.abs(device_voltages).max())
    record.update({f"{name}_watts": _kept(solution, name) for name in POWER_FIELDS})
    return {key: _plain(value) for key, value in record.items()}


def comparison_record(comparison: Comparison) -> dict[str, Any]:
    """Agreement figures of a comparison plus both solutions' records, JSON-ready."""
    return {
        "max_rel_error": comparison.max_rel_error,
        "max_abs_error_amperes": comparison.max_abs_error,
        "max_abs_error_volts": comparison.max_abs_error_volts,
        "inaccurate_backend": comparison.inaccurate_backend,
        "fast_seconds": comparison.fast_seconds,
        "spice_seconds": comparison.spice_seconds,
        "fast": solution_record(comparison.fast),
        "spice": solution_record(comparison.spice),
    }


def write_json(record: dict[str, Any], path: Path, what: str = "--json") -> None:
    """Write a record as indented JSON, in one piece (see :func:`memxbar.io.write_output`)."""
    text = json.dumps(record, indent=2) + "\n"
    write_output(path, what, lambda target: target.write_text(text, encoding="utf8"))


def save_npz(arrays: Mapping[str, Any], path: Path, what: str, origin: Mapping[str, Any] | None = None) -> None:
    """Write arrays to a compressed ``.npz`` file in one piece; ``origin`` (a provenance record) is
    stored as the JSON text array ``provenance`` (read it with ``json.loads(str(f["provenance"]))``)."""
    content = {name: array for name, array in arrays.items() if array is not None}
    if origin is not None:
        content["provenance"] = np.array(json.dumps(origin))

    def write(target: Path) -> None:
        with target.open("wb") as handle:
            np.savez_compressed(handle, **content)

    write_output(path, what, write)


def save_arrays(solution: Solution, path: Path, origin: Mapping[str, Any] | None = None) -> None:
    """Write all arrays of a solution (node voltages, device currents …) to a ``.npz`` file;
    an outputs-only solution has no node voltages or device currents to write. ``origin``: a
    :func:`provenance` record, stored as ``provenance``."""
    arrays = {
        "voltages": solution.voltages,
        "conductances": solution.crossbar.conductances,
        "output_currents": solution.output_currents,
        "ideal_currents": solution.ideal_currents,
        "wl_voltages": solution.wl_voltages,
        "bl_voltages": solution.bl_voltages,
        "device_currents": solution.device_currents,
    }
    save_npz(arrays, path, "--npz", origin)


def _si(value: float, unit: str) -> str:
    return f"{value:.6g} {unit}"


def _deviation(relative: np.ndarray) -> str:
    """The largest of per-vector relative deviations for the terminal; NaN marks a vector without current."""
    if np.isnan(relative).all():
        return "none to compare (the ideal currents are all 0 A)"
    return f"max {np.fmax.reduce(relative):.4g} relative"


def solution_summary(solution: Solution) -> str:
    """A few lines describing a solution for the terminal."""
    m, n = solution.crossbar.shape
    batch = solution.voltages.shape[1] if solution.batched else 1
    rel = np.atleast_1d(solution.relative_deviation)
    lines = [
        f"{m}x{n} crossbar, {batch} input vector(s), backend {solution.backend}"
        + (f" ({solution.method})" if solution.method else "")
        + f": {solution.wall_time:.4g} s",
        f"deviation from ideal G^T V: {_deviation(rel)}",
    ]
    if not solution.crossbar.device.linear:
        from memxbar.reference import relative_to

        wires = solution.ideal_wire_currents
        wire_error = np.atleast_1d(relative_to(solution.output_currents, wires))
        nonlinear_error = np.atleast_1d(relative_to(wires, solution.ideal_currents))
        lines += [
            f"deviation from the same devices with ideal wires (IR drop alone): {_deviation(wire_error)}",
            f"ideal wires vs G^T V (device nonlinearity alone): {_deviation(nonlinear_error)}",
        ]
    for name in POWER_FIELDS:
        label = name.removeprefix("power_").replace("_", " ")
        value = _kept(solution, name)
        if value is None:
            lines.append(f"power {label:<11} not computed (outputs only)")
            continue
        mean = float(np.atleast_1d(value).mean())
        lines.append(f"power {label:<11} {_si(mean, 'W')}" + (" (mean over batch)" if batch > 1 else ""))
    currents = np.atleast_2d(solution.output_currents.T)[0]
    shown = ", ".join(f"{c + 0.0:.6g}" for c in currents[:8]) + (", ..." if n > 8 else "")  # + 0.0: no "-0"
    lines.append(f"output currents (A){' of vector 0' if batch > 1 else ''}: {shown}")
    return "\n".join(lines)


def _residual(solution: Solution) -> str:
    return "not computed" if solution.kcl_residual is None else f"{float(np.max(solution.kcl_residual)):.1e}"


def comparison_summary(comparison: Comparison) -> str:
    """A few lines describing a comparison for the terminal."""
    m, n = comparison.fast.crossbar.shape
    return "\n".join(
        [
            f"{m}x{n} crossbar, fast vs spice",
            f"max relative error of output currents: {comparison.max_rel_error:.3e}",
            f"max absolute error of output currents: {comparison.max_abs_error:.3e} A",
            f"max node voltage difference:           {comparison.max_abs_error_volts:.3e} V",
            f"relative KCL residual: fast {_residual(comparison.fast)}, spice {_residual(comparison.spice)}"
            + (f" ({comparison.inaccurate_backend} is inaccurate)" if comparison.inaccurate_backend else ""),
            f"fast backend:  {comparison.fast_seconds:.4g} s",
            f"spice backend: {comparison.spice_seconds:.4g} s",
        ]
    )
