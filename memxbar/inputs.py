"""Input voltage vectors: validation and the batched (M, B) form every backend works with."""

from __future__ import annotations

import numpy as np

from memxbar.errors import InputError
from memxbar.validation import as_finite_array


def as_batch(voltages: object, rows: int) -> tuple[np.ndarray, bool]:
    """Validate input voltages and return them as an (M, B) batch.

    Args:
        voltages: (M,) for one input vector or (M, B) for a batch of B vectors, in volts (V).
        rows: Number of word lines M of the crossbar.

    Returns:
        The (M, B) float64 array and whether the input was batched (2-D).

    Raises:
        ValueError: Naming ``voltages``, if it is not finite, empty or of the wrong shape.
    """
    v = as_finite_array(voltages, "voltages")
    if v.ndim not in (1, 2):
        raise InputError(f"voltages must be (rows,) or (rows, batch), got {v.ndim} dimension(s)")
    if v.shape[0] != rows:
        raise InputError(f"voltages has {v.shape[0]} row(s) but the crossbar has {rows} word lines")
    if v.size == 0:
        raise InputError(f"voltages is empty (shape {v.shape}); give at least one input vector")
    batched = v.ndim == 2
    return (v if batched else v[:, None]), batched
