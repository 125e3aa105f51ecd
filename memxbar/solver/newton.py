"""Exact solution of crossbars with nonlinear devices: damped Newton–Raphson on the full nodal equations.

For unknown node voltages x (one column per input vector V), Kirchhoff's current law is

    F(x) = A₀·x + S₀·V + C·i(v) = 0,     v = device voltages W − B,

where A₀ and S₀ are the nodal matrices of the line resistors alone, i(v) the device currents
of the model and C the incidence matrix of the devices (+1 at the word-line node, −1 at the
bit-line node). Its Jacobian A₀ + C·diag(dI/dV)·Cᵀ is the nodal matrix with the devices'
small-signal conductances, assembled by refilling the cached pattern of
:class:`~memxbar.solver.nodal.NodalPattern` and factorised by
:func:`~memxbar.solver.linalg.factorize`.

Each input vector is iterated from the solution with every device replaced by its
conductance G (exact for ohmic devices). A step is damped by backtracking: it is halved
until the residual norm decreases sufficiently (Armijo), or the residual is at the level of
rounding, so an overshoot into the steep part of an exponential characteristic is pulled back.
Iteration stops once a full Newton step changes no node voltage by more than
:data:`STEP_TOLERANCE` times the largest input voltage (Newton's quadratic convergence makes
the remaining error far smaller still), or the residual is at the level of rounding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from memxbar.crossbar import Crossbar
from memxbar.errors import ConvergenceError
from memxbar.inputs import as_batch
from memxbar.solution import Solution
from memxbar.solver.direct import node_voltages
from memxbar.solver.linalg import factorize
from memxbar.solver.nodal import NodalPattern
from memxbar.topology import Topology, build_topology

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
class NewtonResult:
    """Node voltages found by Newton's method, and how it got there."""

    unknown: np.ndarray
    """(n_unknown, B) voltages of the unknown nodes in volts (V)."""
    iterations: np.ndarray
    """(B,) Newton iterations (Jacobian factorisations) each input vector took."""
    residual: np.ndarray
    """(B,) largest absolute KCL residual at any node at the end, in amperes (A)."""


def node_label(topology: Topology, node: int) -> str:
    """Human-readable name of an unknown node, e.g. ``W[3, 7]`` or ``sense node of bit line 2``."""
    m = topology.n_sources
    wl = np.argwhere(topology.wl_node == node)
    if wl.size:
        i, pos = wl[0]
        return f"driver output of word line {i}" if pos == 1 else f"W[{i}, {pos - 2}]"
    j, pos = np.argwhere(topology.bl_node == node)[0]
    return f"B[{pos}, {j}]" if pos < m else f"sense node of bit line {j}"


class _System:
    """The nodal equations of one crossbar with nonlinear devices."""

    def __init__(self, crossbar: Crossbar, topology: Topology) -> None:
        self.crossbar = crossbar
        self.topology = topology
        self.pattern = NodalPattern(topology)
        self.a0, self.s0 = self.pattern.matrices(np.zeros(crossbar.shape))
        n = topology.n_unknown
        w, b = topology.device_w.ravel(), topology.device_b.ravel()
        device = np.arange(w.size)
        rows = np.concatenate([w, b])
        cols = np.concatenate([device, device])
        sign = np.concatenate([np.ones(w.size), -np.ones(b.size)])
        keep = rows < n
        self.incidence = sp.csr_matrix((sign[keep], (rows[keep], cols[keep])), shape=(n, w.size))
        self.abs_a0, self.abs_s0, self.abs_incidence = abs(self.a0), abs(self.s0), abs(self.incidence)

    def device_voltages(self, unknown: np.ndarray, voltages: np.ndarray) -> np.ndarray:
        """(M, N, B) voltage across each device."""
        nodes = node_voltages(self.topology, unknown, voltages)
        return nodes[self.topology.device_w] - nodes[self.topology.device_b]

    def residual(self, unknown: np.ndarray, voltages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """KCL residual F (n, B) in amperes, and whether it is finite and at the level of rounding (B,)."""
        m, n = self.crossbar.shape
        with np.errstate(over="ignore", invalid="ignore"):
            i_dev = self.crossbar.device.current(self.device_voltages(unknown, voltages), self.crossbar.conductances)
        i_dev = i_dev.reshape(m * n, -1)
        f = self.a0 @ unknown + self.s0 @ voltages + self.incidence @ i_dev
        scale = self.abs_a0 @ np.abs(unknown) + self.abs_s0 @ np.abs(voltages) + self.abs_incidence @ np.abs(i_dev)
        with np.errstate(invalid="ignore"):
            rounding = np.all(np.abs(f) <= ROUNDING_LEVEL * scale, axis=0)
        return f, rounding & np.isfinite(f).all(axis=0)

    def step(self, unknown: np.ndarray, voltages: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Newton step −J⁻¹·F for one input vector (1-D arrays).

        Raises:
            ConvergenceError: If a device current or slope is not finite (overflow).
        """
        v_dev = self.device_voltages(unknown[:, None], voltages[:, None])[..., 0]
        with np.errstate(over="ignore", invalid="ignore"):
            slope = self.crossbar.device.slope(v_dev, self.crossbar.conductances)
        if not (np.isfinite(slope).all() and np.isfinite(f).all()):
            raise ConvergenceError(
                f"Newton's method met device currents or slopes beyond floating point with device model "
                f"{self.crossbar.device!r} (largest device voltage {np.abs(v_dev).max():.3g} V); "
                "lower the input voltages"
            )
        # With no negative slope the Jacobian is the nodal matrix of passive devices (a zero slope
        # is an open device), positive definite since every node reaches a source or the ground
        # through line resistances.
        jacobian = self.pattern.matrices(slope)[0]
        with factorize(jacobian, self.pattern.ordering, positive_definite=bool((slope >= 0).all())) as solve:
            return -solve(f)


def _norms(f: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        norm = np.sqrt((f * f).sum(axis=0))
    return np.where(np.isfinite(norm), norm, np.inf)


def newton_solve(crossbar: Crossbar, voltages: np.ndarray, topology: Topology | None = None) -> NewtonResult:
    """Solve the nodal equations of a crossbar with nonlinear static devices.

    Args:
        crossbar: The crossbar; its device model gives I(V) and dI/dV.
        voltages: (M, B) input voltages in volts (V).
        topology: The crossbar's topology, if already built.

    Returns:
        The :class:`NewtonResult`.

    Raises:
        ConvergenceError: If an input vector has not converged after :data:`MAX_ITERATIONS`, or the
            device currents overflow.
    """
    topology = topology or build_topology(crossbar)
    system = _System(crossbar, topology)
    batch = voltages.shape[1]
    if topology.n_unknown == 0:
        return NewtonResult(np.zeros((0, batch)), np.zeros(batch, dtype=int), np.zeros(batch))

    a, s = system.pattern.matrices(crossbar.conductances)
    with factorize(a, system.pattern.ordering, positive_definite=True) as solve:
        x = solve(-(s @ voltages))
    f, done = system.residual(x, voltages)
    tolerance = STEP_TOLERANCE * np.abs(voltages).max(axis=0)
    iterations = np.zeros(batch, dtype=int)
    while not done.all():
        active = np.flatnonzero(~done)
        if iterations[active].max() >= MAX_ITERATIONS:
            _fail(system, f, active)
        dx = np.zeros((x.shape[0], active.size))
        for col, k in enumerate(active):
            dx[:, col] = system.step(x[:, k], voltages[:, k], f[:, k])
        iterations[active] += 1
        small = np.abs(dx).max(axis=0) <= tolerance[active]
        x[:, active], f[:, active], rounding = _damped_update(
            system, x[:, active], voltages[:, active], f[:, active], dx, small
        )
        done[active] = small | rounding
    return NewtonResult(x, iterations, np.abs(f).max(axis=0))


def _damped_update(
    system: _System, x: np.ndarray, v: np.ndarray, f: np.ndarray, dx: np.ndarray, small: np.ndarray
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
        f_trial, rounding = system.residual(trial, v)
        accept = small | rounding | (_norms(f_trial) <= (1.0 - ARMIJO * alpha) * norm)
        if accept.all():
            break
        alpha = np.where(accept, alpha, 0.5 * alpha)
    return trial, f_trial, rounding


def _fail(system: _System, f: np.ndarray, active: np.ndarray) -> None:
    residual = np.abs(f[:, active])
    worst_node, worst_col = np.unravel_index(np.argmax(residual), residual.shape)
    raise ConvergenceError(
        f"Newton's method did not converge in {MAX_ITERATIONS} iterations for {active.size} input vector(s) "
        f"with device model {system.crossbar.device!r}: largest KCL residual {residual.max():.3e} A at node "
        f"{node_label(system.topology, int(worst_node))} (input vector {active[worst_col]}); "
        "lower the input voltages or the line resistances, or check the device parameters"
    )


def solve_newton(crossbar: Crossbar, voltages: np.ndarray) -> Solution:
    """Solve a crossbar of nonlinear devices exactly, with line resistance, by Newton's method.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).

    Returns:
        The :class:`Solution`, with ``backend="fast"``. Device currents are the model's I(V)
        at the solved device voltages; output currents are their column sums.

    Raises:
        ConvergenceError: If Newton's method does not converge.
    """
    start = time.perf_counter()
    v, batched = as_batch(voltages, crossbar.rows)
    topology = build_topology(crossbar)
    result = newton_solve(crossbar, v, topology)
    nodes = node_voltages(topology, result.unknown, v)
    return Solution.from_node_voltages(
        crossbar, v, batched, nodes[topology.device_w], nodes[topology.device_b], "fast", start
    )
