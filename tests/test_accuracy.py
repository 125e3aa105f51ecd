"""Achieved accuracy (relative KCL residual) on every solution, honest warnings, batched = per-vector Newton."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

import memxbar
from memxbar.devices import get_model
from memxbar.errors import AccuracyWarning
from memxbar.solver import newton
from memxbar.solver.direct import CrossbarSystem


@pytest.mark.parametrize("device", [get_model("sinh", v0=0.1), get_model("power-law", n=3.0)], ids=repr)
def test_batched_newton_krylov_equals_per_vector_newton(rng, device):
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (12, 9)), r_wl=2.0, r_bl=3.0, r_driver=1.0, device=device)
    v = rng.uniform(-0.6, 0.6, (12, 7))
    v[:, 3] = 0.0
    batched = newton.newton_solve(xbar, v, batched=True)
    single = newton.newton_solve(xbar, v, batched=False)
    assert set(batched.method) == {"batched"} and set(single.method) == {"newton"}
    assert np.all(batched.residual <= newton.TOL) and np.all(single.residual <= newton.TOL)
    np.testing.assert_allclose(batched.unknown, single.unknown, rtol=0, atol=1e-12)
    outputs = memxbar.simulate(xbar, v, outputs_only=True)
    full = memxbar.simulate(xbar, v)
    assert outputs.wl_voltages is None and outputs.method == "newton"
    np.testing.assert_allclose(outputs.output_currents, full.output_currents, rtol=1e-11, atol=1e-18)
    np.testing.assert_allclose(outputs.input_currents, full.input_currents, rtol=1e-11, atol=1e-18)


def test_every_solution_carries_its_kcl_residual(rng):
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (10, 8)), r_wl=2.5, r_bl=2.5, r_driver=4.0, r_sense=3.0)
    v = rng.uniform(0, 0.5, (10, 3))
    for options in ({}, {"method": "iterative"}, {"outputs_only": True}):
        assert np.all(memxbar.simulate(xbar, v, **options).kcl_residual < 1e-11)
    spice = memxbar.simulate(xbar, v[:, 0], "spice")
    assert 0 < spice.kcl_residual < 1e-8
    assert memxbar.simulate(xbar, v, outputs_only=True, method="weights").kcl_residual is None


def ill_conditioned() -> memxbar.Crossbar:
    rng = np.random.default_rng(5)
    r_wl = np.where(rng.random((6, 6)) < 0.5, 1e-9, 1e6)
    r_bl = np.where(rng.random((6, 6)) < 0.5, 1e-9, 1e6)
    return memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (6, 6)), r_wl=r_wl, r_bl=r_bl)


def exact_outputs(xbar: memxbar.Crossbar, v: np.ndarray) -> np.ndarray:
    """Output currents from the nodal equations solved in 50-digit arithmetic."""
    mpmath.mp.dps = 50
    system = CrossbarSystem.build(xbar)
    u = system.circuit.known_voltages(v[:, None], np.zeros((xbar.cols, 1)), None)[:, 0]
    a, s = system.a, system.s
    x = mpmath.lu_solve(mpmath.matrix(a.toarray().tolist()), mpmath.matrix((-(s @ u)).tolist()))
    out_x, out_v = system.ports.out_x.toarray(), system.ports.out_v.toarray()
    return np.array([float(sum(mpmath.mpf(out_x[j, k]) * x[k] for k in range(len(x)))
                           + sum(mpmath.mpf(out_v[j, i]) * mpmath.mpf(u[i]) for i in range(len(u))))
                     for j in range(out_x.shape[0])])


def test_conditioning_that_leaves_few_digits_is_said_not_hidden():
    xbar = ill_conditioned()
    v = np.random.default_rng(6).uniform(0, 1, 6)
    exact = exact_outputs(xbar, v)
    with pytest.warns(AccuracyWarning, match=r"leave only about \d correct digits .* set resistances far below"):
        fast = memxbar.simulate(xbar, v)
    error = np.abs(fast.output_currents - exact).max() / np.abs(exact).max()
    assert error > 1e-6  # the reason for the warning: the answer really is off
    assert fast.kcl_residual > 1e-6  # and the solution's own figure says so
    # Conjugate gradients stop at the same rounding floor and say so in the same words (their residual, formed
    # from branch voltage differences, is as accurate as the solution can be).
    with pytest.warns(AccuracyWarning, match=r"leave only about \d correct digits .* set resistances far below"):
        cg = memxbar.simulate(xbar, v, method="iterative")
    assert cg.kcl_residual > 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        comparison = memxbar.compare(xbar, v)
    # Both backends are off by ~5 % with residuals inside the rounding floor: the conditioning is to blame (the
    # warning above says so), not one backend.
    assert comparison.inaccurate_backend is None
    for solution in (comparison.fast, comparison.spice):
        assert 1e-6 < solution.kcl_residual < solution.kcl_check.floor[0]


def test_well_conditioned_solutions_do_not_warn(rng):
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (16, 16)), r_wl=1.0, r_bl=1.0, device="sinh")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccuracyWarning)
        memxbar.simulate(xbar, rng.uniform(0, 0.5, (16, 5)))
        memxbar.simulate(xbar.__class__(xbar.conductances, r_wl=1.0, r_bl=1.0), rng.uniform(0, 0.5, 16))


def test_the_cli_says_how_many_digits_are_left_in_one_line(tmp_path):
    from click.testing import CliRunner

    from memxbar.cli import main

    xbar = ill_conditioned()
    np.save(tmp_path / "g.npy", xbar.conductances)
    np.save(tmp_path / "rwl.npy", xbar.r_wl)
    np.save(tmp_path / "rbl.npy", xbar.r_bl)
    result = CliRunner().invoke(main, ["simulate", "--conductances", str(tmp_path / "g.npy"), "--r-wl",
                                       str(tmp_path / "rwl.npy"), "--r-bl", str(tmp_path / "rbl.npy")])
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert len(lines) == 1 and "correct digits" in lines[0]


def test_a_circuit_that_carries_almost_no_current_is_not_called_inaccurate():
    """Transistors off (1T1R, gates at 0 V: only ngspice's GMIN, 1e-12 S, conducts) and bit lines left
    open (no current at all): the rounding of 1e-16 A is below ngspice's abstol, so neither a warning
    nor a verdict that a backend is inaccurate; both backends give the same currents."""
    import warnings

    import memxbar
    from memxbar.errors import AccuracyWarning

    crossbar = memxbar.Crossbar(np.full((4, 4), 1e-4), r_wl=1.0, r_bl=1.0, cell="1t1r")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccuracyWarning)
        comparison = memxbar.compare(crossbar, np.full(4, 0.5), gate_voltages=0.0)
        plain = memxbar.Crossbar(np.full((3, 3), 1e-4), r_wl=1.0, r_bl=1.0)
        memxbar.simulate(plain, np.ones(3), floating_bl=np.ones(3, bool))
    assert comparison.inaccurate_backend is None
    np.testing.assert_allclose(comparison.fast.output_currents, comparison.spice.output_currents, rtol=1e-6,
                               atol=1e-15)


NO_CURRENT_CASES = {
    "open devices": ({"conductances": np.zeros((4, 3))}, {"voltages": np.array([0.3, 0.5, 0.1, 0.2])}),
    "inputs at 0 V": ({}, {"voltages": np.zeros(4)}),
    "bit lines floating": ({}, {"voltages": np.full(4, 0.4), "floating_bl": np.ones(3, bool)}),
    "word lines floating": ({}, {"voltages": np.zeros(4), "floating_wl": np.ones(4, bool), "bl_voltages": 0.2}),
}


@pytest.mark.parametrize("method", ["auto", "direct", "iterative"])
@pytest.mark.parametrize("case", NO_CURRENT_CASES)
def test_a_circuit_without_current_is_solved_exactly(case, method):
    """No current flows (every device open, every input at 0 V, or lines left floating at one potential): the
    node currents are rounding noise of the node voltages, so the relative KCL residual is 0 (not a ratio of
    two rounding errors, which came out 0.25–1), with no warning; the terminal currents are 0 up to rounding
    (floating word lines settle to the bit lines' 0.2 V through 1e-4 S devices against 1 S segments: ~1e-12 of
    the 2e-5 A a device would carry)."""
    spec, bias = NO_CURRENT_CASES[case]
    spec = {"conductances": np.random.default_rng(4).uniform(1e-6, 1e-4, (4, 3)), "r_wl": 1.0, "r_bl": 2.0} | spec
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccuracyWarning)
        solution = memxbar.simulate(memxbar.Crossbar(**spec), method=method, **bias)
    assert solution.kcl_residual == 0.0
    assert solution.kcl_check.floor[0] == 0.0
    assert np.all(np.abs(np.nan_to_num(solution.output_currents)) < 1e-15)


def test_the_kcl_check_does_not_overflow_at_huge_voltages():
    """The check forms its terms from node voltages scaled by a power of two: a linear circuit's solution
    times 2^1015 (still an exact solution) has the same relative residual and floor, where g·(|x_a| + |x_b|)
    with 1e-3 Ω segments overflowed to inf."""
    from memxbar.solver.accuracy import check

    rng = np.random.default_rng(9)
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (3, 3)), r_wl=1e-3, r_bl=1e-3, r_driver=1.0)
    solution = memxbar.simulate(xbar, rng.uniform(0.1, 1.0, (3, 2)), method="direct")
    plain = check(solution.circuit, solution.node_voltages)
    huge = check(solution.circuit, solution.node_voltages * 2.0**1015)
    np.testing.assert_array_equal(huge.residual, plain.residual)
    np.testing.assert_array_equal(huge.floor, plain.floor)
    assert np.all(np.isfinite(huge.residual)) and np.all(np.isfinite(huge.floor)) and np.all(huge.current > 0)


def test_one_vectors_figures_compiled_or_not_are_the_batch_figures():
    """accuracy.relative_figure (plain, and compiled into the line solver's KCL kernel) gives what
    relative_figures gives vector by vector: an ordinary vector, one that carries no current (rounding noise
    below ABSTOL: 0, 0), one with no current at all, a current that overflows, and a NaN."""
    from memxbar.solver.accuracy import ABSTOL, EPS, relative_figure, relative_figures
    from memxbar.solver.line_kernels import _relative_figure

    worst = np.array([1e-15, 1e-30, 0.0, 1.0, np.nan])
    through = np.array([1e-3, 2e-28, 0.0, 1e300, 1e-3])
    terms = np.array([2e-3, 1.0, 0.0, 2e300, 1e-3])
    scale = np.array([1.0, 1.0, 1.0, 1e10, 1.0])
    batch = relative_figures(worst, through, terms, scale)
    assert 2e-28 <= 16 * EPS * 1.0 and 2e-28 <= ABSTOL
    assert batch.residual[1] == 0 and batch.current[3] == np.inf
    for k in range(worst.size):
        expected = (batch.residual[k], batch.floor[k], batch.current[k])
        for figure in (relative_figure, _relative_figure):
            given = (float(worst[k]), float(through[k]), float(terms[k]), float(scale[k]))
            np.testing.assert_array_equal(figure(*given), expected)
    np.testing.assert_allclose([batch.residual[0], batch.floor[0]], [1e-12, 2 * EPS])
