"""Damped Newton–Raphson on any compiled circuit, for circuits with multi-terminal nonlinear elements.

The robust and batched method of :mod:`memxbar.solver.newton` limits the voltage of each
two-terminal junction; a transistor (1T1R cells) is not a junction, so circuits with one are solved
here: Newton's method on :class:`~memxbar.solver.equations.CircuitEquations` (residual and Jacobian
of every element group), started from the circuit with every memristor and selector at its
conductance G and every other nonlinear element linearised at the known voltages, each step damped
by backtracking until the residual norm decreases sufficiently (Armijo), or the residual is at the
level of rounding. Iteration stops once a full step changes no node voltage by more than
:data:`STEP_TOLERANCE` times the largest driven voltage, or the residual is at the level of rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.circuit.elements import Devices
from memxbar.errors import ConvergenceError
from memxbar.solver.equations import CircuitEquations
from memxbar.solver.linalg import factorize

MAX_ITERATIONS = 50
"""Newton iterations allowed per input vector before :class:`ConvergenceError` is raised."""

STEP_TOLERANCE = 1e-10
"""Convergence: largest node-voltage change of a full step, relative to the largest input voltage."""

ROUNDING_LEVEL = 64 * np.finfo(np.float64).eps
"""A residual below this fraction of the sum of the magnitudes of the currents at its node is
rounding noise (the summation error is a few machine epsilons of that sum)."""

ARMIJO = 1e-4
"""Sufficient decrease of the residual norm required of a damped step: factor 1 − ARMIJO·α."""

MAX_HALVINGS = 40
"""Most times a step is halved in one iteration."""


@dataclass(frozen=True, eq=False)
class DampedNewtonResult:
    """Node voltages found by Newton's method, and how it got there."""

    unknown: np.ndarray
    """(n_unknown, B) voltages of the unknown nodes in volts (V)."""
    iterations: np.ndarray
    """(B,) Newton iterations (Jacobian factorisations) each input vector took."""
    residual: np.ndarray
    """(B,) largest absolute KCL residual at any node at the end, in amperes (A)."""


def _step(system: CircuitEquations, x: np.ndarray, u: np.ndarray, f: np.ndarray, label: str) -> np.ndarray:
    """Newton step −J⁻¹·F for one vector (1-D arrays).

    Raises:
        ConvergenceError: If a device current or slope is not finite (overflow).
    """
    try:
        jacobian, spd = system.jacobian(x, u)
        if not np.isfinite(f).all():
            raise FloatingPointError
    except FloatingPointError:
        devices = system.circuit.devices
        vd = np.concatenate([x, u])[devices.nodes]
        largest = float(np.abs(vd[:, 0] - vd[:, 1]).max())
        raise ConvergenceError(
            f"Newton's method met device currents or slopes beyond floating point with {label} (largest device "
            f"voltage {largest:.3g} V); lower the input voltages"
        ) from None
    with factorize(jacobian, system.ordering, positive_definite=spd) as solve:
        return -solve(f)


def _initial(system: CircuitEquations, u: np.ndarray) -> np.ndarray:
    """(n, B) start: the linear circuit with every memristor and selector at its conductance G and every
    other nonlinear element linearised at the known voltages with unknown nodes at 0 V."""
    values = system.linear_values.copy()
    zero = np.concatenate([np.zeros((system.n, 1)), u[:, :1]])
    for group in system.nonlinear:
        if isinstance(group, Devices):
            stamps = group.conductance_stamps()
        else:
            stamps = group.evaluate(zero[group.nodes])[1][..., 0]
        values[system._slices[id(group)]] = stamps.ravel()
    a, s = system.pattern.matrices(values)
    with factorize(a, system.ordering, positive_definite=system.positive_definite_structure) as solve:
        return solve(-(s @ u))


def _norms(f: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        norm = np.sqrt((f * f).sum(axis=0))
    return np.where(np.isfinite(norm), norm, np.inf)


def _residual(system: CircuitEquations, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KCL residual F (n, B) in amperes, and whether it is finite and at the level of rounding (B,)."""
    f, scale, _ = system.node_currents(x, u)
    with np.errstate(invalid="ignore"):
        rounding = np.all(np.abs(f) <= ROUNDING_LEVEL * scale, axis=0)
    return f, rounding & np.isfinite(f).all(axis=0)


def solve_circuit(system: CircuitEquations, u: np.ndarray, label: str) -> DampedNewtonResult:
    """Solve the nodal equations of a nonlinear compiled circuit by damped Newton–Raphson.

    Args:
        system: The circuit's equations.
        u: (K, B) known node voltages in volts (V).
        label: What is being solved, for messages (e.g. the device model).

    Returns:
        The :class:`DampedNewtonResult`.

    Raises:
        ConvergenceError: If a vector has not converged after :data:`MAX_ITERATIONS`, or the
            device currents overflow.
    """
    batch = u.shape[1]
    if system.n == 0:
        return DampedNewtonResult(np.zeros((0, batch)), np.zeros(batch, dtype=int), np.zeros(batch))
    x = _initial(system, u)
    f, done = _residual(system, x, u)
    tolerance = STEP_TOLERANCE * np.maximum(np.abs(u).max(axis=0), np.finfo(float).tiny)
    iterations = np.zeros(batch, dtype=int)
    while not done.all():
        active = np.flatnonzero(~done)
        if iterations[active].max() >= MAX_ITERATIONS:
            _fail(system, f, active, label)
        dx = np.zeros((x.shape[0], active.size))
        for col, k in enumerate(active):
            dx[:, col] = _step(system, x[:, k], u[:, k], f[:, k], label)
        iterations[active] += 1
        small = np.abs(dx).max(axis=0) <= tolerance[active]
        x[:, active], f[:, active], rounding = _damped_update(
            system, x[:, active], u[:, active], f[:, active], dx, small
        )
        done[active] = small | rounding
    return DampedNewtonResult(x, iterations, np.abs(f).max(axis=0))


def _damped_update(
    system: CircuitEquations, x: np.ndarray, u: np.ndarray, f: np.ndarray, dx: np.ndarray, small: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Take the longest step α·dx, α = 1, 1/2, 1/4 …, that reduces the residual enough.

    A step already below the convergence tolerance (``small``) is taken in full.

    Returns:
        The new unknowns, their residual, and whether it is at the level of rounding.
    """
    norm = _norms(f)
    alpha = np.ones(x.shape[1])
    for _ in range(MAX_HALVINGS):
        trial = x + alpha * dx
        f_trial, rounding = _residual(system, trial, u)
        accept = small | rounding | (_norms(f_trial) <= (1.0 - ARMIJO * alpha) * norm)
        if accept.all():
            break
        alpha = np.where(accept, alpha, 0.5 * alpha)
    return trial, f_trial, rounding


def _fail(system: CircuitEquations, f: np.ndarray, active: np.ndarray, label: str) -> None:
    residual = np.abs(f[:, active])
    worst_node, worst_col = np.unravel_index(np.argmax(residual), residual.shape)
    raise ConvergenceError(
        f"Newton's method did not converge in {MAX_ITERATIONS} iterations for {active.size} input vector(s) "
        f"with {label}: largest KCL residual {residual.max():.3e} A at node "
        f"{system.circuit.describe(int(worst_node))} (input vector {active[worst_col]}); "
        "lower the input voltages or the line resistances, or check the device and cell parameters"
    )


