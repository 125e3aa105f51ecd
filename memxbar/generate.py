"""Reproducible random crossbars and input vectors for experiments, tests and the CLI.

A seed gives two independent streams, one for conductances and one for inputs, so the same
seed yields the same inputs whether the conductances were drawn or read from a file.
"""

from __future__ import annotations

import numpy as np

from memxbar.errors import InputError


def _check_number(value: float, name: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number in {unit}, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a finite number >= 0 {unit}, got {value:g}")
    return float(value)


def _check_whole(value: int, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be a whole number >= {minimum}, got {value!r}")


def random_conductances(
    rows: int, cols: int, g_min: float, g_max: float, seed: int, names: tuple[str, str] = ("g_min", "g_max")
) -> np.ndarray:
    """(rows, cols) conductances drawn uniformly from [g_min, g_max] siemens (S).

    Args:
        rows: Number of word lines M.
        cols: Number of bit lines N.
        g_min: Lowest conductance in siemens (S).
        g_max: Highest conductance in siemens (S).
        seed: Seed of the random stream, a whole number >= 0.
        names: How ``g_min`` and ``g_max`` are named in error messages.

    Raises:
        InputError: If a size or the seed is not a whole number in range, or not 0 <= g_min <= g_max.
    """
    _check_whole(rows, "rows", 1)
    _check_whole(cols, "cols", 1)
    _check_whole(seed, "seed", 0)
    low, high = _check_number(g_min, names[0], "S"), _check_number(g_max, names[1], "S")
    if high < low:
        raise InputError(f"{names[0]} {low:g} S exceeds {names[1]} {high:g} S; need {names[0]} <= {names[1]}")
    return np.random.default_rng([seed, 0]).uniform(g_min, g_max, size=(rows, cols))


def random_inputs(rows: int, batch: int, v_max: float, seed: int, name: str = "v_max") -> np.ndarray:
    """(rows, batch) input voltages drawn uniformly from [0, v_max] volts (V).

    Args:
        rows: Number of word lines M.
        batch: Number of input vectors B.
        v_max: Largest input voltage in volts (V).
        seed: Seed of the random stream, a whole number >= 0.
        name: How ``v_max`` is named in error messages.

    Raises:
        InputError: If a count or the seed is not a whole number in range, or v_max < 0.
    """
    _check_whole(rows, "rows", 1)
    _check_whole(batch, "batch", 1)
    _check_whole(seed, "seed", 0)
    _check_number(v_max, name, "V")
    return np.random.default_rng([seed, 1]).uniform(0.0, v_max, size=(rows, batch))
