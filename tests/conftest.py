"""Shared fixtures. Tests use the real ngspice: the set-up (make setup) installs it."""

from __future__ import annotations

import numpy as np
import pytest

import memxbar


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


def random_crossbar(rng: np.random.Generator, m: int, n: int, **parasitics: object) -> memxbar.Crossbar:
    """A crossbar with devices of 1–100 µS, as in typical RRAM arrays."""
    return memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (m, n)), **parasitics)
