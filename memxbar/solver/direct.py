"""Exact solution of the linear crossbar by sparse LU factorisation of the nodal matrix."""

from __future__ import annotations

import time

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.inputs import as_batch
from memxbar.solution import Solution
from memxbar.solver.linalg import factorize
from memxbar.solver.nodal import NodalPattern
from memxbar.topology import Topology, build_topology


def node_voltages(topology: Topology, unknown: np.ndarray, voltages: np.ndarray) -> np.ndarray:
    """Stack unknown, source and ground voltages into one (n + M + 1, B) array (V)."""
    ground = np.zeros((1, voltages.shape[1]))
    return np.concatenate([unknown, voltages, ground], axis=0)


def solve_linear(crossbar: Crossbar, voltages: np.ndarray) -> Solution:
    """Solve a crossbar of ohmic devices exactly by sparse nodal analysis.

    One LU factorisation of the nodal matrix serves every input vector of the batch.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) or (M, B) input voltages in volts (V).

    Returns:
        The :class:`Solution`, with ``backend="fast"``.
    """
    start = time.perf_counter()
    v, batched = as_batch(voltages, crossbar.rows)
    topology = build_topology(crossbar)
    pattern = NodalPattern(topology)
    if topology.n_unknown:
        a, s = pattern.matrices(crossbar.conductances)
        unknown = factorize(a)(-(s @ v))
    else:
        unknown = np.zeros((0, v.shape[1]))
    nodes = node_voltages(topology, unknown, v)
    w = nodes[topology.device_w]
    b = nodes[topology.device_b]
    i_dev = crossbar.conductances[:, :, None] * (w - b)
    i_out = i_dev.sum(axis=0)
    if not batched:
        w, b, i_dev, i_out = w[..., 0], b[..., 0], i_dev[..., 0], i_out[..., 0]
    return Solution(
        crossbar=crossbar,
        voltages=v if batched else v[:, 0],
        output_currents=i_out,
        wl_voltages=w,
        bl_voltages=b,
        device_currents=i_dev,
        backend="fast",
        wall_time=time.perf_counter() - start,
    )
