"""One entry point for every backend: ``simulate(crossbar, voltages, backend=..., bias...)``.

A backend is a :class:`Backend`: a name, the options it takes (a frozen dataclass validated once)
and a function that solves a compiled circuit under a bias. ``simulate`` validates the bias and
hands it to the backend with the circuit's compiler (:func:`~memxbar.circuit.compile.compiler`:
compiled once, when first needed; the line solver's outputs never need it); it knows no backend
by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from memxbar.circuit.bias import Bias, check_gates, make_bias
from memxbar.circuit.compile import Circuit, compiler
from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.solution import Solution
from memxbar.solver.options import FastOptions


@dataclass(frozen=True)
class SpiceOptions:
    """The ngspice backend takes no options (its tolerances are in the netlist)."""


def _solve_fast(crossbar: Crossbar, compiled: Callable[[], Circuit], bias: Bias, options: FastOptions) -> Solution:
    from memxbar.solver.direct import solve_linear_circuit
    from memxbar.solver.newton import solve_newton

    # A plain array of linear devices is linear without compiling it (the line solver never needs the circuit).
    if (crossbar.cell.internal_nodes == 0 and crossbar.device.linear) or compiled().linear:
        return solve_linear_circuit(crossbar, compiled, bias, options)
    circuit = compiled()
    if options.method not in ("auto", "direct"):
        raise InputError(
            f"method={options.method!r} applies to linear (ohmic, 1r) crossbars; {crossbar.device.name} devices in "
            f"{crossbar.cell.name} cells are solved by Newton's method: leave method at 'auto'"
        )
    return solve_newton(crossbar, bias, circuit, outputs_only=options.outputs_only, tol=options.tol)


def _solve_spice(crossbar: Crossbar, compiled: Callable[[], Circuit], bias: Bias, options: SpiceOptions) -> Solution:
    from memxbar.solver.newton import gate_voltages
    from memxbar.spice.backend import solve_spice_circuit

    circuit = compiled()
    known = circuit.known_voltages(bias.wl_voltages, bias.bl_voltages, gate_voltages(crossbar, bias))
    return solve_spice_circuit(crossbar, circuit, bias, known)


@dataclass(frozen=True)
class Backend:
    """A way of solving a compiled circuit."""

    name: str
    """Name (what ``backend=`` takes)."""
    options: type
    """Frozen dataclass of the options it takes; its fields are keyword arguments of :func:`simulate`."""
    solve: Callable[[Crossbar, Callable[[], Circuit], Bias, Any], Solution]
    """Solver of (crossbar, compiled circuit (a function that compiles it once, when first called), bias,
    options)."""
    summary: str
    """What it is, in one line."""


BACKENDS: Mapping[str, Backend] = MappingProxyType({
    "fast": Backend("fast", FastOptions, _solve_fast, "exact sparse nodal analysis in NumPy/SciPy"),
    "spice": Backend("spice", SpiceOptions, _solve_spice, "ngspice through its shared library"),
})
"""Backends by name."""


def backend_options(backend: str, given: Mapping[str, Any]) -> Any:
    """The options object of ``backend`` from keyword arguments; arguments it does not take must be
    at the defaults of the backends that do.

    Raises:
        InputError: If the backend is unknown or an option does not apply to it.
    """
    try:
        chosen = BACKENDS[backend]
    except (KeyError, TypeError):
        raise InputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}") from None
    own = _option_names(chosen.options)
    for name, value in given.items():
        if name in own:
            continue
        defaults = [f.default for other in BACKENDS.values() for f in fields(other.options) if f.name == name]
        if not defaults:
            raise InputError(f"{name} is not an option of any backend")
        if not all(_same(value, d) for d in defaults):
            owners = [b.name for b in BACKENDS.values() if name in _option_names(b.options)]
            raise InputError(f"{name} applies to the {'/'.join(owners)} backend only; drop it for backend={backend!r}")
    return chosen.options(**{name: value for name, value in given.items() if name in own})


@cache
def _option_names(options: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(options))


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


def simulate(
    crossbar: Crossbar,
    voltages: np.ndarray,
    backend: str = "fast",
    *,
    bl_voltages: object = 0.0,
    floating_wl: object = None,
    floating_bl: object = None,
    gate_voltages: object = None,
    **options: Any,
) -> Solution:
    """Solve a crossbar for one bias vector or a batch.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) word-line terminal voltages in volts (V); 0 for floating lines.
        backend: ``"fast"`` (exact sparse nodal analysis in NumPy/SciPy, with Newton's method
            for nonlinear elements) or ``"spice"`` (ngspice through its shared library).
        bl_voltages: Bit-line terminal voltages (V): a number, (N,) or (N, B); 0 V is the virtual
            ground of a sense amplifier.
        floating_wl: (M,) boolean mask of word lines whose terminal is left open, or None.
        floating_bl: (N,) boolean mask of bit lines whose terminal is left open, or None.
        gate_voltages: Select-line voltages (V) of 1T1R cells: a number, (M,) or (M, B); None for the
            cell's default (every transistor on).
        **options: The backend's options (:class:`~memxbar.solver.options.FastOptions` for ``"fast"``:
            ``outputs_only``, ``method``, ``tol``, ``maxiter``).

    Returns:
        The :class:`Solution`; its shapes follow ``voltages``.

    Raises:
        InputError: If an argument is invalid (the message names it), or the solve would need more
            memory than is available (:func:`memxbar.memory.check_memory`: the estimate and what to do).
        ConvergenceError: If an iterative or Newton solve does not reach its tolerance.

    Warns:
        ReadDisturbWarning: If the inputs would move a dynamic device's state during a read
            (:func:`memxbar.disturb.read_disturb`); the read is still solved at the programmed state.
    """
    if not isinstance(crossbar, Crossbar):
        raise InputError(f"crossbar must be a memxbar.Crossbar, got {type(crossbar).__name__}")
    chosen = backend_options(backend, options)
    check_gates(crossbar.cell.gated, crossbar.cell.name, gate_voltages)
    from memxbar.disturb import warn_read_disturb
    from memxbar.memory import check_memory

    bias = make_bias(crossbar.shape, voltages, bl_voltages, floating_wl, floating_bl, gate_voltages)
    linear = crossbar.device.linear and crossbar.cell.internal_nodes == 0
    check_memory(crossbar.shape, linear, bias.batch, backend, bool(getattr(chosen, "outputs_only", False)),
                 getattr(chosen, "method", "auto"))
    warn_read_disturb(crossbar, bias.wl_voltages, bias.bl_voltages)
    return BACKENDS[backend].solve(crossbar, compiler(crossbar, bias.floating_wl, bias.floating_bl), bias, chosen)
