"""Crossbar sweep points (:class:`~memxbar.sweeps.spec.Experiment`): build, solve and measure one, and
check a sweep's points before it runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memxbar.devices import MODELS
from memxbar.errors import InputError
from memxbar.sweeps.spec import BOTH, COMPARED, DEVICE_PARAMETERS, DEVICE_PREFIX, Experiment

BUILD_FIELDS = ("rows", "cols", "g_min", "g_max", "seed", "r_wl", "r_bl", "r_driver", "r_sense", "device",
                "device_params", "v_max", "batch")
"""Fields of :class:`Experiment` that :func:`memxbar.build.build` turns into the crossbar and inputs."""

SIZE_FIELDS = ("rows", "cols", "batch", "seed")
"""Parameters that change a point's size or random draw only, not whether it can be built."""

FAST_SECONDS = (1e-3, 1.6e-5)
"""Rough cost of the fast backend: seconds per point, and per device (M·N), for one input vector."""
FAST_BATCH_SHARE = 0.15
"""Rough extra cost of each further input vector of the fast backend, as a share of the first one."""
SPICE_SECONDS = (5e-3, 7e-5)
"""Rough cost of the ngspice backend: seconds per point, and per device and input vector."""
NONLINEAR_FACTOR = 4.0
"""Rough extra cost of a nonlinear device model (Newton iterations; behavioural sources in ngspice)."""


def estimated_seconds(experiment: Experiment) -> float:
    """Order-of-magnitude run time of one point, from the measured scaling of both backends.

    Only used to group points; the constants were measured on a 2-core machine.
    """
    devices = experiment.rows * experiment.cols
    seconds = 0.0
    if experiment.backend in ("fast", BOTH):
        seconds += (FAST_SECONDS[0] + FAST_SECONDS[1] * devices) * (1 + FAST_BATCH_SHARE * (experiment.batch - 1))
    if experiment.backend in ("spice", BOTH):
        seconds += SPICE_SECONDS[0] + SPICE_SECONDS[1] * devices * experiment.batch
    return seconds if MODELS[experiment.device].linear else seconds * NONLINEAR_FACTOR


def build_parameters(experiment: Experiment) -> dict[str, Any]:
    """The parameters of :func:`memxbar.build.build` for a point."""
    params = {name: getattr(experiment, name) for name in BUILD_FIELDS}
    if experiment.device_file:
        params |= {"device": None, "device_file": experiment.device_file}
    return params


def measure(experiment: Experiment) -> dict[str, float]:
    """Build the point's crossbar and inputs, solve them with its backend(s) and compute its metrics.

    Returns:
        Metric name → value for every name in :data:`memxbar.sweeps.metrics.METRICS`.
    """
    from memxbar.build import build
    from memxbar.simulate import simulate
    from memxbar.sweeps.metrics import point_metrics

    e = experiment
    problem = build(build_parameters(e))
    crossbar, voltages = problem.crossbar, problem.voltages.reshape(e.rows, e.batch)
    backends = COMPARED if e.backend == BOTH else (e.backend,)
    fast_options = {"method": e.method, "tol": e.tol}
    solutions = {name: simulate(crossbar, voltages, name, **(fast_options if name == "fast" else {}))
                 for name in backends}
    return point_metrics(solutions, e.read_time)


def check_points(points: Sequence[Experiment], given: set[str]) -> None:
    """Refuse device parameters that no point's model has, and points that cannot be built.

    Builds (without solving) one 1×1 crossbar of every kind of point, so that an inconsistent
    sweep (``g_min > g_max`` …) is refused before it runs; points that differ only in size, batch
    or seed are one kind.

    Args:
        points: The points of the sweep.
        given: The parameter names the sweep sets (in base or grid).

    Raises:
        InputError: Naming the unused parameter, or the first point that cannot be built and why.
    """
    from memxbar.build import build

    used = {DEVICE_PREFIX + name for point in points for name, _ in point.device_params}
    for name in sorted(given & set(DEVICE_PARAMETERS) - used):
        models = ", ".join(model for model, _ in DEVICE_PARAMETERS[name])
        devices = ", ".join(sorted({p.device for p in points}))
        raise InputError(
            f"{name} is a parameter of device model {models}, but the sweep only uses {devices}; "
            "set device accordingly or drop it"
        )
    seen = set()
    for point in points:
        params = build_parameters(point)
        kind = tuple((name, value) for name, value in params.items() if name not in SIZE_FIELDS)
        if kind in seen:
            continue
        seen.add(kind)
        try:
            build({**params, "rows": 1, "cols": 1, "batch": 1})
        except InputError as exc:
            described = ", ".join(f"{name}={value!r}" for name, value in kind if name != "device_params")
            raise InputError(f"a point of the sweep cannot be built ({described}): {exc}") from None
