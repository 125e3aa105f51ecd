"""How accurate a solved crossbar is: Kirchhoff's current law checked branch by branch.

For node voltages from any backend, every branch current is formed from its own voltage
difference (line segment k: g_k·(x_a − x_b); device: its model's I(V)), and summed at every
unknown node. The sum should be zero; what is left is the KCL residual F_k. Two figures
follow, per input vector:

- ``residual``: max_k |F_k| / max_k T_k, where T_k = Σ |branch currents| at node k is the
  current flowing through node k: the achieved accuracy of the currents, relative to the
  largest node current. A backward-stable solve of a well-conditioned array leaves ~1e-15.
- ``floor``: ε·max_k R_k / max_k T_k, where R_k = Σ g·(|x_a| + |x_b|) + |I_device| is the size
  of the terms before they cancel: the accuracy node voltages in double precision can give
  at best (rounding each node voltage by ε changes a branch current by g·ε·|x|). A circuit with
  a 1e-9 Ω segment at 1 V carrying 1 mA has a floor near 1e-4: about four digits, whatever
  the solver (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §7.1: the
  componentwise condition of a linear system).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from memxbar.errors import AccuracyWarning, ConvergenceError
from memxbar.topology import Topology

EPS = np.finfo(np.float64).eps
"""Unit roundoff of double precision (2.2e-16)."""

CHECK_BYTES = 64 * 2**20
"""Largest block of branch currents formed at once, in bytes."""


@dataclass(frozen=True, eq=False)
class KclCheck:
    """Accuracy of one batch of solutions, per input vector (see the module docstring)."""

    residual: np.ndarray
    """(B,) largest KCL residual at any node relative to the largest node current (dimensionless)."""
    floor: np.ndarray
    """(B,) the best relative accuracy double precision allows for this circuit and input (dimensionless)."""

    def digits(self) -> np.ndarray:
        """(B,) correct significant digits the floor leaves, −log10(floor)."""
        with np.errstate(divide="ignore"):
            return -np.log10(np.maximum(self.floor, EPS))


class BranchMap:
    """The branches of a crossbar (line segments, then devices) and where they meet the unknown nodes."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        n = topology.n_unknown
        self.a = np.concatenate([topology.line_a, topology.device_w.ravel()])
        """First node of each branch (current counted from a to b)."""
        self.b = np.concatenate([topology.line_b, topology.device_b.ravel()])
        """Second node of each branch."""
        self.lines = topology.line_a.size
        """Number of line-segment branches; the devices follow."""
        branch = np.arange(self.a.size)
        rows = np.concatenate([self.a, self.b])
        cols = np.concatenate([branch, branch])
        sign = np.concatenate([np.ones(self.a.size), -np.ones(self.b.size)])
        keep = rows < n
        self.incidence = sp.csr_matrix((sign[keep], (rows[keep], cols[keep])), shape=(n, self.a.size))
        """(n, branches): +1 where a branch leaves an unknown node, −1 where it enters."""
        self.touches = abs(self.incidence)

    def check(self, nodes: np.ndarray, device_currents: np.ndarray) -> KclCheck:
        """Check KCL for node voltages ``nodes`` (all nodes: unknown, sources, ground; (n_all, B), V)
        and device currents (M, N, B) or (M·N, B) in amperes."""
        batch = nodes.shape[1]
        i_dev = device_currents.reshape(-1, batch)
        residual, floor = np.empty(batch), np.empty(batch)
        step = max(1, CHECK_BYTES // (8 * max(self.a.size, 1)))
        g = self.topology.line_g[:, None]
        for start in range(0, batch, step):
            cols = slice(start, start + step)
            x_a, x_b = nodes[self.topology.line_a, cols], nodes[self.topology.line_b, cols]
            current = np.concatenate([g * (x_a - x_b), i_dev[:, cols]])
            size = np.concatenate([g * (np.abs(x_a) + np.abs(x_b)), np.abs(i_dev[:, cols])])
            with np.errstate(invalid="ignore", over="ignore"):
                through = (self.touches @ np.abs(current)).max(axis=0, initial=0.0)
                worst = np.abs(self.incidence @ current).max(axis=0, initial=0.0)
                terms = (self.touches @ size).max(axis=0, initial=0.0)
                scale = np.where(through > 0, through, 1.0)
                residual[cols] = np.where(through > 0, worst / scale, worst)
                floor[cols] = np.where(through > 0, EPS * terms / scale, 0.0)
        return KclCheck(residual, floor)


def accuracy_hint(check: KclCheck, tol: float) -> str:
    """What the rounding floor of ``check`` allows, as advice for messages."""
    floor = float(check.floor.max(initial=0.0))
    if floor <= tol:
        return "use method='direct'"
    return (f"the circuit's conditioning may leave only about {float(check.digits().min()):.0f} correct digits "
            f"(rounding floor {floor:.1e} relative): large and tiny resistances meet at a node; set resistances "
            "far below the others to 0 (an ideal wire)")


def warn_if_inaccurate(check: KclCheck, tol: float) -> None:
    """Warn (:class:`~memxbar.errors.AccuracyWarning`) if the rounding floor of ``check`` exceeds ``tol``.

    The floor bounds what double precision can promise for the circuit (see the module
    docstring); the KCL residual alone does not bound the error of an ill-conditioned circuit's
    currents (measured: residuals of 2e-11 with outputs 3e-9 apart, 1e-6 Ω segments beside 0.1 S
    devices), so the floor decides."""
    if check.floor.size and float(check.floor.max()) > tol:
        warnings.warn(
            f"solution accurate to a relative KCL residual of {float(check.residual.max()):.1e} only, not "
            f"tol={tol:g}: {accuracy_hint(check, tol)}",
            AccuracyWarning,
            stacklevel=3,
        )


def device_label(shape: tuple[int, int], index: int) -> str:
    """``device [i, j]`` for the flat index of a device in an (M, N) array."""
    i, j = np.unravel_index(index, shape)
    return f"device [{i}, {j}]"


def check_finite_currents(model: object, shape: tuple[int, int], voltages: np.ndarray, currents: np.ndarray) -> None:
    """Raise if a device current is not a finite double, naming the device and its voltage.

    Args:
        model: The device model (for the message).
        shape: (M, N) of the crossbar.
        voltages: (M, N[, B]) device voltages (V).
        currents: Device currents (A), same shape.

    Raises:
        ConvergenceError: If a current is infinite or NaN: it overflows double precision.
    """
    bad = ~np.isfinite(currents)
    if not bad.any():
        return
    flat = np.argwhere(bad)[0]
    i, j = int(flat[0]), int(flat[1])
    raise ConvergenceError(
        f"device [{i}, {j}] current overflows double precision (> 1.8e308 A) at {float(voltages[tuple(flat)]):.6g} V "
        f"with device model {model!r}; lower the input voltages"
    )


def kcl_residual(crossbar: object, voltages: np.ndarray, wl_voltages: np.ndarray, bl_voltages: np.ndarray,
                 device_currents: np.ndarray) -> KclCheck:
    """Check KCL for a solution given by its word- and bit-line node voltages (any backend).

    Nodes that are neither W[i, j] nor B[i, j] (driver outputs, sense nodes) join only line
    resistors; their voltages are taken from their own KCL equations, so the check is that of
    the device nodes.

    Args:
        crossbar: The solved :class:`~memxbar.crossbar.Crossbar`.
        voltages: (M, B) input voltages (V).
        wl_voltages: (M, N, B) word-line node voltages (V).
        bl_voltages: (M, N, B) bit-line node voltages (V).
        device_currents: (M, N, B) device currents (A).

    Returns:
        The :class:`KclCheck` per input vector.
    """
    from scipy.sparse.linalg import spsolve

    from memxbar.solver.nodal import NodalPattern
    from memxbar.topology import build_topology

    topology = build_topology(crossbar)
    n, m = topology.n_unknown, topology.n_sources
    batch = voltages.shape[1]
    nodes = np.zeros((n + m + 1, batch))
    nodes[n:n + m] = voltages
    known = np.zeros(n + m + 1, dtype=bool)
    known[n:] = True
    nodes[topology.device_w] = wl_voltages
    nodes[topology.device_b] = bl_voltages
    known[topology.device_w] = known[topology.device_b] = True
    free = np.flatnonzero(~known[:n])
    if free.size:
        a0, s0 = NodalPattern(topology).matrices(np.zeros(crossbar.shape))
        fixed = np.flatnonzero(known[:n])
        rhs = -(a0[free][:, fixed] @ nodes[fixed] + s0[free] @ voltages)
        nodes[free] = spsolve(a0[free][:, free].tocsc(), rhs).reshape(free.size, batch)
    return BranchMap(topology).check(nodes, device_currents)
