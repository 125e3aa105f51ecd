"""Fast transient analysis: BDF2 on the nodal equations, device states integrated with them.

The circuit's equations (:class:`~memxbar.solver.equations.CircuitEquations`) gain the capacitors'
currents C·dv/dt, with C assembled from the groups' ``capacitance_stamps`` on the same sparsity
pattern as the conductances. At each step t_{n+1} = t_n + h every derivative is replaced by the
second-order backward differentiation formula (BDF2; A-stable and stiffly decaying; Hairer & Wanner,
*Solving ODEs II*, §V.1) with a fixed leading coefficient: the constant-step formula applied to the
history interpolated at the new step size (the interpolation strategy for changing the step of a
multistep method; Hairer, Nørsett & Wanner, *Solving ODEs I*, §III.5):

    dy/dt ≈ α·y_{n+1} + β,  α = 3/(2h),  β = (y(t_n − h) − 4·y_n)/(2h),

y(t_n − h) being the previous point when the last step was h too, else the quadratic through the last
points (backward Euler, α = 1/h, β = −y_n/h, on the first step and after every corner of a stimulus).
α then depends on h alone, and h takes only the values spacing·2^k (spacing: the output spacing), so
the step matrices repeat. The node voltages and the device states are solved together; each device's
state equation is eliminated locally (see :class:`~memxbar.transient.elements.DynamicDevices`), leaving
one nodal matrix J + α·C, symmetric positive definite for passive arrays:

- a linear circuit solves each step once, with the factorisation of A₀ + α·C for its α, kept in a
  small least-recently-used cache (:data:`FACTOR_CACHE`): after the first stimulus corner the later
  ones meet the same ladder of step sizes and factorise only their landing steps;
- a nonlinear one runs modified Newton: every iteration evaluates the residual and the devices'
  local derivatives afresh (all devices in one vectorised call), while the factorised step matrix is
  kept across iterations and steps until α moves by more than :data:`REFACTOR_ALPHA` or an update
  shrinks by less than :data:`REFACTOR_RATE` (Newton slowing down).

The local truncation error is estimated from the difference between the solution and the polynomial
through the previous points extrapolated to t_{n+1} (Milne's device), for node voltages, terminal
currents and states; a step whose error exceeds ``rtol`` (see :class:`TransientOptions`) is rejected.
A step doubles when the error allows it (0.9·err^(−1/3) ≥ 2) after two equal steps (so that
y(t_n − h) is a point already taken), up to :data:`MAX_STEP_SPACINGS` output spacings, and shrinks by
powers of two. Output times are interpolated (quadratically, as BDF2) between accepted steps; the
energy of a step is that of its conducted currents (the quadratic through the power samples, see
:func:`_step_energy`) plus that of the charge its capacitors move at the sources; steps land on every
stimulus corner, where the history restarts (capacitor currents jump there). A state reaching its
window boundary slows smoothly (the models' rates vanish there, and the iterate is kept within the
bounds), so the step size does not collapse.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from memxbar.circuit.compile import Circuit
from memxbar.circuit.elements import TWO_TERMINAL
from memxbar.errors import ConvergenceError, InputError
from memxbar.solver.equations import CircuitEquations
from memxbar.solver.linalg import factorize
from memxbar.solver.threads import limited_threads
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
"""Smallest step, relative to the time reached (near t = 0: to this fraction of the output spacing), before
:class:`ConvergenceError` is raised. Not relative to the spacing alone: a long run's first corners may need
femtosecond steps (a 2 Ω, 10 fF line charging on a ramp)."""

CURRENT_FLOOR = 1e-15
"""Smallest current (A) the error control of the terminal currents is relative to."""

RESTART_FRACTION = 1e-3
"""First step after a stimulus corner, relative to the output spacing or to the time to the next corner,
whichever is shorter."""

RESTART_AFTER = 3
"""Rejected steps in a row after which the integrator restarts from its last point (backward Euler)."""
MAX_STEP_SPACINGS = 8
"""Largest step, in output spacings (the output times between steps are interpolated quadratically, within
the error the step control allows)."""


FACTOR_CACHE = 20
"""Step matrices of a linear circuit whose factorisations are kept (the least recently used go first): the
step sizes of the ladder (powers of two) and backward Euler's at a restart, which every stimulus corner
meets again; a step shortened to land on a corner is factorised for itself and not kept. (A 256×256
array's factorisation takes ~60 MiB.)"""

CG_CONDITION = 6.0
"""Linear circuits: largest condition number (Gershgorin's bound, after Jacobi scaling) of a step matrix for
which a step is first tried by conjugate gradients (see :class:`_LinearSteps`)."""

CG_ITERATIONS = 40
"""Linear circuits: conjugate-gradient iterations before a step falls back to a factorisation."""

CG_TOLERANCE = 1e-3
"""Linear circuits: bound on the error of every node voltage a conjugate-gradient step leaves, relative to
rtol times the largest stimulus voltage, and on its residual (A), relative to rtol times the largest
terminal current so far."""

REFACTOR_ALPHA = 0.3
"""Nonlinear circuits: the step matrix is factorised afresh when α differs from the one it was made with by
more than this fraction (else the factorisation is reused: modified Newton)."""

REFACTOR_RATE = 0.25
"""Nonlinear circuits: the step matrix is factorised afresh at the next iterate when a Newton update shrinks
by less than this factor."""


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
    factorizations: int


def _bdf(h: float, history: list[dict], key: str) -> tuple[float, np.ndarray]:
    """α and β of dy/dt ≈ α·y_{n+1} + β for a step h from the last point of ``history``.

    BDF2 with a fixed leading coefficient α = 3/(2h): β = (y(t_n − h) − 4·y_n)/(2h), y(t_n − h) being the
    previous point if the last step was h too, else interpolated on the last (up to three) points. Backward
    Euler (α = 1/h, β = −y_n/h) from a single point.
    """
    prev = history[-1]
    if len(history) == 1:
        return 1.0 / h, -prev[key] / h
    back = history[-2][key] if prev["h"] == h else _extrapolate(prev["t"] - h, history, key)[0]
    return 1.5 / h, (back - 4.0 * prev[key]) / (2.0 * h)


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
    # The native libraries run on one thread (limited_threads' size threshold made 1): a step is a few
    # memory-bound substitutions and products, which a second thread does not speed up, and on a shared
    # machine slows badly (256×256 read under load: 97 s on one thread, 473 s on two).
    with limited_threads(1):
        return _integrate(circuit, holder, stimulus, gates, t_stop, options, probe_nodes)


def _integrate(circuit: Circuit, holder: DeviceState | None, stimulus: Stimulus, gates: np.ndarray | None,
               t_stop: float, options: TransientOptions, probe_nodes: np.ndarray) -> RawRun:
    eq = CircuitEquations(circuit)
    pattern = eq.pattern
    c_values = pattern.values([g.capacitance_stamps() for g in circuit.groups])
    c_a, c_s = pattern.matrices(c_values)
    c_p, c_q = pattern.source_maps(c_values)
    dynamic = next((g for g in circuit.groups if isinstance(g, DynamicDevices)), None)
    linear = holder is None and not eq.nonlinear
    steps_of = _LinearSteps(eq, c_a, CG_TOLERANCE * options.rtol * max(stimulus.peak, 1e-3)) if linear \
        else _Jacobian(_Assembler(eq, c_values, dynamic))
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

    def ladder(h: float) -> float:
        """The largest step of the form spacing·2^k (k integer) not above h."""
        return spacing * 2.0 ** np.floor(np.log2(h / spacing))

    def restart(t: float, corner: float) -> float:
        """The first step from t towards the next corner."""
        return ladder(RESTART_FRACTION * min(spacing, corner - t))

    # Operating point at t = 0, states held.
    u = known(0.0)
    if holder is not None:
        holder.alpha = 0.0
    x = _operating_point(eq, u)
    state0 = None if holder is None else holder.state.copy()
    delivered = _delivered(eq, x, u)
    rows = options.points
    out = {"known": np.empty((u.size, rows)), "delivered": np.empty((u.size, rows)),
           "probes": np.empty((probe_nodes.size, rows))}
    keep_states = holder is not None and options.save_states
    if keep_states:
        out["states"] = np.empty((*holder.state.shape, rows))
    s = None if holder is None else holder.state.copy()
    point = {"t": 0.0, "h": 0.0, "x": x, "u": u, "s": s, "delivered": delivered, "conducted": delivered,
             "probes": np.concatenate([x, u])[probe_nodes]}
    history = [point]
    _record(out, 0, history, 0.0, keep_states)
    energy = np.zeros(u.size)
    peak = CURRENT_FLOOR
    t, h_base, k, row, steps, rejected, in_row = 0.0, restart(0.0, stops[0]), 0, 1, 0, 0, 0
    while t < t_stop:
        smallest = MIN_STEP_FRACTION * max(t, MIN_STEP_FRACTION * spacing)
        if h_base < smallest:
            steps_of.free()
            raise ConvergenceError(
                f"the transient analysis could not take a step at t = {t:.6g} s (step below "
                f"{smallest:.3g} s): Newton's method fails or rtol = {options.rtol:g} "
                "cannot be met; raise rtol or lower the voltages"
            )
        target = stops[k]
        h = min(h_base, target - t)
        if target - (t + h) < 1e-9 * h:
            h = target - t
        t_new = target if h == target - t else t + h
        alpha, beta_x = _bdf(h, history, "x")
        beta_u = _bdf(h, history, "u")[1]
        u_new = known(t_new)
        x_pred, factor = _extrapolate(t_new, history, "x")
        try:
            if linear:
                x_new = steps_of.solve(alpha, -(eq.s0 @ u_new + c_a @ beta_x + c_s @ (alpha * u_new + beta_u)),
                                       x_pred, CG_TOLERANCE * options.rtol * peak, keep=h == h_base)
                s_new = i_new = None
            else:
                beta_s = None if s is None else _bdf(h, history, "s")[1]
                s_extrapolated = None if s is None else _extrapolate(t_new, history, "s")[0]
                s_pred = None if s is None else np.clip(s_extrapolated, *bounds[:, :, None])
                x_new, s_new, i_new = _newton(eq, steps_of, holder, dynamic, alpha, (c_a, c_s), x_pred, s_pred, u_new,
                                       (beta_x, beta_u, beta_s), vscale, srange, bounds, options.max_newton)
        except _StepFailed:
            rejected += 1
            h_base = ladder(h * 0.25)
            if holder is not None:
                holder.state = s.copy()
            continue
        if holder is not None:
            holder.state = s_new
        conducted = _delivered(eq, x_new, u_new, i_new)
        delivered = conducted + c_p @ (alpha * x_new + beta_x) + c_q @ (alpha * u_new + beta_u)
        err = 0.0
        if len(history) > 1:
            peak = max(peak, float(np.abs(delivered).max(initial=0.0)))
            err = float(np.abs(x_new - x_pred).max(initial=0.0)) / (options.rtol * vscale)
            if not any(p.get("corner") for p in history[-2:]):
                # A corner's currents are those before it (a capacitor's current jumps there): not extrapolated.
                d_pred = _extrapolate(t_new, history, "delivered")[0]
                err = max(err, float(np.abs(delivered - d_pred).max(initial=0.0)) / (options.rtol * peak))
            if s_new is not None:
                err = max(err, float((np.abs(s_new - s_extrapolated) / srange).max()) / options.rtol)
            err *= factor
        change = 2.0 if err == 0 else 0.9 * err ** (-1 / 3)
        if err > 1.0:
            rejected += 1
            in_row += 1
            h_base = ladder(h * max(0.2, change))
            if in_row >= RESTART_AFTER and len(history) > 1:
                # Older points can spoil the error estimate for good (an extrapolation across a long idle stretch
                # predicts volts where the circuit has decayed to femtovolts): restart from the last point.
                history = [{**history[-1], "corner": True}]
            if holder is not None:
                holder.state = s.copy()
            continue
        in_row = 0
        energy += _step_energy(history, h, u_new, conducted, c_p @ x_new + c_q @ u_new, c_p, c_q)
        t, x, u, s = t_new, x_new, u_new, s_new
        steps += 1
        point = {"t": t, "h": h, "x": x, "u": u, "s": s, "delivered": delivered, "conducted": conducted,
                 "probes": np.concatenate([x, u])[probe_nodes]}
        history = (history + [point])[-3:]
        while row < rows and (grid[row] <= t or row == rows - 1 and t >= t_stop):
            _record(out, row, history, grid[row], keep_states)
            row += 1
        # The step doubles only after two equal steps, so that y(t_n − h) is a point already taken.
        if h == h_base and change >= 2.0 and len(history) == 3 and history[-2]["h"] == h:
            h_base = min(2.0 * h_base, MAX_STEP_SPACINGS * spacing)
        elif change < 1.0:
            h_base = ladder(h_base * max(0.2, change))
        if t == target:
            k += 1
            if k < stops.size:
                history = [{**history[-1], "corner": True}]
                h_base = min(h_base, restart(t, stops[k]))
    factorizations = steps_of.count
    steps_of.free()
    states = out["states"] if keep_states else (None if holder is None else np.stack([state0, holder.state], -1))
    return RawRun(grid, out["known"], out["delivered"], out["probes"], states, energy, steps, rejected, factorizations)


def linear_product_mean(va: np.ndarray, ia: np.ndarray, vb: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Mean of v·i over an interval where v and i are linear from (va, ia) to (vb, ib) (any equal shapes):
    (va·ia + vb·ib)/3 + (va·ib + vb·ia)/6, exact (a trapezoid of the product is not)."""
    return (va * ia + vb * ib) / 3.0 + (va * ib + vb * ia) / 6.0


def _step_energy(history: list[dict], h: float, u: np.ndarray, conducted: np.ndarray, charge: np.ndarray,
                 c_p, c_q) -> np.ndarray:
    """(K,) energy (J) the sources deliver over the step of length h that ends at source voltages ``u`` (K,)
    (V), conducted currents ``conducted`` (K,) (A: through resistors, devices, transistors) and source
    charges ``charge`` (K,) (C: on the capacitors at the sources).

    The conducted currents are continuous between corners: their power is integrated by the quadratic through
    the last two points and the new one, or, on the second step after a corner or from t = 0, exactly for
    voltages and currents linear over the step: h·(v_a·i_a + v_b·i_b)/3 + h·(v_a·i_b + v_b·i_a)/6; on the
    first, short step after a corner by its end value alone. The capacitive currents jump at
    a stimulus corner (a ramp's charging current stops at its end), so they enter through the charge they
    move, ∫ u·dQ ≈ (u_a + u_b)/2·ΔQ, exact where u and Q are linear over the step; no power sample at a
    corner is needed.
    """
    prev = history[-1]
    ua, ra = prev["u"], prev["conducted"]
    capacitive = 0.5 * (ua + u) * (charge - (c_p @ prev["x"] + c_q @ ua))
    if prev.get("corner"):
        # The first step after a corner is short (RESTART_FRACTION of the segment): the conducted current may
        # jump at the corner (a ramp's RC charging current stops), so only the value after it counts.
        return h * u * conducted + capacitive
    if len(history) < 2 or history[-2].get("corner"):
        return h * linear_product_mean(ua, ra, u, conducted) + capacitive
    older = history[-2]
    a = prev["t"] - older["t"]
    p0, p1, p2 = older["u"] * older["conducted"], ua * ra, u * conducted
    return (-h**3 / (6 * a * (a + h)) * p0 + h * (h + 3 * a) / (6 * a) * p1
            + h * (2 * h + 3 * a) / (6 * (a + h)) * p2) + capacitive


def _record(out: dict[str, np.ndarray], row: int, history: list[dict], t: float, keep_states: bool) -> None:
    """Store the values at output time t, interpolated on the last accepted points (quadratic, as BDF2)."""
    out["known"][:, row] = _extrapolate(t, history, "u")[0]
    out["delivered"][:, row] = _extrapolate(t, history, "delivered")[0]
    out["probes"][:, row] = _extrapolate(t, history, "probes")[0]
    if keep_states:
        out["states"][..., row] = _extrapolate(t, history, "s")[0]


def _nonlinear_currents(eq: CircuitEquations, x: np.ndarray, u: np.ndarray,
                        dynamic_currents: np.ndarray | None = None) -> np.ndarray:
    """(n + K,) currents from every node into the nonlinear elements (A); a dynamic group's device currents
    may be given (K_d,) instead of evaluated."""
    nodes = np.concatenate([x, u])
    total = np.zeros(nodes.size)
    for group in eq.nonlinear:
        if dynamic_currents is not None and isinstance(group, DynamicDevices):
            i = np.stack([dynamic_currents, -dynamic_currents], axis=1)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                i = group.currents(nodes[group.nodes][:, :, None])[:, :, 0]
        total += np.bincount(group.nodes.ravel(), weights=i.ravel(), minlength=nodes.size)
    return total


def _delivered(eq: CircuitEquations, x: np.ndarray, u: np.ndarray,
               dynamic_currents: np.ndarray | None = None) -> np.ndarray:
    """(K,) currents the sources deliver into the resistive elements (A) (a dynamic group's device currents
    (K_d,) may be given)."""
    source = eq.p0 @ x + eq.q0 @ u
    if eq.nonlinear:
        source = source + _nonlinear_currents(eq, x, u, dynamic_currents)[eq.n:]
    return source


class _Assembler:
    """The step matrix J + α·C of a nonlinear circuit, assembled as one set of stamp values on the nodal pattern."""

    def __init__(self, eq: CircuitEquations, c_values: np.ndarray, dynamic: DynamicDevices | None) -> None:
        self.eq = eq
        self.dynamic = dynamic
        groups = eq.circuit.groups
        sizes = [g.size * g.nodes.shape[1] ** 2 for g in groups]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.slices = {id(g): slice(starts[k], starts[k + 1]) for k, g in enumerate(groups)}
        self.c_values = c_values

    def matrix(self, x: np.ndarray, u: np.ndarray, alpha: float,
               dynamic_g: np.ndarray | None) -> tuple[sp.csc_matrix, bool]:
        """J + α·C (S) at unknown voltages x and known ones u (the dynamic devices' effective conductances
        ``dynamic_g`` (K_d,) given), and whether it is symmetric positive definite.

        Raises:
            FloatingPointError: If a stamp is not finite.
        """
        values = self.eq.linear_values + alpha * self.c_values
        nodes = np.concatenate([x, u])[:, None]
        spd = self.eq.positive_definite_structure
        for group in self.eq.nonlinear:
            if group is self.dynamic:
                stamps = TWO_TERMINAL[None] * dynamic_g[:, None, None]
            else:
                with np.errstate(over="ignore", invalid="ignore"):
                    stamps = group.evaluate(nodes[group.nodes])[1][..., 0]
            if not np.isfinite(stamps).all():
                raise FloatingPointError(f"{type(group).__name__} stamps beyond floating point")
            spd = (spd and bool((stamps[:, 0, 0] >= 0).all())) if group.passive else False
            values[self.slices[id(group)]] = stamps.ravel()
        return self.eq.pattern.matrices(values)[0], spd


class _Jacobian:
    """The factorised step matrix of a nonlinear circuit, kept across Newton iterations and steps while Newton
    converges fast with it (modified Newton): factorised afresh when α changes by more than
    :data:`REFACTOR_ALPHA` or an update shrinks by less than :data:`REFACTOR_RATE`."""

    def __init__(self, assembler: _Assembler) -> None:
        self.assembler = assembler
        self.solve = None
        self.alpha = 0.0
        self.count = 0

    def stale(self, alpha: float) -> bool:
        """Whether the factorisation is missing or was made for an α too far from ``alpha``."""
        return self.solve is None or abs(alpha / self.alpha - 1.0) > REFACTOR_ALPHA

    def update(self, x: np.ndarray, u: np.ndarray, alpha: float, dynamic_g: np.ndarray | None) -> None:
        """Factorise the step matrix at (x, u).

        Raises:
            _StepFailed: If a stamp is not finite.
        """
        try:
            jac, spd = self.assembler.matrix(x, u, alpha, dynamic_g)
        except FloatingPointError:
            raise _StepFailed from None
        self.free()
        self.solve = factorize(jac, self.assembler.eq.ordering, positive_definite=spd)
        self.alpha = alpha
        self.count += 1

    def free(self) -> None:
        if self.solve is not None:
            self.solve.free()
            self.solve = None


class _LinearSteps:
    """The steps of a linear circuit, (A₀ + α·C_A)·x = b: by conjugate gradients when the step matrix is
    strongly diagonally dominant (short steps, where the capacitances dominate), else by factorisations
    kept by α (the :data:`FACTOR_CACHE` last used).

    Conjugate gradients (Jacobi-preconditioned, started from the extrapolated solution) are tried when
    Gershgorin's discs put the preconditioned matrix's condition number below :data:`CG_CONDITION`; they
    stop when ‖r‖₂ / λ_min ≤ ``tolerance`` (V), which bounds the error of every node voltage, λ_min being
    Gershgorin's lower bound on the eigenvalues (Saad, *Iterative Methods for Sparse Linear Systems*,
    2nd ed., §6.7 and §4.2.3), and the residual ‖r‖₂ is below the current tolerance of the step (the
    capacitors' currents, α·C times the voltage error, must be as exact as the terminal currents'
    error control needs). If they do not converge in :data:`CG_ITERATIONS`, the step is factorised.
    """

    def __init__(self, eq: CircuitEquations, c_a: sp.csc_matrix, tolerance: float) -> None:
        self.eq, self.c_a, self.tolerance = eq, c_a, tolerance
        self.cache: OrderedDict[float, object] = OrderedDict()
        self.iterative: dict[float, tuple | None] = {}
        self.count = 0

    def _dominance(self, alpha: float) -> tuple | None:
        """(matrix, Jacobi preconditioner, lower bound of its eigenvalues) if CG is worth trying, else None."""
        if alpha not in self.iterative:
            if len(self.iterative) >= 4 * FACTOR_CACHE:
                self.iterative.clear()
            matrix = (self.eq.a0 + alpha * self.c_a).tocsr()
            diagonal = matrix.diagonal()
            off = np.asarray(abs(matrix).sum(axis=1)).ravel() - np.abs(diagonal)
            lowest = float((diagonal - off).min(initial=np.inf))
            spread = float((off / diagonal).max(initial=0.0)) if (diagonal > 0).all() else np.inf
            useful = lowest > 0 and (1 + spread) / (1 - spread) <= CG_CONDITION
            if useful:
                from scipy.sparse.linalg import LinearOperator

                inverse = 1.0 / diagonal
                jacobi = LinearOperator(matrix.shape, matvec=lambda r: r.ravel() * inverse, dtype=np.float64)
                self.iterative[alpha] = (matrix, jacobi, lowest)
            else:
                self.iterative[alpha] = None
        return self.iterative[alpha]

    def solve(self, alpha: float, rhs: np.ndarray, guess: np.ndarray, current: float, keep: bool = True) -> np.ndarray:
        """x (n,) of (A₀ + α·C_A)·x = rhs (n,), starting from ``guess`` (n,) when iterating, to a residual of at
        most ``current`` (A) (the error of the capacitors' currents α·C·e it leaves); a factorisation made for
        it is kept unless ``keep`` is false (a step shortened to land on a corner, not met again)."""
        dominant = self._dominance(alpha)
        if dominant is not None:
            from scipy.sparse.linalg import cg

            matrix, jacobi, lowest = dominant
            x, info = cg(matrix, rhs, x0=guess, rtol=0.0, atol=min(self.tolerance * lowest, current),
                         maxiter=CG_ITERATIONS, M=jacobi)
            if info == 0:
                return x
        if keep:
            return self(alpha)(rhs)
        with self._factorize(alpha) as solve:
            return solve(rhs)

    def __call__(self, alpha: float):
        """The factorisation of the step matrix for α, from the cache or made (and kept)."""
        solve = self.cache.pop(alpha, None)
        if solve is None:
            while len(self.cache) >= FACTOR_CACHE:
                self.cache.popitem(last=False)[1].free()
            solve = self._factorize(alpha)
        self.cache[alpha] = solve
        return solve

    def _factorize(self, alpha: float):
        self.count += 1
        return factorize((self.eq.a0 + alpha * self.c_a).tocsc(), self.eq.ordering,
                         positive_definite=self.eq.positive_definite_structure)

    def free(self) -> None:
        for solve in self.cache.values():
            solve.free()
        self.cache.clear()


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


def _newton(eq: CircuitEquations, jacobian: _Jacobian, holder: DeviceState | None, dynamic: DynamicDevices | None,
            alpha: float, capacitance: tuple, x: np.ndarray, s: np.ndarray | None, u: np.ndarray, beta: tuple,
            vscale: float, srange: np.ndarray | None, bounds: np.ndarray | None, max_iterations: int) -> tuple:
    """Modified Newton on the coupled node and state equations of one step (states eliminated per device):
    the unknown voltages (n,), the states (S, K_d) and the dynamic devices' currents (K_d,) (A), or None.

    Every iteration evaluates the residual and the devices' local derivatives afresh; the factorised nodal
    step matrix is reused (:class:`_Jacobian`) until α moves or the convergence slows, so most iterations
    cost one solve.

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
    refactor = jacobian.stale(alpha)
    last = np.inf
    for _ in range(max_iterations):
        lin = None
        if dynamic is not None:
            nodes = np.concatenate([x, u])
            lin = dynamic.linearise(nodes[dynamic.nodes[:, 0]] - nodes[dynamic.nodes[:, 1]])
        f = eq.a0 @ x + eq.s0 @ u + c_a @ (alpha * x + beta_x) + cu
        if eq.nonlinear:
            f = f + _nonlinear_currents(eq, x, u, None if lin is None else lin["i"])[:n]
        if dynamic is not None:
            r = alpha * holder.state + beta_s - lin["f"]
            j_ss = np.moveaxis(alpha * np.eye(r.shape[0])[:, :, None] - lin["f_s"], -1, 0)
            corr = -(lin["i_s"] * _solve_small(j_ss, r)).sum(axis=0)
            f = f + np.bincount(dynamic.nodes.ravel(), weights=np.stack([corr, -corr], axis=1).ravel(),
                                minlength=nodes_all)[:n]
        if not np.isfinite(f).all():
            raise _StepFailed
        if refactor:
            jacobian.update(x, u, alpha, None if lin is None else lin["g"])
            refactor = False
        dx = -jacobian.solve(f)
        if not np.isfinite(dx).all():
            raise _StepFailed
        x = x + dx
        size = float(np.abs(dx).max(initial=0.0)) / vscale
        if dynamic is not None:
            dv_all = np.concatenate([dx, np.zeros(nodes_all - n)])
            dvd = dv_all[dynamic.nodes[:, 0]] - dv_all[dynamic.nodes[:, 1]]
            ds = -_solve_small(j_ss, r - lin["f_v"] * dvd)
            new = np.clip(holder.state + ds, *bounds[:, :, None])
            ds = new - holder.state
            size = max(size, float((np.abs(ds) / srange).max()))
            holder.state = new
        if size <= NEWTON_TOLERANCE:
            if dynamic is None:
                return x, None, None
            # The device currents at the final iterate, to first order in its last (converged) update.
            return x, holder.state.copy(), lin["i"] + lin["i_v"] * dvd + (lin["i_s"] * ds).sum(axis=0)
        refactor = size > REFACTOR_RATE * last
        last = size
    raise _StepFailed
