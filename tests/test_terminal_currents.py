"""Terminal currents keep their digits at extreme resistances: each terminal's current comes from Ohm's law
or Kirchhoff's law, whichever rounds less (:mod:`memxbar.solver.ports`), checked against the nodal equations
written here from the crossbar's specification and solved in 50-digit arithmetic."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

import memxbar
from memxbar.circuit.compile import compile_circuit
from memxbar.solution import terminal_currents_from_nodes


def exact_solution(xbar: memxbar.Crossbar, v: np.ndarray, bl: float = 0.0) -> tuple[np.ndarray, np.ndarray, dict]:
    """(M,) input and (N,) output currents (A) of a crossbar whose line segments are all > 0 Ω, by nodal
    analysis in 50-digit arithmetic, and the voltage of every node (V): driver nodes ("D", i), word-line nodes
    ("W", i, j), bit-line nodes ("B", i, j), sense nodes ("S", j), terminals ("V", i) and ("T", j). The inputs
    are (V_i − D_i)/r_driver, the outputs (S_j − T_j)/r_sense; where these are 0 Ω, the currents of the first
    word-line and the last bit-line segment."""
    mpmath.mp.dps = 50
    m, n = xbar.shape
    mpf = mpmath.mpf
    known = {("V", i): mpf(v[i]) for i in range(m)} | {("T", j): mpf(bl) for j in range(n)}
    known |= {("D", i): mpf(v[i]) for i in range(m) if xbar.r_driver[i] == 0}
    known |= {("S", j): mpf(bl) for j in range(n) if xbar.r_sense[j] == 0}
    branches = []
    for i in range(m):
        if xbar.r_driver[i]:
            branches.append((("V", i), ("D", i), 1 / mpf(xbar.r_driver[i])))
        for j in range(n):
            branches.append((("D", i) if j == 0 else ("W", i, j - 1), ("W", i, j), 1 / mpf(xbar.r_wl[i, j])))
            branches.append((("W", i, j), ("B", i, j), mpf(xbar.conductances[i, j])))
            below = ("S", j) if i == m - 1 else ("B", i + 1, j)
            branches.append((("B", i, j), below, 1 / mpf(xbar.r_bl[i, j])))
    for j in range(n):
        if xbar.r_sense[j]:
            branches.append((("S", j), ("T", j), 1 / mpf(xbar.r_sense[j])))
    index: dict[tuple, int] = {}
    for a, b, _ in branches:
        for node in (a, b):
            if node not in known:
                index.setdefault(node, len(index))
    a_mat, rhs = mpmath.zeros(len(index), len(index)), mpmath.zeros(len(index), 1)
    for a, b, g in branches:
        for here, there in ((a, b), (b, a)):
            if here in known:
                continue
            a_mat[index[here], index[here]] += g
            if there in known:
                rhs[index[here]] += g * known[there]
            else:
                a_mat[index[here], index[there]] -= g
    x = mpmath.lu_solve(a_mat, rhs)

    def voltage(node: tuple) -> mpmath.mpf:
        return known[node] if node in known else x[index[node]]

    def current(a: tuple, b: tuple, r: float) -> mpmath.mpf:
        return (voltage(a) - voltage(b)) / mpf(r)

    i_in = [current(("V", i), ("D", i), xbar.r_driver[i]) if xbar.r_driver[i]
            else current(("D", i), ("W", i, 0), xbar.r_wl[i, 0]) for i in range(m)]
    i_out = [current(("S", j), ("T", j), xbar.r_sense[j]) if xbar.r_sense[j]
             else current(("B", m - 1, j), ("S", j), xbar.r_bl[m - 1, j]) for j in range(n)]
    voltages = {node: float(voltage(node)) for node in (*index, *known)}
    return np.array(i_in, dtype=float), np.array(i_out, dtype=float), voltages


def exact_currents(xbar: memxbar.Crossbar, v: np.ndarray, bl: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(M,) input and (N,) output currents (A) of :func:`exact_solution`."""
    return exact_solution(xbar, v, bl)[:2]


def circuit_nodes(circuit, voltages: dict) -> np.ndarray:
    """(n_nodes, 1) node voltages of a compiled circuit (every resistance > 0) from :func:`exact_solution`'s."""
    m, n = circuit.shape
    nodes = np.full((circuit.n_nodes, 1), np.nan)
    for i in range(m):
        nodes[circuit.wl_node[i, 0]] = voltages["V", i]
        nodes[circuit.wl_node[i, 1]] = voltages["D", i]
        for j in range(n):
            nodes[circuit.w_node[i, j]] = voltages["W", i, j]
            nodes[circuit.b_node[i, j]] = voltages["B", i, j]
    for j in range(n):
        nodes[circuit.bl_node[j, m]] = voltages["S", j]
        nodes[circuit.bl_node[j, m + 1]] = voltages["T", j]
    assert not np.isnan(nodes).any()
    return nodes


def relative_error(value: np.ndarray, exact: np.ndarray) -> float:
    return float(np.max(np.abs(value - exact) / np.abs(exact)))


@pytest.mark.parametrize("method", ["direct", "weights"])
def test_outputs_only_currents_keep_their_digits_with_tiny_segments(method):
    """1e-4 Ω segments, driver and sense resistances: the drop V − W_0 across the first segment is ~1e-8 of V,
    so Ohm's law across it gave the input currents to 1e-8; Kirchhoff's law along the line keeps them (and the
    output currents, whose sense drop is tiny against the bit lines' 0.3 V)."""
    rng = np.random.default_rng(11)
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (3, 4)), r_wl=1e-4, r_bl=1e-4, r_driver=1e-4, r_sense=1e-4)
    v = rng.uniform(0.4, 1.0, 3)
    i_in, i_out = exact_currents(xbar, v, bl=0.3)
    solution = memxbar.simulate(xbar, v, bl_voltages=0.3, outputs_only=True, method=method)
    assert relative_error(solution.input_currents, i_in) < 1e-13
    assert relative_error(solution.output_currents, i_out) < 1e-13
    power = float(v @ i_in - 0.3 * i_out.sum())
    assert solution.power_total == pytest.approx(power, rel=1e-12)


def test_full_solution_output_currents_keep_their_digits_with_a_huge_sense_resistance():
    """r_sense = 1 MΩ against 1 mS devices: each bit line sits near its word lines' voltages, the device
    currents summed by Kirchhoff's law nearly cancel (4e-10 off), Ohm's law across the sense resistance is
    accurate."""
    rng = np.random.default_rng(2)
    xbar = memxbar.Crossbar(rng.uniform(5e-4, 1e-3, (4, 4)), r_wl=1.0, r_bl=1.0, r_driver=1.0, r_sense=1e6)
    v = rng.uniform(0.1, 1.0, 4)
    i_in, i_out = exact_currents(xbar, v)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solution = memxbar.simulate(xbar, v, method="direct")
    assert relative_error(solution.output_currents, i_out) < 1e-11
    assert relative_error(solution.input_currents, i_in) < 1e-11


@pytest.mark.parametrize("case", ["tiny segments", "huge sense"])
def test_currents_from_node_voltages_take_the_formula_that_rounds_less(case):
    """Terminal currents from node voltages (the Newton and ngspice backends' full solutions) given the exact
    node voltages rounded to double precision: Ohm's law across a 1e-4 Ω segment, or Kirchhoff's law along a
    bit line whose 1 mS devices face a 1 GΩ sense resistance (device drops of a few µV), would lose about 7 or
    5 digits; the better formula keeps nearly all."""
    rng = np.random.default_rng(3)
    if case == "tiny segments":
        xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (3, 4)), r_wl=1e-4, r_bl=1e-4, r_driver=1e-4, r_sense=1e-4)
    else:
        xbar = memxbar.Crossbar(rng.uniform(5e-4, 1e-3, (3, 4)), r_wl=1.0, r_bl=1.0, r_driver=1.0, r_sense=1e9)
    v = rng.uniform(0.4, 1.0, 3)
    i_in, i_out, voltages = exact_solution(xbar, v, bl=0.3)
    circuit = compile_circuit(xbar)
    nodes = circuit_nodes(circuit, voltages)
    from_nodes = terminal_currents_from_nodes(circuit, np.repeat(nodes, 2, axis=1))
    for value, exact in zip(from_nodes, (i_in, i_out), strict=True):
        assert value.shape == (exact.size, 2)
        assert relative_error(value[:, 0], exact) < 1e-13
        np.testing.assert_array_equal(value[:, 0], value[:, 1])


def test_compare_names_no_backend_when_both_are_as_accurate_as_rounding_allows():
    """1e-9 Ω word-line and 1 MΩ bit-line segments: both backends' outputs are within 1e-15 of the 50-digit
    answer, but KCL at the word-line nodes, whose 1e9 S segments carry 1e-7 A, cannot be checked to better than
    a few per cent in double precision (residuals 0.03–0.08 within floors 0.1–0.4); ngspice was called
    inaccurate for a residual inside its rounding floor."""
    rng = np.random.default_rng(0)
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (4, 4)), r_wl=1e-9, r_bl=1e6)
    v = rng.uniform(0.0, 0.5, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", memxbar.errors.AccuracyWarning)
        comparison = memxbar.compare(xbar, v)
    _, i_out = exact_currents(xbar, v)
    for solution in (comparison.fast, comparison.spice):
        assert relative_error(solution.output_currents, i_out) < 1e-14
        assert 1e-9 < solution.kcl_residual < solution.kcl_check.floor[0]
    assert comparison.inaccurate_backend is None
