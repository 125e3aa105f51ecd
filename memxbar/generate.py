"""Reproducible random crossbars and input vectors for experiments, tests and the CLI.

A seed gives two independent streams, one for conductances and one for inputs, so the same
seed yields the same inputs whether the conductances were drawn or read from a file.
"""

from __future__ import annotations

import numpy as np

from memxbar.errors import InputError


def _check_range(low: float, high: float, low_name: str, high_name: str, unit: str) -> None:
    if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high < low:
        raise InputError(f"need 0 <= {low_name} <= {high_name} (finite, in {unit}), got {low:g} and {high:g}")


def _check_positive_int(value: int, name: str) -> None:
    if int(value) != value or value < 1:
        raise InputError(f"{name} must be a positive whole number, got {value}")


def random_conductances(rows: int, cols: int, g_min: float, g_max: float, seed: int) -> np.ndarray:
    """(rows, cols) conductances drawn uniformly from [g_min, g_max] siemens (S).

    Args:
        rows: Number of word lines M.
        cols: Number of bit lines N.
        g_min: Lowest conductance in siemens (S).
        g_max: Highest conductance in siemens (S).
        seed: Seed of the random stream.
    """
    _check_positive_int(rows, "rows")
    _check_positive_int(cols, "cols")
    _check_range(g_min, g_max, "g_min", "g_max", "S")
    return np.random.default_rng([seed, 0]).uniform(g_min, g_max, size=(rows, cols))


def random_inputs(rows: int, batch: int, v_max: float, seed: int) -> np.ndarray:
    """(rows, batch) input voltages drawn uniformly from [0, v_max] volts (V).

    Args:
        rows: Number of word lines M.
        batch: Number of input vectors B.
        v_max: Largest input voltage in volts (V).
        seed: Seed of the random stream.
    """
    _check_positive_int(rows, "rows")
    _check_positive_int(batch, "batch")
    _check_range(0.0, v_max, "0", "v_max", "V")
    return np.random.default_rng([seed, 1]).uniform(0.0, v_max, size=(rows, batch))
