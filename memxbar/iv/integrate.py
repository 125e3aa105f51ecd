"""The state equations of one device under a periodic voltage, integrated with SciPy's ``solve_ivp``."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from memxbar.devices.base import DynamicModel
from memxbar.errors import InputError
from memxbar.iv.stimulus import Stimulus

METHOD = "LSODA"
"""The ODE solver of ``solve_ivp``: ODEPACK's LSODA, which switches between Adams steps and BDF
steps (for stiff stretches, such as threshold switching) by itself. Measured on every dynamic
model's default sweep (see ``iv_sweep``), it is 5–10 times faster than Radau IIA at equal
accuracy (its Python right-hand side is called fewer times)."""
RTOL = 1e-12
"""Relative tolerance of the ODE solver. Measured against Radau IIA at rtol 1e-13 on every
model's default sweep: within 2e-11, and 8e-7 for Stanford–PKU (at its SET, a thermal runaway)."""
ATOL = 1e-14
"""Absolute tolerance of the ODE solver (the states are normalised to [0, 1])."""
STEPS_PER_PERIOD = 400
"""Largest step, as a fraction of the period: no threshold crossing is stepped over."""


def integrate_states(model: DynamicModel, stimulus: Stimulus, initial: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Integrate d(state)/dt of one device from ``initial`` and sample the state at ``times``.

    A triangle is integrated piece by piece between its corners, where V(t) has kinks. Every
    model keeps its states within their bounds, but a trial step of the solver may leave them,
    where a model's rate can overflow (Stanford–PKU's sinh of a huge field): the rate is taken
    at the state clipped to its bounds, which leaves the solution itself unchanged.

    Args:
        model: The device model.
        stimulus: The applied voltage V(t).
        initial: (S,) initial state.
        times: Increasing sample times (s) within [0, ``stimulus.duration``].

    Returns:
        (S, len(times)) states.

    Raises:
        InputError: If the solver fails (its message says why).
    """
    edges = np.concatenate([[0.0], stimulus.breakpoints(), [stimulus.duration]])
    out = np.empty((len(initial), len(times)))
    state = np.asarray(initial, dtype=np.float64)
    low = np.array([s.minimum for s in model.states])
    high = np.array([s.maximum for s in model.states])

    def rate(t: float, y: np.ndarray) -> np.ndarray:
        return model.state_derivative(stimulus.voltage(t), np.clip(y, low, high))

    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        solution = solve_ivp(
            rate,
            (start, stop),
            state,
            method=METHOD,
            rtol=RTOL,
            atol=ATOL,
            max_step=stimulus.period / STEPS_PER_PERIOD,
            dense_output=True,
        )
        if not solution.success or not np.all(np.isfinite(solution.y)):
            reason = solution.message if not solution.success else "the state is no longer finite"
            raise InputError(f"the ODE solver failed for device model {model.name}: {reason}")
        inside = (times >= start) & (times <= stop)
        out[:, inside] = solution.sol(times[inside])
        state = solution.y[:, -1]
    return out
