"""Fast transient analysis: variable-step BDF2 on the nodal equations, device states integrated with them.

The circuit's equations (:class:`~memxbar.solver.equations.CircuitEquations`) gain the capacitors'
currents C·dv/dt, with C assembled from the groups' ``capacitance_stamps`` on the same sparsity
pattern as the conductances. At each step t_{n+1} = t_n + h every derivative is replaced by the
variable-step BDF2 formula (the second-order backward differentiation formula, A-stable and stiffly
decaying; Hairer & Wanner, *Solving ODEs II*, §III.5, with ω = h_n/h_{n−1}):

    dy/dt ≈ α·y_{n+1} + β,  α = (1 + 2ω)/((1 + ω)·h),  β = −(1 + ω)/h·y_n + ω²/((1 + ω)·h)·y_{n−1},

(backward Euler, α = 1/h, β = −y_n/h, on the first step and after every corner of a stimulus). The
node voltages and the device states are then solved together by Newton's method; each device's state
equation is eliminated locally (see :class:`~memxbar.transient.elements.DynamicDevices`), so every
iteration factorises one nodal matrix J + α·C, symmetric positive definite for passive arrays. A
linear circuit needs one factorisation per distinct α, kept while the step size stays the same.

The local truncation error is estimated from the difference between the solution and the polynomial
through the previous points extrapolated to t_{n+1} (Milne's device), for node voltages, terminal
currents and states; a step whose error exceeds ``rtol`` (see :class:`TransientOptions`) is rejected.
Step sizes are powers of two of the output spacing: a step doubles when the error allows it
(0.9·err^(−1/3) ≥ 2) and shrinks by powers of two, so that a linear circuit meets the same few
step matrices again and reuses their factorisations. Output times are interpolated (quadratically,
as BDF2) between accepted steps; steps land on every stimulus corner, where the history restarts
(capacitor currents jump there). A state reaching its window boundary slows smoothly (the models'
rates vanish there, and the iterate is kept within the bounds), so the step size does not collapse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.compile import Circuit
from memxbar.errors import ConvergenceError, InputError
from memxbar.solver.equations import CircuitEquations
from memxbar.solver.linalg import factorize
from memxbar.transient.elements import DeviceState, DynamicDevices
from memxbar.transient.stimulus import Stimulus


@dataclass(frozen=True)
class TransientOptions:
    """Accuracy and output of a transient analysis (both backends)."""

    points: int = 1001
    """Output times, evenly spaced from 0 to t_stop (both ends included), >= 2."""
    rtol: float = 1e-6
    """Fast backend: local error allowed per step, relative to the largest stimulus voltage (node
    voltages), to the largest terminal current so far (terminal currents) and to the state range
    (device states). The global error is a few tens of rtol (measured on an RC step response)."""
    max_newton: int = 25
    """Fast backend: Newton iterations per step before the step is retried at a quarter of its size."""
    save_states: bool = True
    """Keep every device's state at every output time (S·M·N·T values); else only the first and last."""

    def __post_init__(self) -> None:
        if not (isinstance(self.points, int) and self.points >= 2):
            raise InputError(f"points must be an integer >= 2, got {self.points!r}")
        if not (0 < self.rtol < 1):
            raise InputError(f"rtol must be between 0 and 1, got {self.rtol!r}")
        if not (isinstance(self.max_newton, int) and self.max_newton >= 1):
            raise InputError(f"max_newton must be an integer >= 1, got {self.max_newton!r}")


NEWTON_TOLERANCE = 1e-10
"""Newton converges once no node voltage changes by more than this times the largest stimulus voltage
and no state by more than this times its range."""

MIN_STEP_FRACTION = 1e-12
"""Smallest step, relative to the time reached (or the output spacing), before :class:`ConvergenceError` is raised."""

CURRENT_FLOOR = 1e-15
"""Smallest current (A) the error control of the terminal currents is relative to."""

RESTART_FRACTION = 1e-3
"""First step after a stimulus corner, relative to the output spacing."""


@dataclass
class RawRun:
    """What the integrator produced, before it is turned into :class:`~memxbar.transient.waveforms.Waveforms`."""

    time: np.ndarray
    known: np.ndarray
    delivered: np.ndarray
    probes: np.ndarray
    states: np.ndarray | None
    energy: np.ndarray
    steps: int
    rejected: int


class _Bdf:
    """Coefficients α, β₀, β₁ of dy/dt ≈ α·y_{n+1} + β₀·y_n + β₁·y_{n−1} (BDF2; backward Euler from one point)."""

    @staticmethod
    def coefficients(h: float, history: list[dict]) -> tuple[float, tuple[float, float]]:
        if len(history) == 1:
            return 1.0 / h, (-1.0 / h, 0.0)
        # The step sizes themselves, not differences of times, so that equal steps give equal α exactly
        # (a linear circuit reuses the factorisation of its step matrix).
        w = h / history[-1]["h"]
        return (1 + 2 * w) / ((1 + w) * h), (-(1 + w) / h, w * w / ((1 + w) * h))


def _extrapolate(t: float, history: list[dict], key: str) -> tuple[np.ndarray, float]:
    """The polynomial through the last (up to three) points of ``key`` at time t, and the factor that turns
    its difference from a BDF2 solution at t into the local error estimate (Milne's device)."""
    points = history[-3:]
    times = [p["t"] for p in points]
    out = np.zeros_like(points[-1][key])
    for k, tk in enumerate(times):
        weight = 1.0
        for m, tm in enumerate(times):
            if m != k:
                weight *= (t - tm) / (tk - tm)
        out = out + weight * points[k][key]
    factor = (t - times[-1]) / (t - times[0]) if len(points) > 1 and t != times[0] else 0.0
    return out, factor


def integrate(circuit: Circuit, holder: DeviceState | None, stimulus: Stimulus, gates: np.ndarray | None,
              t_stop: float, options: TransientOptions, probe_nodes: np.ndarray) -> RawRun:
    """Integrate the circuit's equations from its operating point at t = 0 to ``t_stop``.

    Args:
        circuit: The transient circuit (:func:`~memxbar.transient.elements.transient_circuit`).
        holder: Its devices' states (updated to the final states), or None for static devices.
        stimulus: The terminal waveforms.
        gates: (M,) select-line voltages (V) of gated cells, or None.
        t_stop: End time (s).
        options: Accuracy and output.
        probe_nodes: (P,) node indices whose voltages are recorded.

    Returns:
        The :class:`RawRun`: at each output time the known voltages, the currents the sources deliver,
        the probed voltages and (if kept) the states.

    Raises:
        ConvergenceError: If the step size falls below :data:`MIN_STEP_FRACTION` of the time reached.
    """
    eq = CircuitEquations(circuit)
    pattern = eq.pattern
    c_values = pattern.values([g.capacitance_stamps() for g in circuit.groups])
    c_a, c_s = pattern.matrices(c_values)
    c_p, c_q = pattern.source_maps(c_values)
    dynamic = next((g for g in circuit.groups if isinstance(g, DynamicDevices)), None)
    assembler = _Assembler(eq)
    gate_column = None if gates is None else gates[:, None]

    def known(t: float) -> np.ndarray:
        wl, bl = stimulus.voltages(t)
        return circuit.known_voltages(wl, bl, gate_column)[:, 0]

    vscale = max(stimulus.peak, 1e-3)
    bounds = None if dynamic is None else np.array([[s.minimum, s.maximum] for s in dynamic.model.states]).T
    srange = None if bounds is None else (bounds[1] - bounds[0])[:, None]
    grid = np.linspace(0.0, t_stop, options.points)
    stops = np.append(stimulus.corners(t_stop), t_stop)
    spacing = grid[1] - grid[0]
    restart = spacing * 2.0 ** np.floor(np.log2(RESTART_FRACTION))

    # Operating point at t = 0, states held.
    u = known(0.0)
    if holder is not None:
        holder.alpha = 0.0
    x = _operating_point(eq, u)
    state0 = None if holder is None else holder.state.copy()
    _, delivered = _kcl(eq, x, u)
    rows = options.points
    out = {"known": np.empty((u.size, rows)), "delivered": np.empty((u.size, rows)),
           "probes": np.empty((probe_nodes.size, rows))}
    keep_states = holder is not None and options.save_states
    if keep_states:
        out["states"] = np.empty((*holder.state.shape, rows))
    s = None if holder is None else holder.state.copy()
    point = {"t": 0.0, "h": 0.0, "x": x, "u": u, "s": s, "delivered": delivered,
             "probes": np.concatenate([x, u])[probe_nodes]}
    history = [point]
    _record(out, 0, history, 0.0, keep_states)
    energy = np.zeros(u.size)
    peak = CURRENT_FLOOR
    factors: dict[float, object] = {}
    t, h_base, k, row, steps, rejected = 0.0, restart, 0, 1, 0, 0
    while t < t_stop:
        if h_base < MIN_STEP_FRACTION * max(t, spacing):
            raise ConvergenceError(
                f"the transient analysis could not take a step at t = {t:.6g} s (step below "
                f"{MIN_STEP_FRACTION * max(t, spacing):.3g} s): Newton's method fails or rtol = {options.rtol:g} "
                "cannot be met; raise rtol or lower the voltages"
            )
        target = stops[k]
        h = min(h_base, target - t)
        if target - (t + h) < 1e-9 * h:
            h = target - t
        t_new = target if h == target - t else t + h
        alpha, (b0, b1) = _Bdf.coefficients(h, history)
        prev = history[-1]
        older = history[-2] if len(history) > 1 else prev
        u_new = known(t_new)
        beta_x = b0 * prev["x"] + b1 * older["x"]
        beta_u = b0 * prev["u"] + b1 * older["u"]
        x_pred, factor = _extrapolate(t_new, history, "x")
        try:
            if holder is None and not eq.nonlinear:
                x_new, s_new = _linear_step(eq, factors, alpha, c_a, c_s, u_new, beta_x, beta_u), None
            else:
                beta_s = None if s is None else b0 * prev["s"] + b1 * older["s"]
                s_pred = None if s is None else np.clip(_extrapolate(t_new, history, "s")[0], *bounds[:, :, None])
                x_new, s_new = _newton(eq, assembler, holder, dynamic, alpha, (c_a, c_s), x_pred, s_pred, u_new,
                                       (beta_x, beta_u, beta_s), vscale, srange, bounds, options.max_newton)
        except _StepFailed:
            rejected += 1
            h_base = h * 0.25
            if holder is not None:
                holder.state = s.copy()
            continue
        if holder is not None:
            holder.state = s_new
        _, delivered = _kcl(eq, x_new, u_new)
        delivered = delivered + c_p @ (alpha * x_new + beta_x) + c_q @ (alpha * u_new + beta_u)
        err = 0.0
        if len(history) > 1:
            peak = max(peak, float(np.abs(delivered).max(initial=0.0)))
            err = float(np.abs(x_new - x_pred).max(initial=0.0)) / (options.rtol * vscale)
            if not any(p.get("corner") for p in history[-2:]):
                # A corner's currents are those before it (a capacitor's current jumps there): not extrapolated.
                d_pred = _extrapolate(t_new, history, "delivered")[0]
                err = max(err, float(np.abs(delivered - d_pred).max(initial=0.0)) / (options.rtol * peak))
            if s_new is not None:
                s_pred = _extrapolate(t_new, history, "s")[0]
                err = max(err, float((np.abs(s_new - s_pred) / srange).max()) / options.rtol)
            err *= factor
        change = 2.0 if err == 0 else 0.9 * err ** (-1 / 3)
        if err > 1.0:
            rejected += 1
            h_base = h * 2.0 ** np.floor(np.log2(max(0.2, change)))
            if holder is not None:
                holder.state = s.copy()
            continue
        energy += 0.5 * h * (prev["u"] * prev["delivered"] + u_new * delivered)
        t, x, u, s = t_new, x_new, u_new, s_new
        steps += 1
        point = {"t": t, "h": h, "x": x, "u": u, "s": s, "delivered": delivered,
                 "probes": np.concatenate([x, u])[probe_nodes]}
        history = (history + [point])[-3:]
        while row < rows and (grid[row] <= t or row == rows - 1 and t >= t_stop):
            _record(out, row, history, grid[row], keep_states)
            row += 1
        if h == h_base and change >= 2.0:
            h_base = min(2.0 * h_base, spacing)
        elif change < 1.0:
            h_base *= 2.0 ** np.floor(np.log2(max(0.2, change)))
        if t == target:
            k += 1
            if k < stops.size:
                history = [{**history[-1], "corner": True}]
                h_base = min(h_base, restart)
    for solve in factors.values():
        solve.free()
    states = out["states"] if keep_states else (None if holder is None else np.stack([state0, holder.state], -1))
    return RawRun(grid, out["known"], out["delivered"], out["probes"], states, energy, steps, rejected)


def _record(out: dict[str, np.ndarray], row: int, history: list[dict], t: float, keep_states: bool) -> None:
    """Store the values at output time t, interpolated on the last accepted points (quadratic, as BDF2)."""
    out["known"][:, row] = _extrapolate(t, history, "u")[0]
    out["delivered"][:, row] = _extrapolate(t, history, "delivered")[0]
    out["probes"][:, row] = _extrapolate(t, history, "probes")[0]
    if keep_states:
        out["states"][..., row] = _extrapolate(t, history, "s")[0]


def _kcl(eq: CircuitEquations, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) currents from the unknown nodes into the resistive elements (A) and (K,) those the sources deliver."""
    n = eq.n
    f = eq.a0 @ x + eq.s0 @ u
    source = eq.p0 @ x + eq.q0 @ u
    if eq.nonlinear:
        nodes = np.concatenate([x, u])
        total = np.zeros(nodes.size)
        for group in eq.nonlinear:
            with np.errstate(over="ignore", invalid="ignore"):
                i = group.currents(nodes[group.nodes][:, :, None])[:, :, 0]
            total += np.bincount(group.nodes.ravel(), weights=i.ravel(), minlength=nodes.size)
        f, source = f + total[:n], source + total[n:]
    return f, source


class _Assembler:
    """The step matrix J + α·C of a nonlinear circuit, assembled as one set of stamp values on the nodal pattern."""

    def __init__(self, eq: CircuitEquations) -> None:
        self.eq = eq
        groups = eq.circuit.groups
        sizes = [g.size * g.nodes.shape[1] ** 2 for g in groups]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.slices = {id(g): slice(starts[k], starts[k + 1]) for k, g in enumerate(groups)}
        self.c_values = eq.pattern.values([g.capacitance_stamps() for g in groups])
        self._base: dict[float, np.ndarray] = {}

    def matrix(self, x: np.ndarray, u: np.ndarray, alpha: float) -> tuple[sp.csc_matrix, bool]:
        """J + α·C (S) at unknown voltages x and known ones u, and whether it is symmetric positive definite.

        Raises:
            FloatingPointError: If a stamp is not finite.
        """
        base = self._base.get(alpha)
        if base is None:
            if len(self._base) >= 8:
                self._base.pop(next(iter(self._base)))
            base = self._base[alpha] = self.eq.linear_values + alpha * self.c_values
        values = base.copy()
        nodes = np.concatenate([x, u])[:, None]
        spd = self.eq.positive_definite_structure
        for group in self.eq.nonlinear:
            with np.errstate(over="ignore", invalid="ignore"):
                stamps = group.evaluate(nodes[group.nodes])[1][..., 0]
            if not np.isfinite(stamps).all():
                raise FloatingPointError(f"{type(group).__name__} stamps beyond floating point")
            spd = (spd and bool((stamps[:, 0, 0] >= 0).all())) if group.passive else False
            values[self.slices[id(group)]] = stamps.ravel()
        return self.eq.pattern.matrices(values)[0], spd


def _solve_small(matrices: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve K small systems: matrices (K, S, S), right-hand sides (S, K) → (S, K)."""
    if matrices.shape[1] == 1:
        return rhs / matrices[:, 0, 0]
    return np.linalg.solve(matrices, rhs.T[:, :, None])[:, :, 0].T


class _StepFailed(Exception):
    """Newton's method did not converge on this step."""


def _operating_point(eq: CircuitEquations, u: np.ndarray) -> np.ndarray:
    if eq.n == 0:
        return np.zeros(0)
    if not eq.nonlinear:
        with factorize(eq.a0, eq.ordering, positive_definite=eq.positive_definite_structure) as solve:
            return solve(-(eq.s0 @ u))
    from memxbar.solver.general_newton import solve_circuit

    return solve_circuit(eq, u[:, None], "the transient's operating point at t = 0").unknown[:, 0]


def _linear_step(eq: CircuitEquations, factors: dict, alpha: float, c_a, c_s, u: np.ndarray, beta_x: np.ndarray,
                 beta_u: np.ndarray) -> np.ndarray:
    """One step of a linear circuit: (A₀ + α·C_A) x = −S₀ u − C_A β_x − C_S (α u + β_u)."""
    solve = factors.get(alpha)
    if solve is None:
        while len(factors) >= 8:
            factors.pop(next(iter(factors))).free()
        solve = factors[alpha] = factorize((eq.a0 + alpha * c_a).tocsc(), eq.ordering,
                                           positive_definite=eq.positive_definite_structure)
    return solve(-(eq.s0 @ u + c_a @ beta_x + c_s @ (alpha * u + beta_u)))


def _newton(eq: CircuitEquations, assembler: _Assembler, holder: DeviceState | None, dynamic: DynamicDevices | None,
            alpha: float, capacitance: tuple, x: np.ndarray, s: np.ndarray | None, u: np.ndarray, beta: tuple,
            vscale: float, srange: np.ndarray | None, bounds: np.ndarray | None, max_iterations: int) -> tuple:
    """Newton's method on the coupled node and state equations of one step (states eliminated per device).

    Raises:
        _StepFailed: If it does not converge in ``max_iterations`` or meets non-finite values.
    """
    c_a, c_s = capacitance
    beta_x, beta_u, beta_s = beta
    n = eq.n
    nodes_all = eq.circuit.n_nodes
    if holder is not None:
        holder.alpha = alpha
        holder.state = s.copy()
    cu = c_s @ (alpha * u + beta_u)
    for _ in range(max_iterations):
        try:
            jac, spd = assembler.matrix(x, u, alpha)
        except FloatingPointError:
            raise _StepFailed from None
        f = _kcl(eq, x, u)[0] + c_a @ (alpha * x + beta_x) + cu
        if not np.isfinite(f).all():
            raise _StepFailed
        if dynamic is not None:
            lin = holder.last
            r = alpha * holder.state + beta_s - lin["f"]
            j_ss = np.moveaxis(alpha * np.eye(r.shape[0])[:, :, None] - lin["f_s"], -1, 0)
            corr = -(lin["i_s"] * _solve_small(j_ss, r)).sum(axis=0)
            f = f + np.bincount(dynamic.nodes.ravel(), weights=np.stack([corr, -corr], axis=1).ravel(),
                                minlength=nodes_all)[:n]
        with factorize(jac, eq.ordering, positive_definite=spd) as solve:
            dx = -solve(f)
        if not np.isfinite(dx).all():
            raise _StepFailed
        x = x + dx
        done = np.abs(dx).max(initial=0.0) <= NEWTON_TOLERANCE * vscale
        if dynamic is not None:
            dv_all = np.concatenate([dx, np.zeros(nodes_all - n)])
            dvd = dv_all[dynamic.nodes[:, 0]] - dv_all[dynamic.nodes[:, 1]]
            rhs = r - lin["f_v"] * dvd
            ds = -_solve_small(j_ss, rhs)
            new = np.clip(holder.state + ds, *bounds[:, :, None])
            done = done and bool((np.abs(new - holder.state) <= NEWTON_TOLERANCE * srange).all())
            holder.state = new
        if done:
            return x, None if holder is None else holder.state.copy()
    raise _StepFailed

