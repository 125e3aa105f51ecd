"""The grid of a sweep: checked axes and their full product, expanded into experiments.

A grid maps a parameter name to a list of values (one axis of the product), or a group name to a
mapping of several parameters to lists of equal length (one axis whose parameters vary together,
e.g. ``{"size": {"rows": [8, 16], "cols": [8, 16]}}`` for square arrays). Seeds form the innermost
axis, so the repeats of one configuration are neighbours.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memxbar.errors import InputError
from memxbar.sweeps.kinds import CROSSBAR, Kind


@dataclass(frozen=True)
class Axis:
    """One axis of the grid: one parameter, or several that take their values in step."""

    name: str
    """The parameter name, or the group name of parameters varied together."""
    parameters: tuple[str, ...]
    """Names of the parameters this axis sets."""
    steps: tuple[tuple[Any, ...], ...]
    """The values along the axis: one tuple per step, in the order of ``parameters``."""


def _values(value: object, path: str) -> list[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray)):
        raise InputError(f"{path}: expected a list of values, got {value!r}; put a single value in base")
    values = list(value)
    if not values:
        raise InputError(f"{path}: the list is empty; give at least one value")
    return values


def _checked(name: str, values: list[Any], path: str, kind: Kind) -> list[Any]:
    checked = []
    for index, value in enumerate(values):
        try:
            checked.append(kind.check(name, value))
        except InputError as exc:
            raise InputError(f"{path}[{index}]: {exc}") from None
    return checked


def _parameter_name(name: object, path: str, kind: Kind) -> str:
    if name not in kind.parameters:
        raise kind.unknown(path, name)
    return str(name)


def _axis(name: str, value: object, path: str, kind: Kind) -> Axis:
    if not isinstance(value, Mapping):
        parameter = _parameter_name(name, path, kind)
        return Axis(name, (parameter,), tuple((v,) for v in _checked(parameter, _values(value, path), path, kind)))
    if name in kind.parameters:
        raise InputError(f"{path}: expected a list of values, got a table; name a group of parameters otherwise")
    if not value:
        raise InputError(f"{path}: the group is empty; give parameters with lists of values")
    columns = {}
    for key, values in value.items():
        member = f"{path}.{key}"
        columns[_parameter_name(key, member, kind)] = _checked(str(key), _values(values, member), member, kind)
    first, length = next((key, len(v)) for key, v in columns.items())
    for key, values in columns.items():
        if len(values) != length:
            raise InputError(
                f"{path}.{key}: has {len(values)} value(s) but {path}.{first} has {length}; grouped lists step together"
            )
    return Axis(name, tuple(columns), tuple(zip(*columns.values(), strict=True)))


def _seed_axis(seeds: object, kind: Kind) -> Axis:
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer, Sequence, np.ndarray)):
        raise InputError(f"seeds: expected a number of repeats or a list of seeds, got {seeds!r}")
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise InputError(f"seeds: expected at least 1 repeat, got {seeds}")
        seeds = list(range(int(seeds)))
    return Axis("seed", ("seed",), tuple((s,) for s in _checked("seed", _values(seeds, "seeds"), "seeds", kind)))


def grid_axes(
    grid: Mapping[str, Any], seeds: int | Sequence[int] | None = None, path: str = "grid", kind: Kind = CROSSBAR
) -> tuple[Axis, ...]:
    """Check a grid and turn it into axes, seeds last.

    Args:
        grid: Parameter name → list of values, or group name → {parameter name → list of values}.
        seeds: Number of repeats n (seeds 0 … n−1) or a list of seeds; None for no seed axis.
        path: Where the grid came from, prefixed to error messages (e.g. ``"grid"``).
        kind: The kind of point whose parameters the grid sets.

    Returns:
        The axes, in the order given, with the seed axis last.

    Raises:
        InputError: Naming the key path of an unknown parameter, a wrong or repeated value, an
            empty list, or a parameter set by two axes.
    """
    if not isinstance(grid, Mapping):
        raise InputError(f"{path}: expected a table of parameter lists, got {grid!r}")
    labelled = [(f"{path}.{name}", _axis(str(name), value, f"{path}.{name}", kind)) for name, value in grid.items()]
    if seeds is not None:
        labelled.append(("seeds", _seed_axis(seeds, kind)))
    owner: dict[str, str] = {}
    for label, axis in labelled:
        for parameter in axis.parameters:
            if parameter in owner:
                raise InputError(f"{label}: {parameter} is already set by {owner[parameter]}; set it in one place")
            owner[parameter] = label
        seen: dict[tuple[Any, ...], int] = {}
        for index, step in enumerate(axis.steps):
            if step in seen:
                raise InputError(f"{label}[{index}]: repeats the value at index {seen[step]}; every point must differ")
            seen[step] = index
    axes = [axis for _, axis in labelled]
    return tuple(axes)


def expand(base: Mapping[str, Any], axes: Sequence[Axis], kind: Kind = CROSSBAR) -> list[Any]:
    """The full product of the axes applied to ``base``, first axis outermost, checked as a whole.

    Points that differ only in parameters they do not use (a device parameter of another model, a
    custom device's range for a named device set) are one point.

    Args:
        base: Checked parameter values every point starts from (see :meth:`Kind.check_parameters`);
            defaults for the rest.
        axes: Axes from :func:`grid_axes`.
        kind: The kind of point.

    Returns:
        One point (of ``kind``'s dataclass) per distinct point.

    Raises:
        InputError: If a point cannot be built, or a parameter is set that no point uses.
    """
    points: dict[str, Any] = {}
    for steps in itertools.product(*(axis.steps for axis in axes)):
        values = dict(base)
        for axis, step in zip(axes, steps, strict=True):
            values.update(zip(axis.parameters, step, strict=True))
        point = kind.make(values)
        points.setdefault(point.point_id, point)
    kind.check_points(list(points.values()), {*base, *(name for axis in axes for name in axis.parameters)})
    return list(points.values())
