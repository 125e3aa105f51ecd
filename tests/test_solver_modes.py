"""Every method of the fast solver agrees with a direct sparse solve, and with ngspice."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

import memxbar
from memxbar.cli import main
from memxbar.compare import relative_errors
from memxbar.devices import get_model
from memxbar.errors import ConvergenceError, InputError, NotComputedError
from memxbar.solver import direct, nodal
from memxbar.solver.direct import CrossbarSystem, solve_linear
from memxbar.solver.linalg import factorize, pardiso_available, reduced_couplings
from memxbar.solver.ordering import nested_dissection

AGREE = 1e-9


def _with_zeros(rng: np.random.Generator, shape: tuple[int, ...], fraction: float) -> np.ndarray:
    values = rng.uniform(0.5, 3.0, shape)
    values[rng.random(shape) < fraction] = 0.0
    return values


def _crossbar(rng: np.random.Generator, case: str, m: int = 9, n: int = 7) -> memxbar.Crossbar:
    g = rng.uniform(1e-6, 1e-4, (m, n))
    if case == "uniform":
        return memxbar.Crossbar(g, r_wl=1.0, r_bl=2.5)
    if case == "open devices":
        g[rng.random((m, n)) < 0.3] = 0.0
        g[:, 2] = 0.0
        return memxbar.Crossbar(g, r_wl=1.0, r_bl=1.0)
    if case == "per-segment with zeros":
        return memxbar.Crossbar(g, r_wl=_with_zeros(rng, (m, n), 0.3), r_bl=_with_zeros(rng, (m, n), 0.3))
    if case == "driver and sense":
        return memxbar.Crossbar(g, r_wl=1.5, r_bl=0.5, r_driver=rng.uniform(1, 20, m), r_sense=rng.uniform(1, 20, n))
    if case == "ideal word lines":
        return memxbar.Crossbar(g, r_wl=0.0, r_bl=2.0, r_sense=_with_zeros(rng, (n,), 0.5))
    if case == "ideal bit lines":
        return memxbar.Crossbar(g, r_wl=2.0, r_bl=0.0, r_driver=_with_zeros(rng, (m,), 0.5))
    raise AssertionError(case)


CASES = ["uniform", "open devices", "per-segment with zeros", "driver and sense", "ideal word lines",
         "ideal bit lines"]


def _close(value: np.ndarray, reference: np.ndarray, limit: float = AGREE) -> None:
    assert relative_errors(value, reference).max() < limit


def _close_to_largest(value: np.ndarray, reference: np.ndarray, limit: float = AGREE) -> None:
    """Input currents are differences g·(V − v) of close numbers: compare to the largest one."""
    assert np.abs(value - reference).max() < limit * np.abs(reference).max()


@pytest.mark.parametrize("case", CASES)
def test_every_method_agrees_with_direct(case: str) -> None:
    rng = np.random.default_rng(CASES.index(case))
    crossbar = _crossbar(rng, case)
    v = rng.uniform(-0.5, 0.5, (crossbar.rows, 12))
    reference = solve_linear(crossbar, v, method="direct")
    assert reference.method == "direct"
    for method, outputs_only in (("weights", True), ("iterative", False), ("iterative", True), ("direct", True),
                                 ("auto", True), ("auto", False)):
        solution = memxbar.simulate(crossbar, v, outputs_only=outputs_only, method=method)
        # The iterative method's tolerance is relative to the largest current.
        (_close_to_largest if solution.method == "iterative" else _close)(solution.output_currents,
                                                                         reference.output_currents)
        _close_to_largest(solution.input_currents, reference.input_currents)
        if not outputs_only:
            scale = np.abs(v).max()
            assert np.abs(solution.wl_voltages - reference.wl_voltages).max() < AGREE * scale
            assert np.abs(solution.bl_voltages - reference.bl_voltages).max() < AGREE * scale
    weights = memxbar.effective_weights(crossbar)
    _close(weights @ v, reference.output_currents)


def test_direct_batch_matches_single_vectors() -> None:
    rng = np.random.default_rng(5)
    crossbar = _crossbar(rng, "driver and sense", 12, 10)
    v = rng.uniform(0, 0.5, (12, 3))
    batch = memxbar.simulate(crossbar, v)
    for k in range(3):
        single = memxbar.simulate(crossbar, v[:, k])
        assert single.output_currents.shape == (10,)
        _close(single.output_currents, batch.output_currents[:, k])
        np.testing.assert_allclose(single.wl_voltages, batch.wl_voltages[..., k], rtol=0, atol=1e-14)


def test_reference_values() -> None:
    crossbar = memxbar.Crossbar(np.array([[0.1]]), r_wl=1.0, r_bl=2.0)
    for method, outputs_only in (("direct", False), ("weights", True), ("iterative", False)):
        solution = memxbar.simulate(crossbar, [1.0], outputs_only=outputs_only, method=method)
        assert solution.output_currents[0] == pytest.approx(1 / 13, rel=1e-12)
    rng = np.random.default_rng(2)
    ideal = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (6, 4)))
    np.testing.assert_array_equal(memxbar.effective_weights(ideal), ideal.conductances.T)
    v = rng.uniform(0, 1, 6)
    np.testing.assert_allclose(memxbar.simulate(ideal, v, outputs_only=True).output_currents,
                               ideal.conductances.T @ v, rtol=1e-15)


@pytest.mark.parametrize("shape", [(5, 11), (11, 5)])
def test_effective_weights_both_ways(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0])
    crossbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, shape), r_wl=2.0, r_bl=1.0, r_sense=3.0)
    system = CrossbarSystem.build(crossbar)
    forward, _ = system.transfer()
    np.testing.assert_allclose(system.effective_weights(), forward, rtol=1e-12, atol=0)
    v = np.eye(shape[0])
    _close(forward, solve_linear(crossbar, v, method="direct").output_currents)
    nonlinear = memxbar.Crossbar(crossbar.conductances, r_wl=2.0, device=get_model("sinh"))
    with pytest.raises(ValueError, match="crossbar: effective weights need linear"):
        memxbar.effective_weights(nonlinear)
    # IR drop only lowers the weights, never raises them above Gᵀ.
    assert np.all(forward <= crossbar.conductances.T * (1 + 1e-12))


def test_outputs_only_solution_is_explicit_about_what_it_lacks() -> None:
    rng = np.random.default_rng(8)
    crossbar = _crossbar(rng, "driver and sense")
    v = rng.uniform(0, 0.5, (crossbar.rows, 4))
    full = memxbar.simulate(crossbar, v)
    outputs = memxbar.simulate(crossbar, v, outputs_only=True, method="weights")
    assert outputs.outputs_only and not full.outputs_only
    assert outputs.wl_voltages is None and outputs.bl_voltages is None and outputs.device_currents is None
    for name in ("device_voltages", "power_devices", "power_word_lines", "power_bit_lines"):
        with pytest.raises(NotComputedError, match=f"{name} needs node voltages"):
            getattr(outputs, name)
    for name in ("power_drivers", "power_sense", "power_total"):
        np.testing.assert_allclose(getattr(outputs, name), getattr(full, name), rtol=1e-9)
    dissipated = (full.power_devices + full.power_word_lines + full.power_bit_lines + full.power_drivers
                  + full.power_sense)
    np.testing.assert_allclose(outputs.power_total, dissipated, rtol=1e-9)


def test_iterative_reports_non_convergence() -> None:
    rng = np.random.default_rng(3)
    crossbar = memxbar.Crossbar(rng.uniform(1e-3, 3.5e-3, (30, 30)), r_wl=2.5, r_bl=2.5)
    with pytest.raises(ConvergenceError, match="did not reach tol=1e-10 within maxiter=2"):
        solve_linear(crossbar, rng.uniform(0, 1, 30), method="iterative", maxiter=2)
    loose = solve_linear(crossbar, rng.uniform(0, 1, 30), method="iterative", tol=1e-3)
    assert loose.method == "iterative"


def test_auto_falls_back_to_direct_when_cg_stalls(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    crossbar = memxbar.Crossbar(rng.uniform(1e-3, 3.5e-3, (20, 20)), r_wl=2.5, r_bl=2.5)
    v = rng.uniform(0, 1, 20)
    monkeypatch.setattr("memxbar.solver.direct.CG_SECONDS_PER_BLOCK", 0.0)
    monkeypatch.setattr("memxbar.solver.direct.CG_SECONDS_PER_DEVICE", 0.0)
    assert solve_linear(crossbar, v, method="auto").method == "iterative"
    fallback = solve_linear(crossbar, v, method="auto", maxiter=2)
    assert fallback.method == "direct"
    _close(fallback.output_currents, solve_linear(crossbar, v, method="direct").output_currents)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "cholesky"}, "method must be one of"),
        ({"method": "weights"}, "pass outputs_only=True"),
        ({"tol": 0.0}, "tol must be"),
        ({"tol": "small"}, "tol must be"),
        ({"tol": 1e-15}, "tol must be a relative error from 1e-13"),  # below it, success was reported 2e-14 off
        ({"maxiter": True}, "maxiter must be"),
        ({"maxiter": 2**63}, "maxiter must be a whole number of iterations from 1 to 1e"),  # was an OverflowError
        ({"outputs_only": "yes"}, "outputs_only must be True or False"),
    ],
)
def test_bad_options_are_named(options: dict, message: str) -> None:
    crossbar = memxbar.Crossbar(np.full((2, 2), 1e-5), r_wl=1.0)
    with pytest.raises(InputError, match=message):
        memxbar.simulate(crossbar, [0.1, 0.2], **options)


def test_numpy_scalar_options_are_taken() -> None:
    """tol as np.float32 was refused as if it were outside (0, 1) (a new-user test)."""
    crossbar = memxbar.Crossbar(np.full((2, 2), 1e-5), r_wl=1.0, r_bl=1.0)
    solution = memxbar.simulate(crossbar, [0.1, 0.2], method="iterative", tol=np.float32(1e-6), maxiter=np.int64(50))
    np.testing.assert_allclose(solution.output_currents, memxbar.simulate(crossbar, [0.1, 0.2]).output_currents,
                               rtol=1e-6)


def test_fast_only_options_rejected_for_spice() -> None:
    crossbar = memxbar.Crossbar(np.full((2, 2), 1e-5), r_wl=1.0)
    with pytest.raises(InputError, match="method applies to the fast backend only"):
        memxbar.simulate(crossbar, [0.1, 0.2], backend="spice", method="direct")


def test_factorisation_backends_and_ordering_agree() -> None:
    rng = np.random.default_rng(11)
    crossbar = _crossbar(rng, "per-segment with zeros", 20, 17)
    system = CrossbarSystem.build(crossbar)
    order = nested_dissection(system.circuit)
    assert np.array_equal(np.sort(order), np.arange(system.n))
    rhs = -(system.s[:, :crossbar.rows] @ rng.uniform(0, 1, (crossbar.rows, 3)))
    reference = factorize(system.a, None, "superlu")(rhs)
    backends = ["superlu"] + (["pardiso"] if pardiso_available() else [])
    for backend in backends:
        solve = factorize(system.a, order, backend, positive_definite=True)
        np.testing.assert_allclose(solve(rhs), reference, rtol=1e-10, atol=1e-15)
    with pytest.raises(InputError, match="backend must be one of"):
        factorize(system.a, order, "umfpack")


def test_structure_is_shared_by_one_geometry_only(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(13)
    first, second = (_crossbar(rng, "per-segment with zeros", 11, 8) for _ in range(2))
    same_geometry = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (11, 8)), r_wl=first.r_wl * 2, r_bl=first.r_bl,
                                     r_driver=first.r_driver, r_sense=first.r_sense)
    v = rng.uniform(0, 0.5, (11, 2))
    systems = [CrossbarSystem.build(xbar) for xbar in (first, second, same_geometry)]
    assert systems[0].pattern._structure is systems[2].pattern._structure
    assert systems[0].pattern._structure is not systems[1].pattern._structure
    cached = [memxbar.simulate(xbar, v).output_currents for xbar in (first, second, same_geometry)]
    monkeypatch.setattr(nodal, "_structures", OrderedDict())
    for xbar, currents in zip((same_geometry, second, first), reversed(cached), strict=True):
        nodal._structures.clear()
        np.testing.assert_array_equal(memxbar.simulate(xbar, v).output_currents, currents)


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (speed extra) not installed")
def test_kron_reduction_by_partial_factorisation_equals_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(12)
    crossbar = _crossbar(rng, "per-segment with zeros", 19, 23)
    system = CrossbarSystem.build(crossbar)
    c = sp.hstack([system.s, system.ports.out_x.T], format="csc")
    expected = c.T @ factorize(system.a, None, "superlu")(c.toarray())
    reduced = reduced_couplings(system.a, c)
    np.testing.assert_allclose(reduced, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    monkeypatch.setattr(direct, "pardiso_worthwhile", lambda n: True)
    kron = CrossbarSystem.build(crossbar)
    t_kron, y_kron, w_kron = *kron.transfer(), kron.effective_weights()
    monkeypatch.setattr(direct, "pardiso_worthwhile", lambda n: False)
    solves = CrossbarSystem.build(crossbar)
    t, y = solves.transfer()
    for got, want in ((t_kron, t), (w_kron, t), (y_kron, y)):
        assert relative_errors(got, want).max() < AGREE


@pytest.mark.skipif(not pardiso_available(), reason="pypardiso (speed extra) not installed")
def test_auto_loads_pardiso_only_for_large_matrices() -> None:
    """Loading MKL costs more than a small solve: a fresh process keeps SuperLU for small arrays."""
    script = (
        "import sys, numpy as np, memxbar\n"
        "def solve(m):\n"
        "    xbar = memxbar.Crossbar(np.full((m, m), 1e-5), r_wl=1.0, r_bl=1.0)\n"
        "    memxbar.simulate(xbar, np.ones(m), method='direct')\n"
        "    return 'pypardiso' in sys.modules\n"
        "print(solve(32), solve(232), solve(32))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True", "True"]


def test_outputs_only_agrees_with_spice() -> None:
    rng = np.random.default_rng(21)
    crossbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (16, 12)), r_wl=2.0, r_bl=1.0, r_driver=5.0, r_sense=3.0)
    v = rng.uniform(0, 0.5, (16, 2))
    spice = memxbar.simulate(crossbar, v, backend="spice")
    for method in ("weights", "iterative", "direct"):
        fast = memxbar.simulate(crossbar, v, outputs_only=True, method=method)
        _close(fast.output_currents, spice.output_currents)
        _close_to_largest(fast.input_currents, spice.input_currents)


def test_bench_command_times_and_checks_the_tools() -> None:
    tools = ["memxbar direct", "memxbar outputs", "memxbar iterative", "ngspice"]
    options = ["--size", "12", "--batch", "3", "--r-line", "2", "--tools", ",".join(tools)]
    result = CliRunner().invoke(main, ["bench", *options])
    assert result.exit_code == 0, result.output
    errors = {}
    for line in result.output.splitlines():
        tool = next((t for t in tools if line.startswith(t + " ")), None)
        if tool:
            errors[tool] = float(re.findall(r"\d\.\de[+-]\d\d", line)[0])
    assert set(errors) == set(tools)
    assert max(errors.values()) < AGREE
    bad = CliRunner().invoke(main, ["bench", "--tools", "memxbar direct,spice"])
    assert bad.exit_code == 2 and "unknown tool 'spice'" in bad.output


@pytest.mark.parametrize(
    ("shape", "lines"),
    [((1, 7), {"r_wl": 0.0, "r_bl": 2.0}), ((1, 1), {"r_driver": 10.0}), ((64, 64), {"r_sense": 10.0}),
     ((1, 1), {"r_driver": 10.0, "r_sense": 10.0})],
)
def test_iterative_solves_small_and_ideal_line_arrays_without_nan_or_warnings(shape, lines) -> None:
    """Found by a new-user test: CG returned NaN currents (0/0 once a column was solved exactly) and
    NumPy divide warnings. Right values: the 1×1 array's current is V / (R_driver + 1/G + R_sense); the
    others against the direct solve."""
    import warnings

    crossbar = memxbar.Crossbar(np.full(shape, 1e-4), **lines)
    v = np.full(shape[0], 0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        iterative = memxbar.simulate(crossbar, v, method="iterative")
    direct = memxbar.simulate(crossbar, v, method="direct")
    np.testing.assert_allclose(iterative.output_currents, direct.output_currents, rtol=1e-10)
    if shape == (1, 1):
        exact = 0.3 / (lines.get("r_driver", 0.0) + 1e4 + lines.get("r_sense", 0.0))
        np.testing.assert_allclose(iterative.output_currents, [exact], rtol=1e-12)
