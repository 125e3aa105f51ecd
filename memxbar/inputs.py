"""Input voltage vectors: validation and the batched (M, B) form every backend works with."""

from __future__ import annotations

import numpy as np

from memxbar.errors import InputError
from memxbar.validation import as_finite_array

MAX_VOLTS = 1e6
"""Largest input voltage accepted, in volts (V): far above any crossbar read, far below where powers
(V²·G) overflow; a larger value is taken to be a mistake of units."""


def as_batch(voltages: object, rows: int, name: str = "voltages") -> tuple[np.ndarray, bool]:
    """Validate input voltages and return them as an (M, B) batch.

    Args:
        voltages: (M,) for one input vector or (M, B) for a batch of B vectors, in volts (V).
        rows: Number of word lines M of the crossbar.
        name: How the voltages are named in error messages.

    Returns:
        The (M, B) float64 array and whether the input was batched (2-D).

    Raises:
        InputError: (a ``ValueError``) Naming ``name``, if it is not finite and real, empty, of the
            wrong shape, or larger than :data:`MAX_VOLTS` in magnitude.
    """
    v = as_finite_array(voltages, name)
    if v.ndim not in (1, 2):
        raise InputError(f"{name} must be (rows,) or (rows, batch), got {v.ndim} dimension(s)")
    if v.shape[0] != rows:
        raise InputError(f"{name} has {v.shape[0]} row(s) but the crossbar has {rows} word lines")
    if v.size == 0:
        raise InputError(f"{name} is empty (shape {v.shape}); give at least one input vector")
    if np.abs(v).max() > MAX_VOLTS:
        raise InputError(
            f"{name} reaches {np.abs(v).max():.3g} V, above {MAX_VOLTS:.0e} V; inputs are in volts: check the units"
        )
    batched = v.ndim == 2
    return (v if batched else v[:, None]), batched
