"""Vectorised text building for netlists: element-wise string joins and exact number formatting."""

from __future__ import annotations

import numpy as np


def join(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of string arrays and scalars, broadcasting their shapes."""
    out = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part, dtype=str))
    return out


def numbers(values: np.ndarray | float) -> np.ndarray:
    """Shortest decimal form of each float64 that reads back as the same float64."""
    return np.asarray(values, dtype=np.float64).astype(str)


def indices(shape: tuple[int, ...]) -> list[np.ndarray]:
    """Index arrays of ``shape`` (as from ``np.indices``) converted to strings."""
    return [idx.astype(str) for idx in np.indices(shape)]
