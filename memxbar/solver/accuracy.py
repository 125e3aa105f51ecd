"""How accurate a solved circuit is: Kirchhoff's current law checked element by element.

For node voltages from any backend, every element's terminal currents are formed from its own
terminal voltages (a line segment: g·(x_a − x_b); a device: its model's I(V); a transistor: its
drain current), and summed at every unknown node. The sum should be zero; what is left is the
KCL residual F_k. Two figures follow, per input vector:

- ``residual``: max_k |F_k| / max_k T_k, where T_k = Σ |terminal currents| at node k is the
  current flowing through node k: the achieved accuracy of the currents, relative to the
  largest node current. A backward-stable solve of a well-conditioned array leaves ~1e-15.
- ``floor``: ε·max_k R_k / max_k T_k, where R_k = Σ |stamp|·|v| over the linear elements at node k
  (for a resistor g·(|x_a| + |x_b|)) plus the magnitude of every nonlinear current, is the size of
  the terms before they cancel: the accuracy node voltages in double precision can give at best
  (rounding each node voltage by ε changes a branch current by g·ε·|x|). A circuit with a 1e-9 Ω
  segment at 1 V carrying 1 mA has a floor near 1e-4: about four digits, whatever the solver
  (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §7.1: the componentwise
  condition of a linear system).

A vector that carries no current (every device open, every input at 0 V, or lines left floating at
one potential) is solved exactly: its node currents are rounding noise of the node voltages
(max_k T_k ≤ :data:`NO_CURRENT`·ε·max_k R_k) and below :data:`ABSTOL`, and its residual and floor are
0, not a ratio of two rounding errors. The figures are formed from node voltages divided by a power
of two near their largest magnitude (exact), so that no term overflows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from memxbar.circuit.compile import Circuit
from memxbar.circuit.elements import ElementGroup
from memxbar.errors import AccuracyWarning

EPS = float(np.finfo(np.float64).eps)
"""Unit roundoff of double precision (2.2e-16)."""

ABSTOL = 1e-12
"""Absolute current error below which no solution is called inaccurate, in amperes (A): ngspice's
default ``abstol``. Without it a circuit that carries almost no current (transistors off, floating
bit lines) would be called inaccurate for rounding errors of 1e-16 A relative to its 1e-12 A."""

NO_CURRENT = 16.0
"""Node currents up to this many times ε·max_k R_k (the rounding of the largest terms) are rounding noise: with
the currents also below :data:`ABSTOL`, the vector carries no current (see the module docstring)."""

CHECK_BYTES = 64 * 2**20
"""Largest block of branch currents formed at once, in bytes."""


@dataclass(frozen=True, eq=False)
class KclCheck:
    """Accuracy of one batch of solutions, per input vector (see the module docstring)."""

    residual: np.ndarray
    """(B,) largest KCL residual at any node relative to the largest node current (dimensionless)."""
    floor: np.ndarray
    """(B,) the best relative accuracy double precision allows for this circuit and input (dimensionless)."""
    current: np.ndarray | None = None
    """(B,) the largest current through any node, in amperes (A): what the relative figures are relative
    to; None where the solver did not measure it (then :data:`ABSTOL` is not applied)."""

    def beyond(self, figure: np.ndarray, limit: float) -> np.ndarray:
        """(B,) whether a relative ``figure`` (``residual`` or ``floor``) exceeds ``limit`` and, as an
        absolute current error, :data:`ABSTOL`."""
        above = figure > limit
        return above if self.current is None else above & (figure * self.current > ABSTOL)

    def digits(self) -> np.ndarray:
        """(B,) correct significant digits the floor leaves, −log10(floor)."""
        with np.errstate(divide="ignore"):
            return -np.log10(np.maximum(self.floor, EPS))


def relative_figure(worst: float, through: float, terms: float, scale: float = 1.0) -> tuple[float, float, float]:
    """One vector's figures, as :func:`relative_figures` gives them for many (plain Python on floats, so that
    compiled solvers can compile it into their own checks: :func:`memxbar.solver.line_kernels.kcl`).

    Returns:
        (residual, floor, current): dimensionless, dimensionless, amperes (A).
    """
    current = through * scale
    if through > 0 and not (through <= NO_CURRENT * EPS * terms and current <= ABSTOL):
        return worst / through, EPS * terms / through, current
    return 0.0, 0.0, current


def relative_figures(worst: np.ndarray, through: np.ndarray, terms: np.ndarray,
                     scale: np.ndarray | float = 1.0) -> KclCheck:
    """The :class:`KclCheck` from per-vector maxima over the nodes, all in units of ``scale``.

    Args:
        worst: (B,) largest KCL residual max_k |F_k| (A / scale).
        through: (B,) largest current through a node max_k T_k (A / scale).
        terms: (B,) largest sum of term magnitudes max_k R_k (A / scale).
        scale: (B,) or scalar unit of the three, in amperes per unit (1 for amperes).

    Returns:
        The relative residual and floor (0 for a vector that carries no current, see the module docstring)
        and the largest node current in amperes (A).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        current = through * scale
        quiet = (through <= NO_CURRENT * EPS * terms) & (current <= ABSTOL)
    relative = (through > 0) & ~quiet
    residual = np.divide(worst, through, out=np.zeros_like(worst), where=relative)
    floor = np.divide(EPS * terms, through, out=np.zeros_like(terms), where=relative)
    return KclCheck(residual, floor, current)


def _branches(group: ElementGroup) -> tuple[np.ndarray, bool]:
    """(K,) conductances of a two-terminal linear group (or an empty array), and whether it has two terminals."""
    two = group.nodes.shape[1] == 2
    if two and group.linear:
        return group.conductance_stamps()[:, 0, 0], True
    return np.zeros(0), two


def check(circuit: Circuit, nodes: np.ndarray) -> KclCheck:
    """Check Kirchhoff's current law at the unknown nodes of ``circuit`` for node voltages ``nodes``
    (every node, (n_nodes, B), V), element by element; in batch chunks of bounded memory.

    Two-terminal elements are evaluated as branches (one current each, counted +i where it leaves a
    node and −i where it enters); other elements by their terminal currents.

    Returns:
        The :class:`KclCheck` per input vector.
    """
    import scipy.sparse as sp

    size, batch = nodes.shape
    n = circuit.n_unknown
    residual, floor, current = np.zeros(batch), np.zeros(batch), np.zeros(batch)
    terminals = sum(group.nodes.size for group in circuit.groups)
    step = max(1, CHECK_BYTES // (8 * max(terminals, 1)))
    plans = []
    for group in circuit.groups:
        g, two = _branches(group)
        if two:
            k = np.arange(group.size)
            rows = np.concatenate([group.nodes[:, 0], group.nodes[:, 1]])
            signs = np.concatenate([np.ones(group.size), -np.ones(group.size)])
            keep = rows < n
            signed = sp.csr_matrix((signs[keep], (rows[keep], np.concatenate([k, k])[keep])), shape=(n, group.size))
        else:
            flat = group.nodes.ravel()
            keep = flat < n
            signed = sp.csr_matrix((np.ones(int(keep.sum())), (flat[keep], np.flatnonzero(keep))),
                                   shape=(n, flat.size))
        plans.append((group, g, two, signed, abs(signed)))
    for start in range(0, batch, step):
        cols = slice(start, start + step)
        real = nodes[:, cols]
        width = real.shape[1]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            biggest = np.abs(real).max(axis=0, initial=0.0)
            scale = np.where((biggest > 0) & np.isfinite(biggest), np.exp2(np.floor(np.log2(biggest))), 1.0)
        scaled = real / scale
        f, through, terms = np.zeros((n, width)), np.zeros((n, width)), np.zeros((n, width))
        for group, g, two, signed, touches in plans:
            with np.errstate(over="ignore", invalid="ignore"):
                if two and group.linear:
                    v_a, v_b = scaled[group.nodes[:, 0]], scaled[group.nodes[:, 1]]
                    i = g[:, None] * (v_a - v_b)
                    term = g[:, None] * (np.abs(v_a) + np.abs(v_b))
                elif two:
                    i = group.current(real[group.nodes[:, 0]] - real[group.nodes[:, 1]]) / scale
                    term = np.abs(i)
                else:
                    at = scaled if group.linear else real
                    i = group.currents(at[group.nodes]).reshape(-1, width)
                    i = i if group.linear else i / scale
                    term = np.abs(i)
                f += signed @ i
                through += touches @ np.abs(i)
                terms += touches @ term
        part = relative_figures(np.abs(f).max(axis=0, initial=0.0), through.max(axis=0, initial=0.0),
                                terms.max(axis=0, initial=0.0), scale)
        residual[cols], floor[cols], current[cols] = part.residual, part.floor, part.current
    return KclCheck(residual, floor, current)


def accuracy_hint(check: KclCheck, tol: float) -> str:
    """What the rounding floor of ``check`` allows, as advice for messages."""
    floor = float(check.floor.max(initial=0.0))
    if floor <= tol:
        return "use method='direct'"
    return (f"the circuit's conditioning may leave only about {float(check.digits().min()):.0f} correct digits "
            f"(rounding floor {floor:.1e} relative): large and tiny resistances meet at a node; set resistances "
            "far below the others to 0 (an ideal wire)")


def warn_if_inaccurate(check: KclCheck, tol: float) -> None:
    """Warn (:class:`~memxbar.errors.AccuracyWarning`) if the rounding floor of ``check`` exceeds ``tol``
    (and, as a current, :data:`ABSTOL`).

    The floor bounds what double precision can promise for the circuit (see the module
    docstring); the KCL residual alone does not bound the error of an ill-conditioned circuit's
    currents (measured: residuals of 2e-11 with outputs 3e-9 apart, 1e-6 Ω segments beside 0.1 S
    devices), so the floor decides."""
    flagged = check.beyond(check.floor, tol)
    if flagged.any():
        floor = float(check.floor[flagged].max())
        digits = float(check.digits()[flagged].min())
        warnings.warn(
            f"the circuit's conditioning may leave only about {digits:.0f} correct digits of the currents, "
            f"fewer than tol={tol:g} asks (rounding floor {floor:.1e} relative; achieved KCL residual "
            f"{float(check.residual.max()):.1e}): large and tiny resistances meet at a node; set resistances "
            "far below the others to 0 (an ideal wire)",
            AccuracyWarning,
            stacklevel=3,
        )
