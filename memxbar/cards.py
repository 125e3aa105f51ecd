"""Vectorised text of SPICE cards: element-wise string joins and exact number formatting (used by the
device models and the netlist writer, so neither depends on the other)."""

from __future__ import annotations

import numpy as np


def join(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of string arrays and scalars, broadcasting their shapes."""
    out = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part, dtype=str))
    return out


def numbers(values: np.ndarray | float) -> np.ndarray:
    """Shortest decimal form of each float64 that reads back as the same float64.

    Each distinct value is formatted once: line resistances are mostly one value.
    """
    values = np.asarray(values, dtype=np.float64)
    distinct, where = np.unique(values, return_inverse=True)
    return distinct.astype(str)[where.reshape(values.shape)]


def indices(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row and column numbers as strings, shaped (M, 1) and (1, N): they broadcast to ``shape``."""
    return np.arange(shape[0]).astype(str)[:, None], np.arange(shape[1]).astype(str)[None, :]
