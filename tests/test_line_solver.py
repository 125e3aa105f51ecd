"""The matrix-free line solver (CG on the bit-line Schur complement) against known values and direct solves."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import memxbar
from memxbar.errors import ConvergenceError
from memxbar.solver import lines
from memxbar.solver.direct import choose_method, solve_linear


def test_single_device_known_current() -> None:
    # 10 Ω device between 1 Ω of word line and 2 Ω of bit line: I = 1 V / 13 Ω.
    crossbar = memxbar.Crossbar(np.array([[0.1]]), r_wl=1.0, r_bl=2.0)
    assert lines.applicable(crossbar)
    solution = solve_linear(crossbar, [1.0], method="iterative")
    assert solution.method == "iterative"
    assert solution.output_currents[0] == pytest.approx(1 / 13, rel=1e-12)
    assert solution.wl_voltages[0, 0] == pytest.approx(12 / 13, rel=1e-12)
    assert solution.bl_voltages[0, 0] == pytest.approx(2 / 13, rel=1e-12)


def _crossbar(rng: np.random.Generator, m: int, n: int) -> memxbar.Crossbar:
    g = rng.uniform(1e-6, 1e-3, (m, n))
    g[rng.random((m, n)) < 0.2] = 0.0  # open devices
    return memxbar.Crossbar(g, r_wl=rng.uniform(0.5, 3.0, (m, n)), r_bl=rng.uniform(0.5, 3.0, (m, n)),
                            r_driver=rng.uniform(0, 5, m), r_sense=rng.uniform(0, 5, n))


@pytest.mark.parametrize("shape", [(1, 7), (7, 1), (23, 17)])
def test_every_node_agrees_with_direct(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    crossbar = _crossbar(rng, *shape)
    v = rng.uniform(-0.5, 0.5, (shape[0], 4))
    v[:, 2] = 0.0  # a zero vector in the batch
    direct = solve_linear(crossbar, v, method="direct")
    cg = solve_linear(crossbar, v, method="iterative", tol=1e-12)
    scale = np.abs(v).max()
    for name in ("wl_voltages", "bl_voltages"):
        assert np.abs(getattr(cg, name) - getattr(direct, name)).max() < 1e-10 * scale
    assert np.abs(cg.output_currents - direct.output_currents).max() < 1e-10 * np.abs(direct.output_currents).max()
    assert np.all(cg.output_currents[:, 2] == 0) and np.all(cg.wl_voltages[..., 2] == 0)
    outputs = solve_linear(crossbar, v, method="iterative", outputs_only=True, tol=1e-12)
    np.testing.assert_allclose(outputs.power_total, direct.power_total, rtol=1e-9)


def test_tolerance_is_met_where_ir_drop_is_severe() -> None:
    # Large devices on long resistive lines: outputs fall far below G^T V, and CG needs many iterations.
    rng = np.random.default_rng(5)
    crossbar = memxbar.Crossbar(rng.uniform(1e-3, 3e-3, (60, 60)), r_wl=2.5, r_bl=2.5)
    v = rng.uniform(0, 0.5, 60)
    direct = solve_linear(crossbar, v, method="direct")
    assert np.abs(direct.relative_deviation).max() > 0.5
    for tol in (1e-6, 1e-10):
        cg = solve_linear(crossbar, v, method="iterative", tol=tol)
        error = np.abs(cg.output_currents - direct.output_currents).max() / np.abs(direct.output_currents).max()
        assert error < tol
    with pytest.raises(ConvergenceError, match="within maxiter=3 iterations for 1 of 1 input"):
        solve_linear(crossbar, v, method="iterative", maxiter=3)


def test_convergence_error_counts_every_failing_vector_of_a_batch() -> None:
    """A batch spans several blocks (2 vectors each at 60×60): each vector is tried, and the message counts
    those that failed in every block, not only in the first failing one. Zero inputs converge at once (their
    solution is 0); the 7 others, under severe IR drop, cannot in 3 iterations."""
    rng = np.random.default_rng(5)
    crossbar = memxbar.Crossbar(rng.uniform(1e-3, 3e-3, (60, 60)), r_wl=2.5, r_bl=2.5)
    assert lines.block_vectors(crossbar.conductances.size) == 2
    v = rng.uniform(0.1, 0.5, (60, 9))
    v[:, [0, 5]] = 0.0
    for outputs_only in (False, True):
        with pytest.raises(ConvergenceError, match="for 7 of 9 input vector"):
            solve_linear(crossbar, v, method="iterative", maxiter=3, outputs_only=outputs_only)


def test_auto_uses_cg_on_small_arrays_and_not_for_outputs_of_large_batches_on_large_ones() -> None:
    rng = np.random.default_rng(6)
    crossbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (64, 64)), r_wl=1.0, r_bl=1.0)
    assert choose_method(crossbar, 1, outputs_only=False) == "iterative"
    assert choose_method(crossbar, 1, outputs_only=True) == "iterative"
    # Measured at 64×64 with 100 inputs: CG 28 ms, effective weights 54 ms, direct 0.18 s.
    assert choose_method(crossbar, 100, outputs_only=True) == "iterative"
    # 512×512 with 100 inputs, 1–100 µS, 1 Ω (benchmark): CG on two threads 1.7 s, effective weights 2.9 s.
    large = memxbar.Crossbar(np.full((512, 512), 5e-5), r_wl=1.0, r_bl=1.0)
    assert choose_method(large, 100, outputs_only=True) == "iterative"
    # Severe IR drop (500 µS, 2.5 Ω): the model expects ~36 CG iterations instead of ~11, and the weights win.
    severe = memxbar.Crossbar(np.full((512, 512), 5e-4), r_wl=2.5, r_bl=2.5)
    assert choose_method(severe, 100, outputs_only=True) in ("weights", "direct")
    ideal_lines = memxbar.Crossbar(crossbar.conductances, r_wl=0.0, r_bl=1.0)
    assert not lines.applicable(ideal_lines)
    assert choose_method(ideal_lines, 1, outputs_only=False) == "direct"


def test_every_output_current_meets_tol_relative_to_itself() -> None:
    # Long, resistive word lines: the far bit lines' output currents are many times smaller than the
    # near ones', so an error small relative to the largest output can be large relative to them.
    rng = np.random.default_rng(7)
    crossbar = memxbar.Crossbar(rng.uniform(2e-4, 1e-3, (24, 300)), r_wl=2.0, r_bl=0.5)
    v = rng.uniform(0.1, 0.5, (24, 3))
    direct = solve_linear(crossbar, v, method="direct", outputs_only=True)
    spread = np.abs(direct.output_currents).max(axis=0) / np.abs(direct.output_currents).min(axis=0)
    assert spread.min() > 20
    for tol in (1e-5, 1e-7, 1e-9):
        cg = solve_linear(crossbar, v, method="iterative", outputs_only=True, tol=tol)
        error = np.abs(cg.output_currents - direct.output_currents) / np.abs(direct.output_currents)
        assert error.max() <= tol


def test_line_form_kcl_residual_is_the_circuit_check() -> None:
    """The line solver's own KCL figure equals accuracy.check on the compiled circuit, for a solution with a
    known defect (one word-line node moved by 1 µV: its residual is that of the branches around it)."""
    from memxbar.solver.accuracy import check
    from memxbar.solver.line_kernels import kcl

    rng = np.random.default_rng(8)
    crossbar = memxbar.Crossbar(rng.uniform(1e-5, 1e-3, (9, 7)), r_wl=2.0, r_bl=3.0, r_driver=5.0, r_sense=4.0)
    v = rng.uniform(0.1, 0.5, (9, 2))
    solution = solve_linear(crossbar, v, method="iterative", tol=1e-12)
    nodes = solution.node_voltages.copy()
    circuit = solution.circuit
    nodes[circuit.w_node[4, 3], 1] += 1e-6
    system = lines.LineSystem.build(crossbar)
    w = np.ascontiguousarray(nodes[circuit.w_node].transpose(2, 0, 1))
    b = np.ascontiguousarray(nodes[circuit.b_node].transpose(2, 0, 1))
    out, i_in, i_out = np.empty((3, 2)), np.empty((2, 9)), np.empty((2, 7))
    kcl(system.g, system.gw, system.hb, np.ascontiguousarray(v.T), w, b, out, i_in, i_out, 1.0)
    ours = out[0]
    theirs = check(circuit, nodes).residual
    assert ours[0] < 1e-12 and theirs[0] < 1e-12
    assert ours[1] > 1e-6
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    np.testing.assert_allclose(solution.kcl_residual, solution.kcl_check.residual, atol=1e-12)


def _factor(diagonal: np.ndarray, off: np.ndarray, along: str) -> tuple[int, np.ndarray, np.ndarray]:
    """The line kernels' L·D·Lᵀ factors of every word line (rows) or bit line (columns), as LineSystem.build
    makes them: (failed, reciprocal pivots, multipliers), the off-diagonal padded to one row or column."""
    from memxbar.solver.tridiagonal import factor_columns, factor_rows

    m, n = diagonal.shape
    padded = np.zeros((m, max(n - 1, 1)) if along == "rows" else (max(m - 1, 1), n))
    padded[: off.shape[0], : off.shape[1]] = off
    inverse, lower = np.empty((m, n)), np.zeros_like(padded)
    failed = (factor_rows if along == "rows" else factor_columns)(diagonal, padded, inverse, lower)
    return failed, inverse, lower


@pytest.mark.parametrize("along", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (6, 1), (5, 7), (9, 4)])
def test_line_factors_solve_each_line_exactly(along: str, shape: tuple[int, int]) -> None:
    """Every word line (rows) or bit line (columns) of a (K, M, N) right-hand side against a dense solve
    of that line's own tridiagonal matrix."""
    from memxbar.solver.tridiagonal import solve_columns, solve_rows

    rng = np.random.default_rng(11)
    m, n = shape
    off_shape = (m, n - 1) if along == "rows" else (m - 1, n)
    off = -rng.uniform(0.1, 1.0, off_shape)
    diagonal = rng.uniform(2.1, 3.0, shape)
    rhs = rng.normal(size=(3, m, n))
    failed, inverse, lower = _factor(diagonal, off, along)
    assert failed == 0
    x = rhs.copy()
    (solve_rows if along == "rows" else solve_columns)(inverse, lower, x)
    for k in range(3):
        for line in range(m if along == "rows" else n):
            if along == "rows":
                a = np.diag(diagonal[line]) + np.diag(off[line], 1) + np.diag(off[line], -1)
                np.testing.assert_allclose(x[k, line], np.linalg.solve(a, rhs[k, line]), rtol=1e-13, atol=1e-14)
            else:
                a = np.diag(diagonal[:, line]) + np.diag(off[:, line], 1) + np.diag(off[:, line], -1)
                np.testing.assert_allclose(x[k, :, line], np.linalg.solve(a, rhs[k, :, line]), rtol=1e-13,
                                           atol=1e-14)


@pytest.mark.parametrize(("along", "first_bad"), [("rows", 1), ("columns", 3)])
def test_line_factor_refuses_a_matrix_that_is_not_positive_definite(along: str, first_bad: int) -> None:
    diagonal = np.full((3, 3), 1.0)
    off = np.full((3, 2) if along == "rows" else (2, 3), -1.0)  # [[1, -1], [-1, 1]] is singular
    # 1 + the flat index of the first pivot that is not positive (the second node of the first line).
    assert _factor(diagonal, off, along)[0] == first_bad + 1


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (2, 3), (13, 5)])
def test_line_solver_on_thin_arrays_matches_the_direct_solve(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(12)
    crossbar = memxbar.Crossbar(rng.uniform(1e-4, 1e-2, shape), r_wl=2.0, r_bl=3.0, r_driver=1.0, r_sense=0.5)
    v = rng.uniform(0.0, 0.5, (shape[0], 3))
    cg = solve_linear(crossbar, v, method="iterative", tol=1e-12)
    direct = solve_linear(crossbar, v, method="direct")
    np.testing.assert_allclose(cg.output_currents, direct.output_currents, rtol=1e-11)
    np.testing.assert_allclose(cg.input_currents, direct.input_currents, rtol=1e-11)
    np.testing.assert_allclose(cg.node_voltages, direct.node_voltages, rtol=1e-11, atol=1e-14)


def test_line_solver_warns_where_a_near_short_leaves_few_digits() -> None:
    """A 1e-11 Ω word-line segment beside 1 Ω ones (found by a new-user test): CG's estimate stops early and
    the currents are 4e-7 off the same circuit with that segment an ideal wire, so the solution must say
    that the circuit's conditioning leaves few digits, as the direct method does."""
    from memxbar.errors import AccuracyWarning

    rng = np.random.default_rng(6)
    g, v = rng.uniform(1e-6, 1e-4, (16, 16)), rng.uniform(0, 0.5, 16)
    r_wl = np.ones((16, 16))
    r_wl[7, 9] = 1e-11
    with pytest.warns(AccuracyWarning, match="correct digits"):
        solution = memxbar.simulate(memxbar.Crossbar(g, r_wl=r_wl, r_bl=1.0), v, method="iterative")
    assert solution.method == "iterative"
    plain = memxbar.Crossbar(g, r_wl=np.ones((16, 16)), r_bl=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        memxbar.simulate(plain, v, method="iterative")


@pytest.mark.parametrize("outputs_only", [True, False])
def test_batch_split_over_threads_equals_each_vector_alone(outputs_only: bool) -> None:
    """A batch large enough to be split over the cores (threads.PARALLEL_WORK_FROM) gives, vector by vector,
    what each vector solved alone gives, and the direct solve's currents."""
    from memxbar.solver.threads import PARALLEL_WORK_FROM

    rng = np.random.default_rng(21)
    crossbar = _crossbar(rng, 24, 20)
    batch = -(-PARALLEL_WORK_FROM // crossbar.conductances.size) + 3
    v = rng.uniform(0.0, 0.4, (24, batch))
    together = solve_linear(crossbar, v, method="iterative", outputs_only=outputs_only)
    direct = solve_linear(crossbar, v, method="direct", outputs_only=True)
    # Each output current to tol relative to itself (or to lines.OUTPUT_FLOOR of its vector's largest where
    # smaller); input currents, sums of device currents, to tol relative to their vector's largest.
    exact = direct.output_currents
    scale = np.maximum(np.abs(exact), lines.OUTPUT_FLOOR * np.abs(exact).max(axis=0))
    assert (np.abs(together.output_currents - exact) / scale).max() <= 1e-9
    exact = direct.input_currents
    assert (np.abs(together.input_currents - exact) / np.abs(exact).max(axis=0)).max() <= 1e-9
    for k in (0, batch // 2, batch - 1):
        alone = solve_linear(crossbar, v[:, k], method="iterative", outputs_only=outputs_only)
        np.testing.assert_array_equal(together.output_currents[:, k], alone.output_currents)
        if not outputs_only:
            np.testing.assert_array_equal(together.node_voltages[:, k], alone.node_voltages[:, 0])


def test_inputs_far_below_a_volt_are_solved_not_stalled() -> None:
    """Inputs of 1e-160 V stalled CG (its inner products, squares of currents, underflowed) and raised a
    ConvergenceError advising more iterations (a new-user test): the circuit is linear, so the currents are
    those of the same inputs at volts, times 1e-160."""
    rng = np.random.default_rng(11)
    crossbar = memxbar.Crossbar(rng.uniform(1e-5, 1e-4, (32, 24)), r_wl=2.0, r_bl=2.0)
    v = rng.uniform(0.1, 0.3, (32, 3))
    volts = solve_linear(crossbar, v, method="direct")
    for factor in (1e-160, 1e-300):
        for outputs_only in (False, True):
            tiny = solve_linear(crossbar, v * factor, method="iterative", outputs_only=outputs_only)
            np.testing.assert_allclose(tiny.output_currents / factor, volts.output_currents, rtol=1e-10)
            np.testing.assert_allclose(tiny.input_currents / factor, volts.input_currents, rtol=1e-10)
            assert tiny.kcl_residual.max() < 1e-12
    wl = solve_linear(crossbar, v * 1e-160, method="iterative").wl_voltages
    np.testing.assert_allclose(wl / 1e-160, volts.wl_voltages, rtol=1e-10)


def test_a_tolerance_below_the_circuits_rounding_floor_is_named_when_cg_stops_short() -> None:
    """1e-9 Ω segments beside 1 MΩ ones leave about one digit: where CG stops short, it says that the floor is
    above tol, not only that it ran out of iterations (given enough, it stops at the floor and warns)."""
    r = np.full((6, 6), 1e-9)
    r[:, ::2] = 1e6
    crossbar = memxbar.Crossbar(np.full((6, 6), 1e-3), r_wl=r, r_bl=r.T.copy())
    with pytest.raises(ConvergenceError, match=r"rounding floor, .* is above tol: raise tol"):
        solve_linear(crossbar, np.full(6, 0.5), method="iterative", tol=1e-12, maxiter=1)
