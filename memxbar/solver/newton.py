"""Robust and batched Newton–Raphson for circuits of resistors and nonlinear two-terminal junctions.

The circuit is any :class:`NonlinearSystem`: unknown node voltages x (n, B), driven node
voltages u (K, B) (one column per input vector), and D nonlinear junctions whose voltages
are linear in x and u. Kirchhoff's current law F(x) = 0 is solved by:

1. **Newton with junction limiting** (the SPICE scheme; Nagel, *SPICE2*, UCB/ERL M520, 1975,
   §5.3): every junction is linearised at its own voltage v̂ (its companion model
   i(v̂) + g(v̂)·(v − v̂)); after each solve the new junction voltages are limited
   (:func:`limit_by_current`, a generalised ``pnjlim``) before the devices are evaluated
   again, so an exponential characteristic never sees the huge voltage a linear step
   predicts. Started from the solution with every junction replaced by its conductance.
2. If that stalls: **source stepping** (the driven voltages scaled from 0 to 1, the step
   adapted), then **gmin stepping** (a conductance gmin from every node to ground, lowered
   decade by decade to 0), as in SPICE's ``.op``.

A column has converged when its junctions were not limited in the last step and its KCL
residual, relative to the largest current through any node, is at most ``tol`` (1e-10) after
a step below :data:`STEP_TOLERANCE`, or at most :data:`SURE`·``tol`` after any step, or is at
the rounding level of the circuit (:mod:`memxbar.solver.accuracy`).

Every batch, even of one vector, is solved first all at once by inexact Newton–Krylov
(:func:`solve`; 2–3× faster than factorising per iteration even for one vector, measured at
32×32 and 128×128): each vector's Newton step by preconditioned conjugate gradients with
its own Jacobian-vector products and the system's preconditioner (for a crossbar: line solves
carrying the devices' slopes), everything vectorised over the batch and no sparse
factorisation at all. Vectors that do not converge so (negative slopes, stalls) are solved
again one by one by the robust method above, so every vector meets the same tolerance.

A singular Jacobian counts as a stall (never a SciPy error); a junction current that is not a
finite double is a :class:`~memxbar.errors.ConvergenceError` naming the junction and voltage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

import numpy as np
import scipy.sparse as sp

from memxbar.errors import ConvergenceError
from memxbar.solver.accuracy import KclCheck, warn_if_inaccurate
from memxbar.solver.linalg import factorize

if TYPE_CHECKING:
    from memxbar.circuit.bias import Bias
    from memxbar.circuit.compile import Circuit
    from memxbar.crossbar import Crossbar
    from memxbar.solution import Solution
    from memxbar.solver.circuit_system import CircuitNonlinearSystem

MAX_ITERATIONS = 100
"""Newton iterations allowed per input vector (SPICE's ``itl1``) before continuation is tried."""

STEP_ITERATIONS = 30
"""Newton iterations allowed at each point of source or gmin stepping."""

TOL = 1e-10
"""Default relative KCL residual (per input vector) a converged solution must meet."""

STEP_TOLERANCE = 1e-10
"""A step changing no node voltage by more than this fraction of the largest driven voltage is small."""

EPS = np.finfo(np.float64).eps
"""Unit roundoff of double precision."""

SURE = 0.1
"""A residual below SURE·tol ends the iteration without waiting for a small step."""

CLOSE = 1e4
"""Columns whose cheap residual is within this factor of ``tol`` get the accurate, branch-by-branch one."""

ROUNDING = 8.0
"""A residual below this multiple of the rounding floor (ε times the size of the terms) is rounding noise."""

LIMIT_SLACK = 1.0
"""A junction step is limited when the characteristic's current change exceeds its linear
prediction by more than this fraction of the prediction."""

LIMIT_BISECTIONS = 48
"""Bisections (on a logarithmic scale of the step) that find a limited junction voltage."""

MIN_SOURCE_STEP = 1e-4
"""Smallest fraction of the inputs source stepping advances by before it gives up."""

GMIN_DECADES = 12
"""gmin stepping starts at 0.1 × the median diagonal of the Jacobian and stops this many decades lower."""

KRYLOV_NEWTON_ITERATIONS = 40
"""Newton iterations of the batched method before the remaining vectors are solved one by one."""

CHUNK_BYTES = 2**20
"""Node voltages of one chunk of a batch, in bytes (see :func:`batch_chunk`): small enough to stay in cache."""

PCG_ITERATIONS = 200
"""Conjugate-gradient iterations allowed per batched Newton step."""


class NonlinearSystem(Protocol):
    """The nonlinear nodal equations Newton's method solves (see the module docstring).

    Shapes: x (n, B) unknown node voltages and u (K, B) driven node voltages in volts, one
    column per input vector; junction quantities (D, B).
    """

    n: int
    """Number of unknown node voltages."""

    @property
    def ordering(self) -> np.ndarray | None:
        """(n,) fill-reducing elimination order of the Jacobian, or None."""

    def initial(self, u: np.ndarray) -> np.ndarray:
        """(n, B) starting node voltages (V) for driven voltages u: each junction replaced by a conductance."""

    def junction_voltages(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """(D, B) junction voltages (V)."""

    def junction_currents(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Junction currents (A) and slopes dI/dV (S), each (D, B), at junction voltages v (D, B)."""

    def junction_slopes(self, v: np.ndarray) -> np.ndarray:
        """Junction slopes dI/dV (S), (D, B), at junction voltages v (D, B)."""

    def limit(self, v_new: np.ndarray, v_old: np.ndarray, i_old: np.ndarray, g_old: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """(D, B) junction voltages of a Newton step from v_old (where the currents are i_old and the
        slopes g_old) to v_new, limited per junction, and the junction currents there (D, B)."""

    def residual(self, x: np.ndarray, u: np.ndarray, i: np.ndarray, scale: bool = True
                 ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """KCL residual F (n, B) (A) with junction currents i (D, B); if ``scale``, also the largest
        current through any node (B,) (A) and the largest sum of magnitudes of the terms at any
        node (B,) (A), and F summed branch by branch (accurately); else None, None and a cheaper F."""

    def jacobian(self, slope: np.ndarray) -> tuple[sp.csc_matrix, bool]:
        """(n, n) Jacobian (S) for junction slopes (D,) (S) of one vector; whether it is positive definite."""

    def jvp(self, slope: np.ndarray, dx: np.ndarray) -> np.ndarray:
        """(n, B) products J_k·dx_k (A), slopes (D, B) (S), dx (n, B) (V)."""

    def preconditioner(self, slope: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """An approximate inverse of each column's Jacobian (slopes (D, B)): ``apply(cols, r)``
        applies those of columns ``cols`` to r (n, len(cols))."""

    def describe(self, node: int) -> str:
        """Name of an unknown node, for messages."""

    def describe_junction(self, junction: int) -> str:
        """Name of a junction, for messages."""


@dataclass(frozen=True, eq=False)
class NewtonResult:
    """Node voltages found by Newton's method, and how it got there."""

    unknown: np.ndarray
    """(n, B) voltages of the unknown nodes in volts (V)."""
    iterations: np.ndarray
    """(B,) Newton iterations each input vector took (all stages together)."""
    residual: np.ndarray
    """(B,) KCL residual at the end, relative to the largest current through any node."""
    floor: np.ndarray
    """(B,) rounding floor of that relative residual (ε times the size of the terms)."""
    method: np.ndarray
    """(B,) how each vector converged: ``"batched"``, ``"newton"``, ``"source stepping"`` or ``"gmin stepping"``."""


def limit_by_current(
    current: Callable[[np.ndarray], np.ndarray],
    g_ref: np.ndarray,
    v_new: np.ndarray,
    v_old: np.ndarray,
    i_old: np.ndarray,
    g_old: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Limit junction voltage steps where the characteristic outruns its linearisation.

    A generalised ``pnjlim`` (SPICE's junction limiting; Nagel 1975, §5.3.2): for a diode,
    pnjlim's ``v_old + V_T·ln(1 + Δ/V_T)`` is the voltage at which the exponential carries the
    current its tangent predicted, i(v_old) + g(v_old)·Δ. Here that is done for any
    characteristic, with the slope taken as at least ``g_ref`` (so a power law, whose slope at
    0 V is 0, still moves): where i(v_new) departs from the prediction by more than
    :data:`LIMIT_SLACK` times the predicted change, the step is shortened to the voltage
    carrying the predicted current (found by bisection on a logarithmic scale of the step).

    Args:
        current: i(v) (A) of (D, B) junction voltages.
        g_ref: (D, 1) or (D, B) reference conductances (S), e.g. the programmed ones.
        v_new: (D, B) junction voltages the Newton step predicts (V).
        v_old: (D, B) junction voltages of the last linearisation (V).
        i_old: (D, B) currents at v_old (A).
        g_old: (D, B) slopes dI/dV at v_old (S).

    Returns:
        (D, B) limited junction voltages (V), v_new where no limiting was needed, and the
        currents there (A).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        step = v_new - v_old
        g_eff = np.maximum(g_old, np.broadcast_to(g_ref, v_old.shape))
        target = i_old + g_eff * step
        i_new = current(v_new)
        predicted = target - i_old
        excess = (i_new - target) * np.sign(step)
        limit = ~(excess <= LIMIT_SLACK * np.abs(predicted)) & (step != 0) & np.isfinite(target)
    if not limit.any():
        return v_new, i_new
    # Parameters are per junction, so the characteristic is evaluated on whole columns: those
    # with a limited junction.
    cols = np.flatnonzero(limit.any(axis=0))
    mask = limit[:, cols]
    trial = v_new[:, cols].copy()
    lo_v, dv, tgt, sgn = v_old[:, cols][mask], step[:, cols][mask], target[:, cols][mask], np.sign(step[:, cols][mask])
    # f(t) = sgn·(i(v_old + t·Δ) − target) is < 0 near t = 0 and > 0 at t = 1: bisect log10(t).
    lo, hi = np.full(lo_v.size, -15.0), np.zeros(lo_v.size)
    for _ in range(LIMIT_BISECTIONS):
        mid = 0.5 * (lo + hi)
        trial[mask] = lo_v + 10.0**mid * dv
        with np.errstate(over="ignore", invalid="ignore"):
            f = sgn * (current(trial)[mask] - tgt)
        above = ~(f <= 0)
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    trial[mask] = lo_v + 10.0**lo * dv
    out, out_i = v_new.copy(), i_new.copy()
    out[:, cols] = trial
    out_i[:, cols] = current(trial)
    return out, out_i


def _overflow(system: NonlinearSystem, v: np.ndarray, i: np.ndarray, g: np.ndarray, columns: np.ndarray) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.abs(i).max(initial=0.0) + np.abs(g).max(initial=0.0)):
            return
    bad = ~(np.isfinite(i) & np.isfinite(g))
    if bad.any():
        junction, col = np.argwhere(bad)[0]
        raise ConvergenceError(
            f"{system.describe_junction(int(junction))} current overflows double precision (> 1.8e308 A) at "
            f"{v[junction, col]:.6g} V (input vector {columns[col]}) in the {system!r}; the circuit's solution "
            "is beyond floating point: lower the input voltages"
        )


def _relative(f: np.ndarray, through: np.ndarray) -> np.ndarray:
    """Largest |F| per column relative to the largest node current; NaN where that is unknown (NaN)."""
    with np.errstate(invalid="ignore", over="ignore"):
        rel = np.abs(f).max(axis=0, initial=0.0) / np.where(through > 0, through, 1.0)
    return np.where(np.isnan(through), np.nan, np.where(np.isfinite(rel), rel, np.inf))


@dataclass
class _State:
    """Columns being iterated: node voltages, linearisation points and bookkeeping."""

    x: np.ndarray
    v: np.ndarray
    limited: np.ndarray
    small: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    floor: np.ndarray
    worst: np.ndarray
    i: np.ndarray
    """(D, B) junction currents at v (A)."""
    g: np.ndarray
    """(D, B) junction slopes at v (S), from the last evaluation."""
    through: np.ndarray
    """(B,) largest current through a node (A); NaN until known."""

    @classmethod
    def start(cls, system: NonlinearSystem, x: np.ndarray, v: np.ndarray, limit: bool = True) -> _State:
        """Columns at node voltages x (n, B), junctions at v (D, B) (limited as a step from 0 V if ``limit``)."""
        batch = x.shape[1]
        if limit:
            zero = np.zeros_like(v)
            i0, g0 = system.junction_currents(zero)
            v, i = system.limit(v, zero, i0, g0)
        else:
            i = system.junction_currents(v)[0]
        return cls(x, v, np.ones(batch, bool), np.zeros(batch, bool), np.zeros(batch, int), np.full(batch, np.inf),
                   np.zeros(batch), np.zeros(batch, int), i, np.zeros_like(v), np.full(batch, np.nan))


def _evaluate(system: NonlinearSystem, u: np.ndarray, state: _State, gmin: float, tol: float,
              columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual of the linearised circuit, junction slopes, and which columns have converged."""
    i, g = state.i, system.junction_slopes(state.v)
    _overflow(system, state.v, i, g, columns)
    state.g = g
    i_lin = i + g * (system.junction_voltages(state.x, u) - state.v)
    # The cheap residual first; the scale and the accurate, branch-by-branch residual for columns
    # without a scale yet or close to convergence.
    f = system.residual(state.x, u, i_lin, scale=False)[0]
    close = np.flatnonzero(~(_relative(f, state.through) > CLOSE * tol))
    if close.size:
        f_close, through, terms = system.residual(state.x[:, close], u[:, close], i_lin[:, close])
        f[:, close] = f_close
        state.through[close] = through
        with np.errstate(invalid="ignore", divide="ignore"):
            state.floor[close] = np.where(through > 0, EPS * terms / np.where(through > 0, through, 1), 0)
    if gmin:
        f = f + gmin * state.x
    magnitude = np.abs(f)
    state.worst = magnitude.argmax(axis=0) if f.shape[0] else np.zeros(f.shape[1], dtype=int)
    state.residual = _relative(np.take_along_axis(magnitude, state.worst[None], axis=0), state.through)
    rounding = state.residual <= ROUNDING * state.floor
    done = ~state.limited & (rounding | (state.residual <= tol) & (state.small | (state.residual <= SURE * tol)))
    return f, g, done


def _step(system: NonlinearSystem, u: np.ndarray, state: _State, dx: np.ndarray, cols: np.ndarray) -> None:
    """Take the Newton steps dx of columns ``cols`` and limit their junction voltages."""
    x_new = state.x[:, cols] + dx
    v_new = system.junction_voltages(x_new, u[:, cols])
    v_lim, i_lim = system.limit(v_new, state.v[:, cols], state.i[:, cols], state.g[:, cols])
    state.i[:, cols] = i_lim
    state.limited[cols] = np.any(v_lim != v_new, axis=0)
    scale = np.maximum(np.abs(u[:, cols]).max(axis=0, initial=0.0), np.abs(x_new).max(axis=0, initial=0.0))
    state.small[cols] = np.abs(dx).max(axis=0, initial=0.0) <= STEP_TOLERANCE * scale
    state.x[:, cols] = x_new
    state.v[:, cols] = v_lim
    state.iterations[cols] += 1


def _newton(system: NonlinearSystem, u: np.ndarray, x: np.ndarray, v: np.ndarray, gmin: float,
            max_iterations: int, tol: float, columns: np.ndarray) -> tuple[_State, np.ndarray]:
    """Limited Newton with one sparse factorisation per vector and iteration.

    Returns:
        The final state and which columns converged (a column whose Jacobian is singular or
        whose step is not finite stops, unconverged).
    """
    batch = x.shape[1]
    # The first linearisation point is the start itself, taken as a step from 0 V.
    state = _State.start(system, x.copy(), v.copy())
    stalled = np.zeros(batch, bool)
    identity = sp.identity(system.n, format="csc") * gmin
    while True:
        f, g, done = _evaluate(system, u, state, gmin, tol, columns)
        active = np.flatnonzero(~done & ~stalled & (state.iterations < max_iterations))
        if active.size == 0:
            return state, done
        dx = np.zeros((system.n, active.size))
        for col, k in enumerate(active):
            try:
                jacobian, positive_definite = system.jacobian(g[:, k])
                step = -factorize(jacobian + identity, system.ordering,
                                  positive_definite=positive_definite and gmin >= 0)(f[:, k])
            except Exception:  # SuperLU's RuntimeError, PARDISO's PyPardisoError, ...: a singular Jacobian
                step = np.full(system.n, np.nan)  # this column has stalled
            dx[:, col] = step
        finite = np.isfinite(dx).all(axis=0)
        stalled[active[~finite]] = True
        _step(system, u, state, dx[:, finite], active[finite])


def _pcg(apply: Callable[[np.ndarray, np.ndarray], np.ndarray], precondition: Callable[[np.ndarray, np.ndarray],
         np.ndarray], rhs: np.ndarray, rtol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Preconditioned conjugate gradients for B systems at once, each with its own operator.

    ``apply(cols, p)`` and ``precondition(cols, r)`` act on the columns ``cols`` of the batch.
    Stops a column when its residual 2-norm is below rtol times that of its right-hand side.

    Returns:
        (n, B) solutions and which columns reached their tolerance.
    """
    batch = rhs.shape[1]
    out = np.zeros_like(rhs)
    ok = np.zeros(batch, bool)
    cols = np.arange(batch)
    x = np.zeros_like(rhs)
    r = rhs.copy()
    target = rtol * np.sqrt(np.einsum("ij,ij->j", rhs, rhs))
    norm = np.full(batch, np.inf)
    z = precondition(cols, r)
    p = z.copy()
    rz = np.einsum("ij,ij->j", r, z)
    work = np.empty_like(rhs)
    for _ in range(PCG_ITERATIONS):
        q = apply(cols, p)
        pq = np.einsum("ij,ij->j", p, q)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(pq > 0, rz / pq, 0.0)
        tmp = work[:, : cols.size]
        x += np.multiply(p, alpha, out=tmp)
        r -= np.multiply(q, alpha, out=tmp)
        norm = np.sqrt(np.einsum("ij,ij->j", r, r))
        finished = (norm <= target) | (pq <= 0)
        # Finished columns are dropped once they are many (dropping copies the work arrays).
        if finished.all() or finished.sum() * 2 >= finished.size:
            out[:, cols[finished]] = x[:, finished]
            ok[cols[finished]] = norm[finished] <= target[finished]
            keep = ~finished
            cols, x, r, p, rz, target = cols[keep], x[:, keep], r[:, keep], p[:, keep], rz[keep], target[keep]
            norm = norm[keep]
            if cols.size == 0:
                break
        z = precondition(cols, r)
        rz_new = np.einsum("ij,ij->j", r, z)
        p *= rz_new / np.where(rz != 0, rz, 1.0)
        p += z
        rz = rz_new
    out[:, cols] = x
    ok[cols] = norm <= target
    return out, ok


def _batched(system: NonlinearSystem, u: np.ndarray, tol: float) -> tuple[_State, np.ndarray]:
    """Inexact Newton–Krylov for the whole batch (see the module docstring).

    Returns:
        The final state and which columns converged.
    """
    batch = u.shape[1]
    x = system.initial(u)
    state = _State.start(system, x, system.junction_voltages(x, u))
    failed = np.zeros(batch, bool)
    columns = np.arange(batch)
    for _ in range(KRYLOV_NEWTON_ITERATIONS):
        try:
            f, g, done = _evaluate(system, u, state, 0.0, tol, columns)
        except ConvergenceError:
            return state, np.zeros(batch, bool)  # the robust method finds and names the junction
        failed |= (g < 0).any(axis=0)
        active = np.flatnonzero(~done & ~failed)
        if active.size == 0:
            return state, done
        slope = g[:, active]
        try:
            inverse = system.preconditioner(slope)
        except (np.linalg.LinAlgError, RuntimeError):
            return state, done
        # Forcing term (Eisenstat & Walker, SIAM J. Sci. Comput. 17, 16–32, 1996, in spirit): the
        # step need not be more accurate than Newton's quadratic term leaves (measured: residual²
        # times ~6 for the power law), nor than reaching SURE·tol takes.
        rel = state.residual[active]
        with np.errstate(divide="ignore"):
            rtol = np.clip(np.maximum(rel, SURE * tol / rel), 1e-12, 1e-2)
        dx, ok = _pcg(partial(_jvp_of, system, slope), inverse, -f[:, active], rtol)
        failed[active[~ok]] = True
        _step(system, u, state, dx[:, ok], active[ok])
    f, g, done = _evaluate(system, u, state, 0.0, tol, columns)
    return state, done & ~failed


def _jvp_of(system: NonlinearSystem, slope: np.ndarray, cols: np.ndarray, p: np.ndarray) -> np.ndarray:
    return system.jvp(slope[:, cols], p)


def _continuation(system: NonlinearSystem, u: np.ndarray, tol: float, column: int) -> tuple[_State, str]:
    """Source stepping, then gmin stepping, for one vector u (K, 1).

    Raises:
        ConvergenceError: Saying what was tried, if neither reaches the solution.
    """
    cols = np.array([column])
    x = system.initial(0.0 * u)
    v = system.junction_voltages(x, 0.0 * u)
    reached, step = 0.0, 0.25
    while reached < 1.0 and step >= MIN_SOURCE_STEP:
        trial = min(1.0, reached + step)
        state, done = _newton(system, trial * u, x, v, 0.0, STEP_ITERATIONS, tol, cols)
        if done[0]:
            reached, x, v, step = trial, state.x, state.v, 2.0 * step
        else:
            step /= 4.0
    if reached == 1.0:
        return state, "source stepping"

    x0 = system.initial(u)
    jacobian, _ = system.jacobian(system.junction_currents(system.junction_voltages(x0, u))[1][:, 0])
    diagonal = np.abs(jacobian.diagonal())
    gmin = 0.1 * float(np.median(diagonal[diagonal > 0])) if (diagonal > 0).any() else 1.0
    stop = gmin * 10.0**-GMIN_DECADES
    x, v = x0, system.junction_voltages(x0, u)
    factor = 10.0
    while gmin >= stop:
        state, done = _newton(system, u, x, v, gmin, STEP_ITERATIONS, tol, cols)
        if done[0]:
            x, v = state.x, state.v
            gmin /= factor
        elif factor > 1.5 and x is not x0:
            gmin *= factor
            factor = np.sqrt(factor)
            gmin /= factor
        else:
            break
    if gmin < stop:
        state, done = _newton(system, u, x, v, 0.0, MAX_ITERATIONS, tol, cols)
        if done[0]:
            return state, "gmin stepping"
    node = system.describe(int(state.worst[0])) if system.n else "none"
    raise ConvergenceError(
        f"Newton's method did not converge for input vector {column} of the {system!r}: limited Newton stalled "
        f"after {MAX_ITERATIONS} iterations; source stepping reached {reached:.3g} of the inputs; gmin stepping "
        f"stopped at gmin = {gmin:.3g} S; relative KCL residual left {state.residual[0]:.3e} at node {node}; "
        "lower the input voltages or the line resistances, or check the device parameters"
    )


def solve(system: NonlinearSystem, u: np.ndarray, *, tol: float = TOL, batched: bool = True) -> NewtonResult:
    """Solve the nonlinear nodal equations for every column of driven voltages u.

    Args:
        system: The circuit's equations.
        u: (K, B) driven node voltages in volts (V).
        tol: Relative KCL residual each vector must reach (see the module docstring).
        batched: Whether to try batched Newton–Krylov first (else factorise per vector and iteration).

    Returns:
        The :class:`NewtonResult`.

    Raises:
        ConvergenceError: If a vector converges neither by Newton's method nor by source or gmin
            stepping (the message says what was tried and where the residual is largest), or
            a junction current overflows double precision (the message names the junction and
            its voltage).
    """
    batch = u.shape[1]
    if system.n == 0:
        zeros = np.zeros(batch)
        return NewtonResult(np.zeros((0, batch)), np.zeros(batch, int), zeros, zeros, np.full(batch, "newton"))
    columns = np.arange(batch)
    method = np.full(batch, "batched", dtype=object)
    if batched:
        state, done = _batched(system, u, tol)
    else:
        done = np.zeros(batch, bool)
        x = system.initial(u)
        state = _State.start(system, x, system.junction_voltages(x, u), limit=False)
    rest = np.flatnonzero(~done)
    if rest.size:
        x = system.initial(u[:, rest])
        newton, ok = _newton(system, u[:, rest], x, system.junction_voltages(x, u[:, rest]), 0.0, MAX_ITERATIONS,
                             tol, columns[rest])
        _merge(state, newton, rest)
        method[rest] = "newton"
        for k in rest[~ok]:
            stepped, how = _continuation(system, u[:, [k]], tol, int(k))
            _merge(state, stepped, np.array([k]))
            method[k] = how
    return NewtonResult(state.x, state.iterations, state.residual, state.floor, method.astype(str))


def _merge(state: _State, part: _State, cols: np.ndarray) -> None:
    """Take the results of ``part`` for columns ``cols`` of ``state``, adding up the iterations."""
    state.x[:, cols], state.v[:, cols] = part.x, part.v
    state.iterations[cols] += part.iterations
    state.residual[cols], state.floor[cols], state.worst[cols] = part.residual, part.floor, part.worst


def newton_solve(crossbar: Crossbar, voltages: np.ndarray, *, tol: float = TOL, batched: bool = True) -> NewtonResult:
    """Solve a crossbar of nonlinear two-terminal devices, every terminal driven and bit lines at 0 V
    (see :func:`solve`).

    Args:
        crossbar: The crossbar; its device model gives I(V) and dI/dV.
        voltages: (M, B) input voltages in volts (V).
        tol: Relative KCL residual to reach.
        batched: See :func:`solve`.

    Returns:
        The :class:`NewtonResult`.

    Raises:
        ConvergenceError: See :func:`solve`.
    """
    from memxbar.circuit.bias import make_bias
    from memxbar.circuit.compile import compile_circuit
    from memxbar.solver.circuit_system import CircuitNonlinearSystem

    bias = make_bias(crossbar.shape, voltages)
    circuit = compile_circuit(crossbar)
    u = circuit.known_voltages(bias.wl_voltages, bias.bl_voltages, None)
    return solve(CircuitNonlinearSystem(circuit), u, tol=tol, batched=batched and circuit.plain_grid)


def batch_chunk(n: int) -> int:
    """Input vectors solved together: node voltages of about :data:`CHUNK_BYTES`, at least 8, at most 512."""
    return int(np.clip(CHUNK_BYTES // (8 * max(n, 1)), 8, 512))


def gate_voltages(crossbar: Crossbar, bias: Bias) -> np.ndarray | None:
    """(M, B) select-line voltages: the bias's, else the cell's default; None without a gate."""
    if not crossbar.cell.gated:
        return None
    if bias.gate_voltages is not None:
        return bias.gate_voltages
    return np.full(bias.wl_voltages.shape, crossbar.cell.default_gate_voltage)


def solve_newton(crossbar: Crossbar, bias: Bias, circuit: Circuit, *, outputs_only: bool = False, tol: float = TOL
                 ) -> Solution:
    """Solve a compiled circuit with nonlinear elements exactly, with line resistance, by Newton's method.

    Circuits whose nonlinear elements are all two-terminal devices (1R and 1S1R cells) are solved by
    the robust method of :func:`solve`, batches in chunks of :func:`batch_chunk` vectors (plain 1R
    grids by batched Newton–Krylov first); circuits with transistors (1T1R) by damped Newton on the
    full circuit equations (:mod:`memxbar.solver.general_newton`).

    Args:
        crossbar: The crossbar specification.
        bias: The terminal conditions.
        circuit: Its compiled circuit.
        outputs_only: Keep only the terminal currents, not node voltages: far less memory for large batches.
        tol: Relative KCL residual each input vector must reach.

    Returns:
        The :class:`Solution`, with ``backend="fast"``, ``method="newton"`` and its ``kcl_residual``.

    Raises:
        ConvergenceError: If Newton's method does not converge, or a device current overflows.
    """
    from memxbar.solution import assemble_solution, terminal_currents_from_nodes
    from memxbar.solver.circuit_system import CircuitNonlinearSystem, junction_circuit

    start = time.perf_counter()
    u = circuit.known_voltages(bias.wl_voltages, bias.bl_voltages, gate_voltages(crossbar, bias))
    batch = u.shape[1]
    if not junction_circuit(circuit):
        from memxbar.solver.accuracy import check
        from memxbar.solver.equations import CircuitEquations
        from memxbar.solver.general_newton import solve_circuit

        result = solve_circuit(CircuitEquations(circuit), u,
                               f"device model {crossbar.device!r} in {crossbar.cell!r} cells")
        nodes = np.concatenate([result.unknown, u])
        kcl = check(circuit, nodes)
        warn_if_inaccurate(kcl, tol)
        i_in, i_out = terminal_currents_from_nodes(circuit, nodes) if outputs_only else (None, None)
        return assemble_solution(crossbar, circuit, bias, "fast", start, nodes=None if outputs_only else nodes,
                                 input_currents=i_in, output_currents=i_out, method="newton",
                                 kcl_residual=kcl.residual)
    system = CircuitNonlinearSystem(circuit)
    residual, floor = np.empty(batch), np.empty(batch)
    nodes = None if outputs_only else np.empty((circuit.n_nodes, batch))
    i_in, i_out = np.empty((crossbar.rows, batch)), np.empty((crossbar.cols, batch))
    todo = np.arange(batch)
    if line_read(crossbar, bias, circuit, system):
        todo = _solve_line_read(crossbar, bias, circuit, u, tol, residual, floor, nodes, i_in, i_out)
    step = batch_chunk(system.n)
    for first in range(0, todo.size, step):
        cols = todo[first:first + step]
        result = solve(system, u[:, cols], tol=tol, batched=circuit.plain_grid)
        residual[cols], floor[cols] = result.residual, result.floor
        chunk = system.nodes(result.unknown, u[:, cols])
        v = system.junction_voltages(result.unknown, u[:, cols])
        with np.errstate(over="ignore", invalid="ignore"):
            currents = system.junction_currents(v)[0]
        bad = ~np.isfinite(currents)
        if bad.any():
            junction, column = np.argwhere(bad)[0]
            raise ConvergenceError(
                f"{system.describe_junction(int(junction))} current overflows double precision (> 1.8e308 A) at "
                f"{float(v[junction, column]):.6g} V with device model {crossbar.device!r}; lower the input voltages"
            )
        if outputs_only:
            i_in[:, cols], i_out[:, cols] = terminal_currents_from_nodes(circuit, chunk)
        else:
            nodes[:, cols] = chunk
    doubtful = floor > tol
    if doubtful.any() and nodes is not None:
        # The element-by-element check also knows the currents, so rounding below abstol is not reported.
        from memxbar.solver.accuracy import check

        warn_if_inaccurate(check(circuit, nodes[:, doubtful]), tol)
    else:
        warn_if_inaccurate(KclCheck(residual, floor), tol)
    return assemble_solution(crossbar, circuit, bias, "fast", start, nodes=nodes,
                             input_currents=i_in if outputs_only else None,
                             output_currents=i_out if outputs_only else None, method="newton", kcl_residual=residual)


def line_read(crossbar: Crossbar, bias: Bias, circuit: Circuit, system: CircuitNonlinearSystem) -> bool:
    """Whether :mod:`memxbar.solver.line_newton` applies: a word-line read (every terminal driven,
    bit lines at 0 V) of a plain grid of static devices at every crosspoint, no segment ideal."""
    from memxbar.solver import lines

    default_bias = not (bias.floating_wl.any() or bias.floating_bl.any() or bias.bl_voltages.any())
    devices = system.groups[0] if len(system.groups) == 1 else None
    return bool(default_bias and circuit.plain_grid and devices is circuit.devices
                and devices.cell.size == crossbar.conductances.size and not crossbar.device.dynamic
                and lines.applicable(crossbar))


def _solve_line_read(crossbar: Crossbar, bias: Bias, circuit: Circuit, u: np.ndarray, tol: float,
                     residual: np.ndarray, floor: np.ndarray, nodes: np.ndarray | None, i_in: np.ndarray,
                     i_out: np.ndarray) -> np.ndarray:
    """Solve a word-line read by :mod:`memxbar.solver.line_newton`, block by block, filling the
    (B,) ``residual`` and ``floor``, the (n_nodes, B) ``nodes`` (unless None) and the terminal
    currents of the vectors that converged.

    Returns:
        The input vectors that did not converge (for the robust method).
    """
    from memxbar.solver.line_newton import LineNewton, block_size

    system = LineNewton.build(crossbar)
    v = bias.wl_voltages
    v_rows = np.ascontiguousarray(v.T)
    batch = v.shape[1]
    step = block_size(crossbar.shape)
    left = []
    for first in range(0, batch, step):
        cols = np.arange(first, min(first + step, batch))
        result = system.solve(v_rows[cols], tol)
        ok = result.converged
        left.append(cols[~ok])
        cols = cols[ok]
        if not cols.size:
            continue
        residual[cols], floor[cols] = result.residual[ok], result.floor[ok]
        # Terminal currents as sums of device currents along each line, as a full solution's are
        # (:func:`~memxbar.solution.terminal_currents_from_nodes`).
        i_in[:, cols] = result.currents[ok].sum(axis=2).T
        i_out[:, cols] = result.currents[ok].sum(axis=1).T
        if nodes is not None:
            # Every segment has resistance: driver outputs and sense nodes are the only other unknown nodes.
            nodes[circuit.n_unknown:, cols] = u[:, cols]
            nodes[circuit.wl_node[:, 1][:, None], cols] = v[:, cols] - crossbar.r_driver[:, None] * i_in[:, cols]
            nodes[circuit.bl_node[:, -2][:, None], cols] = crossbar.r_sense[:, None] * i_out[:, cols]
            nodes[circuit.w_node.ravel()[:, None], cols] = result.w[ok].reshape(cols.size, -1).T
            nodes[circuit.b_node.ravel()[:, None], cols] = result.b[ok].reshape(cols.size, -1).T
    return np.concatenate(left)
