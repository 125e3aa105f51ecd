"""Training through the circuit (JAX): the differentiable circuit solve against independent gradients,
and the ``memxbar nn`` command end to end on a small run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

jax = pytest.importorskip("jax")

from memxbar.cli import main  # noqa: E402
from memxbar.nn.data import load_digits  # noqa: E402
from memxbar.nn.devices import HIGH_R  # noqa: E402
from memxbar.nn.jax_circuit import circuit_currents  # noqa: E402
from memxbar.nn.network import Hardware, digital_forward  # noqa: E402
from memxbar.nn.training import (  # noqa: E402
    TrainingOptions,
    cross_entropy,
    hardware_scores,
    ideal_wire_currents,
    init_weights,
    sample_draws,
    train,
)


def _loss(weights, x, y, draws, hardware, currents):
    return cross_entropy(hardware_scores(weights, x, draws, hardware, currents), y)


def _problem(r_line):
    rng = np.random.default_rng(0)
    hardware = Hardware(HIGH_R, r_line=r_line)
    weights = [jax.numpy.asarray(w) for w in init_weights([6, 4, 3], rng)]
    weights[0] = weights[0].at[-1].set(0.3)
    x = rng.uniform(0, 1, (5, 6))
    y = np.array([0, 1, 2, 1, 0])
    return hardware, weights, x, y, sample_draws(weights, hardware, 5, rng)


def test_circuit_gradient_with_ideal_wires_equals_autodiff_of_the_device_sum():
    """With 0 Ω lines the circuit solve is Σ_i I(V_i): the adjoint gradient must equal JAX's own."""
    hardware, weights, x, y, draws = _problem(0.0)
    exact = jax.grad(_loss)(weights, x, y, draws, hardware, circuit_currents(0.0, HIGH_R))
    autodiff = jax.grad(_loss)(weights, x, y, draws, hardware, ideal_wire_currents(hardware))
    for a, b in zip(exact, autodiff, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.abs(b).max())


def test_circuit_gradient_with_line_resistance_matches_finite_differences():
    hardware, weights, x, y, draws = _problem(500.0)
    currents = circuit_currents(500.0, HIGH_R)
    grads = jax.grad(_loss)(weights, x, y, draws, hardware, currents)
    for layer, index in ((0, (2, 1)), (0, (6, 3)), (1, (4, 2))):
        h = 1e-5
        up = [w.at[index].add(h) if k == layer else w for k, w in enumerate(weights)]
        down = [w.at[index].add(-h) if k == layer else w for k, w in enumerate(weights)]
        fd = (_loss(up, x, y, draws, hardware, currents) - _loss(down, x, y, draws, hardware, currents)) / (2 * h)
        assert float(grads[layer][index]) == pytest.approx(float(fd), rel=1e-6, abs=1e-9)


def test_plain_training_learns_the_digits():
    data = load_digits()
    weights = train(data, "plain", None, TrainingOptions(epochs=15), seed=0)
    accuracy = np.mean(np.argmax(digital_forward(weights, data.x_test), axis=1) == data.y_test)
    assert accuracy > 0.9


def test_nn_command_writes_the_study(tmp_path):
    out = tmp_path / "nn.json"
    args = ["nn", "--devices", "high-R", "--r-line", "0", "--r-line", "2",
            "--seeds", "2", "--epochs", "1", "--circuit-steps", "1", "--test-samples", "6", "--json", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    rows = report["results"]
    keys = {"devices", "r_line_ohm", "training", "accuracy_mean", "accuracy_std", "energy_per_inference_J",
            "tops_per_watt"}
    assert all(keys <= set(row) for row in rows)
    seen = {(row["devices"], row["r_line_ohm"], row["training"]) for row in rows}
    assert ("high-R", 2.0, "aware-circuit") in seen and ("high-R", 0.0, "plain") in seen
    assert ("high-R", 0.0, "aware-circuit") not in seen  # identical to aware-ideal with ideal wires
    assert len(rows) == 2 + 3
    assert 0 <= report["digital"]["accuracy_mean"] <= 1
    assert all(row["tops_per_watt"] > 0 and row["seeds"] == 2 for row in rows)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "already exists" in again.output


def test_nn_command_bad_input():
    result = CliRunner().invoke(main, ["nn", "--devices", "medium"])
    assert result.exit_code == 2 and "--devices" in result.output
    result = CliRunner().invoke(main, ["nn", "--dataset", "mnist"])
    assert result.exit_code == 2 and "--data" in result.output
