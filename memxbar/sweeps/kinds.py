"""The kinds of sweep point: random crossbars and neural networks on crossbars.

A kind says what a point is (its parameters, each checked alone, and the dataclass built from
them), how a point is measured (its metric columns), how long it roughly takes, and how a
sweep's points are checked together before anything runs. The grid, the tasks, the workers and
the results file are the same for every kind; a results file holds one kind, recognised by its
header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from memxbar.errors import InputError
from memxbar.sweeps import crossbar, network, spec
from memxbar.sweeps.metrics import METRICS

ID_COLUMN = "point_id"
"""Column holding a point's id (``point_id`` of its dataclass)."""
ERROR_COLUMN = "error"
"""Column holding why a point failed (``"ExceptionType: message"``), empty when it succeeded."""
TIME_COLUMN = "time_point_s"
"""Column holding the wall time of the whole point (building or training, solves, metrics), in seconds (s)."""


@dataclass(frozen=True)
class Kind:
    """One kind of sweep point."""

    name: str
    """The value of ``kind`` in a sweep configuration."""
    point: type
    """The point's frozen dataclass; it has ``point_id``, ``parameters()`` and ``flat()``."""
    parameters: tuple[str, ...]
    """Every sweepable parameter name."""
    check: Callable[[str, object], Any]
    """(name, value) → the value in its canonical type; raises InputError saying what was expected."""
    unknown: Callable[[str, object], InputError]
    """(key path, name) → the error for a name that is no parameter."""
    make: Callable[[Mapping[str, Any]], Any]
    """Checked parameter values → the point (defaults for the rest)."""
    check_points: Callable[[Sequence[Any], set[str]], None]
    """(points, names the sweep sets) → None; raises InputError if the sweep cannot run."""
    measure: Callable[[Any], dict[str, float]]
    """Point → its metrics (runs on a worker)."""
    metrics: Mapping[str, str]
    """Metric name → definition, in column order."""
    estimate: Callable[[Any], float]
    """Point → rough run time in seconds, for grouping points into tasks."""
    unit: Callable[[str], str]
    """Parameter name → its SI unit ("" for none)."""
    value_kind: Callable[[str], type]
    """Parameter name → the type of its values (int, float or str)."""
    defaults: Mapping[str, Any]
    """Parameter name → its default value, where it has one."""
    text_columns: tuple[str, ...]
    """Columns read back from a results file as text."""

    def columns(self) -> list[str]:
        """The columns of a results row, in order."""
        return [ID_COLUMN, *(item.name for item in fields(self.point)), *self.metrics, TIME_COLUMN, ERROR_COLUMN]

    def check_parameters(self, values: Mapping[str, Any], path: str = "base") -> dict[str, Any]:
        """Check a mapping of parameter names to values, as :attr:`check` does each.

        Raises:
            InputError: Naming ``path.key`` for an unknown parameter or a wrong value.
        """
        if not isinstance(values, Mapping):
            raise InputError(f"{path}: expected a table of parameters, got {values!r}")
        checked = {}
        for key, value in values.items():
            if key not in self.parameters:
                raise self.unknown(f"{path}.{key}", key)
            try:
                checked[key] = self.check(key, value)
            except InputError as exc:
                raise InputError(f"{path}.{key}: {exc}") from None
        return checked


CROSSBAR = Kind(
    name="crossbar",
    point=spec.Experiment,
    parameters=spec.PARAMETERS,
    check=spec.check_parameter,
    unknown=spec.unknown_parameter,
    make=spec.experiment,
    check_points=crossbar.check_points,
    measure=crossbar.measure,
    metrics=METRICS,
    estimate=crossbar.estimated_seconds,
    unit=spec.parameter_unit,
    value_kind=spec.parameter_kind,
    defaults={name: item.default for name, item in spec.FIELDS.items()},
    text_columns=("backend", "method", "device", spec.DEVICE_PARAMS, "device_file"),
)
"""Random crossbars (:class:`memxbar.sweeps.spec.Experiment`): output error, IR drop, power, solver times."""

NETWORK = Kind(
    name="network",
    point=network.NetworkExperiment,
    parameters=network.PARAMETERS,
    check=network.check_parameter,
    unknown=network.unknown_parameter,
    make=network.experiment,
    check_points=network.check_points,
    measure=network.measure,
    metrics=network.METRICS,
    estimate=network.estimated_seconds,
    unit=network.parameter_unit,
    value_kind=network.parameter_kind,
    defaults={name: item.default for name, item in network.FIELDS.items()},
    text_columns=network.TEXT_COLUMNS,
)
"""Neural networks on crossbars (:class:`memxbar.sweeps.network.NetworkExperiment`): accuracy, energy, TOPS/W."""

KINDS: dict[str, Kind] = {CROSSBAR.name: CROSSBAR, NETWORK.name: NETWORK}
"""Kind name → kind."""


def kind_named(name: object) -> Kind:
    """The kind of a configuration's ``kind`` value.

    Raises:
        InputError: If there is no such kind.
    """
    if name not in KINDS:
        raise InputError(f"kind: expected one of {', '.join(map(repr, KINDS))}, got {name!r}")
    return KINDS[str(name)]


def kind_of(point: object) -> Kind:
    """The kind of a point (an instance of a kind's dataclass).

    Raises:
        InputError: If ``point`` is no sweep point.
    """
    for kind in KINDS.values():
        if isinstance(point, kind.point):
            return kind
    raise InputError(f"expected a sweep point ({', '.join(k.point.__name__ for k in KINDS.values())}), "
                     f"got {type(point).__name__}")


def kind_of_columns(header: Sequence[str]) -> Kind | None:
    """The kind whose metrics are all among these columns (of a results file or a DataFrame), or None."""
    return next((kind for kind in KINDS.values() if set(kind.metrics) <= set(header)), None)
