"""Sweep configuration files (TOML): read, check every key and value, name the key path of a mistake.

A configuration has four top-level keys, all optional::

    kind = "crossbar"          # or "network": points are neural networks on crossbars
    seeds = 3                  # repeats (seeds 0, 1, 2) or a list of seeds

    [base]                     # the experiment every point starts from (Experiment fields)
    batch = 8
    g_min = 1e-6
    device = "sinh"
    device_v0 = 0.3            # parameter v0 of the device model

    [grid]                     # the full product of these lists
    r_wl = [0.5, 1.0, 2.0]
    size = { rows = [8, 16, 32], cols = [8, 16, 32] }    # a group: rows and cols step together

The parameters of ``[base]`` and ``[grid]`` are those of the kind's point:
:class:`~memxbar.sweeps.spec.Experiment` or :class:`~memxbar.sweeps.network.NetworkExperiment`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memxbar.errors import InputError
from memxbar.sweeps.grid import grid_axes
from memxbar.sweeps.kinds import CROSSBAR, kind_named

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SECTIONS = ("kind", "seeds", "base", "grid")
"""The top-level keys of a sweep configuration."""


@dataclass(frozen=True)
class SweepConfig:
    """A checked sweep configuration, ready for :func:`memxbar.sweeps.api.plan_sweep`."""

    base: dict[str, Any]
    """Checked parameter values every point starts from; defaults for the rest."""
    grid: dict[str, Any]
    """Parameter name → list of values, or group name → {parameter name → list of values}."""
    seeds: int | list[int] | None
    """Number of repeats or list of seeds; None for the base experiment's seed only."""
    kind: str = CROSSBAR.name
    """The kind of point (a name of :data:`memxbar.sweeps.kinds.KINDS`)."""


def parse_config(data: dict[str, Any]) -> SweepConfig:
    """Check a configuration already read from TOML.

    Raises:
        InputError: Whose one-line message starts with the key path, e.g.
            ``grid.r_wl[2]: expected a number, got 'abc'``.
    """
    for key in data:
        if key not in SECTIONS:
            raise InputError(f"{key}: unknown key; a sweep configuration has {', '.join(SECTIONS)}")
    kind = kind_named(data.get("kind", CROSSBAR.name))
    base = kind.check_parameters(data.get("base", {}), "base")
    grid = data.get("grid", {})
    if "grid" in data and grid == {}:
        raise InputError("grid: the table is empty; give parameters with lists of values, or leave [grid] out")
    seeds = data.get("seeds")
    grid_axes(grid, seeds, kind=kind)
    return SweepConfig(base, grid, seeds, kind.name)


def load_config(path: str | Path) -> SweepConfig:
    """Read and check a sweep configuration file.

    Raises:
        InputError: If the file is missing, not TOML, or its content is invalid (naming the key path).
    """
    from memxbar.io import read_text

    p = Path(path)
    text = read_text(p, "sweep configuration")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p} is not valid TOML: {exc}") from None
    return parse_config(data)
