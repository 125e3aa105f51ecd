"""The state equations of one device under a periodic voltage, integrated with SciPy's ``solve_ivp``."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from memxbar.devices.base import DynamicModel
from memxbar.errors import InputError
from memxbar.iv.stimulus import Stimulus

RTOL = 1e-9
"""Relative tolerance of the ODE solver."""
ATOL = 1e-11
"""Absolute tolerance of the ODE solver (the states are normalised to [0, 1])."""
STEPS_PER_PERIOD = 400
"""Largest step, as a fraction of the period: no threshold crossing is stepped over."""


def integrate_states(model: DynamicModel, stimulus: Stimulus, initial: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Integrate d(state)/dt of one device from ``initial`` and sample the state at ``times``.

    The implicit Radau IIA method (order 5) handles the stiff switching of threshold models;
    a triangle is integrated piece by piece between its corners, where V(t) has kinks.

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

    def rate(t: float, y: np.ndarray) -> np.ndarray:
        return model.state_derivative(stimulus.voltage(t), y)

    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        solution = solve_ivp(
            rate,
            (start, stop),
            state,
            method="Radau",
            rtol=RTOL,
            atol=ATOL,
            max_step=stimulus.period / STEPS_PER_PERIOD,
            dense_output=True,
        )
        if not solution.success:
            raise InputError(f"the ODE solver failed for device model {model.name}: {solution.message}")
        inside = (times >= start) & (times <= stop)
        out[:, inside] = solution.sol(times[inside])
        state = solution.y[:, -1]
    return out
