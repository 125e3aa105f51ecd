"""Batched Newton in line form (memxbar.solver.line_newton) for word-line reads of nonlinear arrays.

References are independent of the line solver: the per-vector Newton of memxbar.solver.newton
(sparse factorisation of the whole circuit's Jacobian) at a tighter tolerance, ngspice, and the
KCL residual recomputed element by element by memxbar.solver.accuracy.
"""

from __future__ import annotations

import numpy as np

import memxbar
from memxbar.circuit.compile import compile_circuit
from memxbar.devices import get_model
from memxbar.solver import newton
from memxbar.solver.accuracy import check
from memxbar.solver.line_newton import LineNewton


def power_law_crossbar(rows: int, cols: int, seed: int, **device) -> memxbar.Crossbar:
    rng = np.random.default_rng(seed)
    return memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (rows, cols)), r_wl=2.5, r_bl=1.5, r_driver=3.0, r_sense=2.0,
                            device=get_model("power-law", **({"n": 2.9, "vref": 0.25} | device)))


def reference_outputs(xbar: memxbar.Crossbar, v: np.ndarray) -> np.ndarray:
    """(N, B) output currents by the per-vector Newton on the whole circuit, to a relative residual of 1e-13."""
    circuit = compile_circuit(xbar)
    out = []
    for k in range(v.shape[1]):
        result = newton.newton_solve(xbar, v[:, [k]], tol=1e-13, batched=False)
        nodes = np.concatenate([result.unknown, circuit.known_voltages(v[:, [k]], np.zeros((xbar.cols, 1)), None)])
        out.append(nodes[circuit.bl_node[:, -2], 0] / xbar.r_sense)
    return np.array(out).T


def test_power_law_matches_per_vector_newton_and_ngspice():
    xbar = power_law_crossbar(12, 17, seed=1)
    v = np.random.default_rng(2).uniform(0.0, 0.3, (12, 6))
    fast = memxbar.simulate(xbar, v, outputs_only=True)
    reference = reference_outputs(xbar, v)
    np.testing.assert_allclose(fast.output_currents, reference, rtol=1e-10)
    assert np.all(fast.kcl_residual <= 1e-10)
    spice = memxbar.simulate(xbar, v[:, :2], "spice")
    np.testing.assert_allclose(fast.output_currents[:, :2], spice.output_currents, rtol=1e-9)
    np.testing.assert_allclose(fast.input_currents[:, :2], spice.input_currents, rtol=1e-9)


def test_full_solution_satisfies_kirchhoff_element_by_element():
    xbar = power_law_crossbar(9, 7, seed=3)
    v = np.random.default_rng(4).uniform(-0.3, 0.3, (9, 5))  # both polarities
    fast = memxbar.simulate(xbar, v)
    circuit = compile_circuit(xbar)
    # The solution's node voltages, checked by the independent element-by-element KCL residual.
    system_nodes = np.zeros((circuit.n_nodes, 5))
    system_nodes[circuit.w_node] = fast.wl_voltages
    system_nodes[circuit.b_node] = fast.bl_voltages
    system_nodes[circuit.n_unknown:] = circuit.known_voltages(v, np.zeros((7, 5)), None)
    system_nodes[circuit.wl_node[:, 1]] = v - 3.0 * fast.input_currents
    system_nodes[circuit.bl_node[:, -2]] = 2.0 * fast.output_currents
    assert np.all(check(circuit, system_nodes).residual <= 1e-10)
    np.testing.assert_allclose(fast.output_currents, reference_outputs(xbar, v), rtol=1e-10)


def test_per_device_parameters():
    rng = np.random.default_rng(5)
    xbar = power_law_crossbar(6, 8, seed=6, n=rng.uniform(2.0, 3.5, (6, 8)))
    v = rng.uniform(0.0, 0.3, (6, 4))
    fast = memxbar.simulate(xbar, v, outputs_only=True)
    np.testing.assert_allclose(fast.output_currents, reference_outputs(xbar, v), rtol=1e-10)


def test_vectors_it_cannot_solve_go_to_the_robust_method():
    """Strong sinh devices at 2–6 V: Newton without limiting diverges from the ideal-wire start; the
    line solver flags those vectors, and the robust method solves them (checked against ngspice)."""
    rng = np.random.default_rng(13)
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (8, 8)), r_wl=1, r_bl=1, device=get_model("sinh", v0=0.1))
    v = np.concatenate([rng.uniform(2.0, 6.0, (8, 2)), rng.uniform(0.0, 0.1, (8, 2))], axis=1)
    result = LineNewton.build(xbar).solve(np.ascontiguousarray(v.T), 1e-10)
    assert list(result.converged) == [False, False, True, True]
    fast = memxbar.simulate(xbar, v)
    assert np.all(fast.kcl_residual <= 1e-10)
    for k in (0, 3):
        spice = memxbar.simulate(xbar, v[:, k], "spice")
        np.testing.assert_allclose(fast.output_currents[:, k], spice.output_currents, rtol=1e-9)


def test_power_law_current_and_slope_together_equal_the_separate_ones():
    model = get_model("power-law", n=2.7, vref=0.2)
    v = np.array([-0.5, -1e-3, 0.0, 1e-12, 0.2, 0.9])
    g = 3e-5
    current, slope = model.current_and_slope(v, g)
    np.testing.assert_allclose(current, model.current(v, g), rtol=1e-15, atol=0)
    np.testing.assert_allclose(slope, model.slope(v, g), rtol=1e-15, atol=0)


def test_line_form_serves_plain_word_line_reads_only():
    from memxbar.circuit.bias import make_bias
    from memxbar.solver.circuit_system import CircuitNonlinearSystem

    xbar = power_law_crossbar(5, 4, seed=7)
    v = np.full((5, 2), 0.2)

    def served(bias, crossbar=xbar):
        circuit = compile_circuit(crossbar, bias.floating_wl, bias.floating_bl)
        return newton.line_read(crossbar, bias, circuit, CircuitNonlinearSystem(circuit))

    assert served(make_bias((5, 4), v))
    assert not served(make_bias((5, 4), v, bl_voltages=0.1))
    assert not served(make_bias((5, 4), v, floating_bl=[True, False, False, False]))
    ideal = memxbar.Crossbar(xbar.conductances, r_wl=0.0, r_bl=1.0, device=xbar.device)
    assert not served(make_bias((5, 4), v), ideal)
