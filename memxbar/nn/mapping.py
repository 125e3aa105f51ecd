"""Weights ↔ conductances, inputs → read voltages, output currents → activations, and tiling.

The mapping of Joksas et al., Adv. Sci. 9, 2105784 (2022), Section 4 ("Mapping"):

- inputs x ∈ [0, 1] become read voltages V = k_V·x (k_V = ``v_read``, 0.5 V in the paper);
- a layer's weights, bias row included, become conductances with k_G = (G_on − G_off)/max|w|:
  **differential pairs** (adjacent columns 2j, 2j+1) G⁺ = G_off + k_G·max(w, 0),
  G⁻ = G_off + k_G·max(−w, 0), output y_j = (I_2j − I_2j+1)/(k_V·k_G); or an **offset
  reference column**: G = G_mid + k_G·w with k_G = (G_on − G_off)/(2·max|w|) and
  G_mid = (G_off + G_on)/2, and a last column of G_mid whose current is subtracted from each
  output, y_j = (I_j − I_ref)/(k_V·k_G);
- a matrix larger than one array is split into **tiles** of at most ``tile_rows`` word lines and
  ``tile_cols`` bit lines (a tile holds whole differential pairs, and in the offset scheme its
  own reference column); each tile's outputs are converted to activations and the partial sums
  of the tiles along the inputs are added digitally.

Every function takes an array namespace ``xp`` (NumPy by default, ``jax.numpy`` for training), so
inference and training share one definition of the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from memxbar.errors import InputError

SCHEMES = ("differential", "offset")
"""How signed weights are represented: differential column pairs or one offset reference column."""


@dataclass(frozen=True)
class Mapping:
    """How a layer is laid out on crossbars and driven."""

    scheme: str = "differential"
    """``"differential"`` (pairs of adjacent columns) or ``"offset"`` (one reference column per tile)."""
    v_read: float = 0.5
    """Voltage scale k_V: an input x drives its word line at k_V·x volts (V)."""
    tile_rows: int = 128
    """Largest number of word lines (inputs, bias included) of one crossbar tile."""
    tile_cols: int = 128
    """Largest number of bit lines of one crossbar tile (at least 2)."""

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise InputError(f"scheme must be one of {', '.join(map(repr, SCHEMES))}, got {self.scheme!r}")
        if not (np.isfinite(self.v_read) and self.v_read > 0):
            raise InputError(f"v_read must be a voltage > 0 V, got {self.v_read!r}")
        for name in ("tile_rows", "tile_cols"):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and value >= (1 if name == "tile_rows" else 2)):
                raise InputError(f"{name} must be a whole number >= {1 if name == 'tile_rows' else 2}, got {value!r}")

    @property
    def neurons_per_tile(self) -> int:
        """Outputs (neurons) one tile holds: ``tile_cols // 2`` pairs, or ``tile_cols − 1`` plus a reference."""
        return self.tile_cols // 2 if self.scheme == "differential" else self.tile_cols - 1


@dataclass(frozen=True)
class Tile:
    """One crossbar of a tiled layer: a block of weight rows (inputs) and of neurons (outputs)."""

    rows: slice
    """Rows of the (K, N) weight matrix (word lines of this tile)."""
    neurons: slice
    """Columns of the weight matrix (neurons) this tile computes."""


def tiles(k: int, n: int, mapping: Mapping) -> list[Tile]:
    """The tiles of a (K, N) weight matrix, row blocks outer, neuron blocks inner."""
    per = mapping.neurons_per_tile
    return [Tile(slice(r, min(r + mapping.tile_rows, k)), slice(c, min(c + per, n)))
            for r in range(0, k, mapping.tile_rows) for c in range(0, n, per)]


def conductance_scale(w: Any, g_off: float, g_on: float, scheme: str, xp: ModuleType = np) -> Any:
    """k_G in siemens per unit weight: (G_on − G_off)/max|w| (differential) or half that (offset)."""
    w_max = xp.max(xp.abs(w))
    return (g_on - g_off) / (w_max if scheme == "differential" else 2.0 * w_max)


def weights_to_conductances(w: Any, k_g: Any, g_off: float, g_on: float, scheme: str, xp: ModuleType = np) -> Any:
    """Conductances (S) of the (K, N) weights ``w``: (K, 2N) interleaved pairs, or (K, N + 1), reference last."""
    k, n = w.shape
    if scheme == "differential":
        g_pos = g_off + k_g * xp.maximum(w, 0.0)
        g_neg = g_off + k_g * xp.maximum(-w, 0.0)
        return xp.stack([g_pos, g_neg], axis=-1).reshape(k, 2 * n)
    g_mid = 0.5 * (g_off + g_on)
    return xp.concatenate([g_mid + k_g * w, xp.full((k, 1), g_mid)], axis=1)


def conductances_to_weights(g: np.ndarray, k_g: float, scheme: str) -> np.ndarray:
    """The weights (K, N) that conductances ``g`` represent: (G⁺ − G⁻)/k_G, or (G − G_ref)/k_G."""
    g = np.asarray(g, dtype=np.float64)
    if scheme == "differential":
        return (g[:, 0::2] - g[:, 1::2]) / k_g
    return (g[:, :-1] - g[:, -1:]) / k_g


def currents_to_outputs(i: Any, k_g: Any, v_read: float, scheme: str) -> Any:
    """Outputs (B, N) of a tile's column currents ``i`` (B, columns) in A: current difference over k_V·k_G."""
    diff = i[:, 0::2] - i[:, 1::2] if scheme == "differential" else i[:, :-1] - i[:, -1:]
    return diff / (v_read * k_g)
