"""Plain and nonideality-aware training of an MLP with JAX (needs the ``nn`` extra).

Three ways to train, compared by :mod:`memxbar.nn.study`:

- ``"plain"``: ordinary software training (floating-point weights, no hardware);
- ``"aware-ideal"``: the nonideality-aware training of Joksas et al., Adv. Sci. 9, 2105784 (2022):
  every forward pass maps the weights to conductances, applies the programming nonidealities and
  the per-device power-law I–V nonlinearity with fresh random draws, and sums the device currents
  of **ideal wires** (each device sees its input voltage); gradients by JAX;
- ``"aware-circuit"``: the aware-ideal network fine-tuned for ``circuit_steps`` minibatches with the
  **exact circuit** in the forward pass (line resistance and nonlinearity solved together by
  memxbar, :mod:`memxbar.nn.jax_circuit`), gradients from the adjoint of the nodal equations.

The loss is the softmax cross-entropy of the last layer's outputs; the optimiser Adam (optax).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from memxbar.errors import InputError
from memxbar.nn import nonidealities as nid
from memxbar.nn.data import Dataset
from memxbar.nn.jax_circuit import circuit_currents
from memxbar.nn.mapping import tiles
from memxbar.nn.network import Hardware, digital_forward, layer_outputs, map_layer, sigmoid
from memxbar.nn.nonidealities import Context, Ops

TRAININGS = ("plain", "aware-ideal", "aware-circuit")
"""The ways to train (see the module docstring)."""


def _ste_round(x: Any) -> Any:
    """Rounding whose gradient is taken as 1 (straight-through estimator, Bengio et al., arXiv:1308.3432)."""
    return x + jax.lax.stop_gradient(jnp.round(x) - x)


JAX_OPS = Ops(jnp, _ste_round)
"""Array operations of the nonidealities in training."""


@dataclass(frozen=True)
class TrainingOptions:
    """Network size and optimisation settings."""

    hidden: tuple[int, ...] = (25,)
    """Sizes of the hidden layers (sigmoid)."""
    epochs: int = 30
    """Passes over the training set (plain and aware-ideal training)."""
    batch_size: int = 32
    """Minibatch size."""
    learning_rate: float = 0.005
    """Adam step size."""
    circuit_steps: int = 10
    """Minibatches of fine-tuning through the circuit (aware-circuit training)."""
    circuit_batch: int = 16
    """Minibatch size of the fine-tuning through the circuit."""
    circuit_learning_rate: float = 0.01
    """Adam step size of the fine-tuning through the circuit."""

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "circuit_steps", "circuit_batch"):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and value >= (0 if name.endswith("steps") else 1)):
                raise InputError(f"{name} must be a positive whole number, got {value!r}")
        if not all(isinstance(h, (int, np.integer)) and h >= 1 for h in self.hidden):
            raise InputError(f"hidden must be layer sizes >= 1, got {self.hidden!r}")
        for name in ("learning_rate", "circuit_learning_rate"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"{name} must be > 0, got {value!r}")


def init_weights(sizes: Sequence[int], rng: np.random.Generator) -> list[np.ndarray]:
    """Weights (K + 1, N) per layer, N(0, 1/K) with a zero bias row (LeCun initialisation)."""
    return [np.vstack([rng.normal(0.0, 1.0 / np.sqrt(k), (k, n)), np.zeros((1, n))])
            for k, n in zip(sizes[:-1], sizes[1:], strict=True)]


def cross_entropy(scores: Any, labels: Any) -> Any:
    """Mean softmax cross-entropy of class scores (B, classes) against integer labels (B,)."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(scores, labels))


def ideal_wire_currents(hardware: Hardware) -> Callable[[Any, Any, Any], Any]:
    """Column currents with ideal wires: Σ_i I(V_i; G_ij, n_ij), the power law of the device set."""
    devices = hardware.devices
    if devices.linear:
        return lambda g, v, n: v @ g

    def currents(g: Any, v: Any, n: Any) -> Any:
        vv = v[:, :, None]
        power = jnp.log2(n)
        return jnp.sum(jnp.sign(vv) * g * devices.vref * (jnp.abs(vv) / devices.vref) ** power, axis=1)

    return currents


def sample_draws(weights: Sequence[Any], hardware: Hardware, batch: int, rng: np.random.Generator) -> list[list[tuple]]:
    """Per layer and tile: (programming draws, per-device n, read draws) for one forward pass."""
    out = []
    for w in weights:
        k, n_out = w.shape
        layer = []
        for tile in tiles(k, n_out, hardware.mapping):
            rows = tile.rows.stop - tile.rows.start
            neurons = tile.neurons.stop - tile.neurons.start
            cols = 2 * neurons if hardware.mapping.scheme == "differential" else neurons + 1
            layer.append((nid.sample_stage(hardware.nonidealities, "conductances", (rows, cols), rng),
                          hardware.devices.sample_n((rows, cols), rng),
                          nid.sample_stage(hardware.nonidealities, "currents", (batch, cols), rng)))
        out.append(layer)
    return out


def hardware_scores(weights: Sequence[Any], x: Any, draws: Sequence[Sequence[tuple]], hardware: Hardware,
                    currents: Callable[[Any, Any, Any], Any]) -> Any:
    """Class scores (B, classes) of the network on hardware, in JAX (differentiable in the weights)."""
    context = Context(hardware.devices, hardware.mapping)
    for k, w in enumerate(weights):
        layer_tiles, k_g, targets = map_layer(w, hardware, jnp)
        programmed = [nid.apply_stage(g, hardware.nonidealities, "conductances", draws[k][t][0], context, JAX_OPS)
                      for t, g in enumerate(targets)]

        def tile_currents(index: int, g: Any, v: Any, layer: int = k) -> Any:
            return currents(g, v, draws[layer][index][1])

        z = layer_outputs(x, programmed, k_g, layer_tiles, hardware, tile_currents,
                          [d[2] for d in draws[k]], JAX_OPS)
        x = sigmoid(z, jnp) if k < len(weights) - 1 else z
    return x


def _adam_step(loss: Callable, learning_rate: float) -> tuple[optax.GradientTransformation, Callable]:
    optimiser = optax.adam(learning_rate)
    grad = jax.grad(loss)

    def step(carry: tuple[Any, Any], inputs: tuple[Any, Any]) -> tuple[tuple[Any, Any], None]:
        params, state = carry
        updates, state = optimiser.update(grad(params, *inputs), state, params)
        return (optax.apply_updates(params, updates), state), None

    return optimiser, step


@functools.lru_cache(maxsize=16)
def _compiled_epoch(kind: str, hardware: Hardware | None, learning_rate: float
                    ) -> tuple[optax.GradientTransformation, Callable]:
    """Adam and one compiled scan over an epoch's minibatches, per kind of loss and hardware (compiled once)."""
    if kind == "plain":
        def loss(params: Any, batch: Any, draws: Any) -> Any:
            return cross_entropy(digital_forward(params, batch[0], jnp), batch[1])
    else:
        ideal = ideal_wire_currents(hardware)

        def loss(params: Any, batch: Any, draws: Any) -> Any:
            return cross_entropy(hardware_scores(params, batch[0], draws, hardware, ideal), batch[1])

    optimiser, step = _adam_step(loss, learning_rate)
    return optimiser, jax.jit(lambda carry, batches, draws: jax.lax.scan(step, carry, (batches, draws))[0])


def _fit_epochs(params: list[Any], kind: str, hardware: Hardware | None, epochs: Iterator[tuple[Any, Any]],
                learning_rate: float) -> list[Any]:
    """Adam over epochs given as stacked minibatches and draws, one compiled scan per epoch."""
    optimiser, scan = _compiled_epoch(kind, hardware, learning_rate)
    carry = (params, optimiser.init(params))
    for batches, draws in epochs:
        carry = scan(carry, batches, draws)
    return carry[0]


def _epoch(dataset: Dataset, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One pass over the training set in whole minibatches: inputs (S, B, features), labels (S, B)."""
    count = len(dataset.x_train)
    batch_size = min(batch_size, count)
    order = rng.permutation(count)[: count - count % batch_size].reshape(-1, batch_size)
    return dataset.x_train[order], dataset.y_train[order]


def _stack(items: Sequence[Any]) -> Any:
    return jax.tree.map(lambda *leaves: np.stack(leaves), *items)


def train(dataset: Dataset, training: str, hardware: Hardware | None, options: TrainingOptions, seed: int,
          initial: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """Train an MLP with sigmoid hidden layers on ``dataset``.

    Args:
        dataset: The data.
        training: ``"plain"``, ``"aware-ideal"`` or ``"aware-circuit"`` (see the module docstring).
        hardware: The hardware whose nonidealities aware training sees (not used by plain training).
        options: Sizes and optimisation settings.
        seed: Seed of the initial weights, the minibatch order and the nonideality draws.
        initial: Starting weights (K + 1, N) per layer; aware-circuit training starts from the
            aware-ideal network of the same seed when not given.

    Returns:
        The weights per layer, (K + 1, N) with the bias last.

    Raises:
        InputError: If ``training`` is unknown or needs ``hardware``.
    """
    if training not in TRAININGS:
        raise InputError(f"training must be one of {', '.join(map(repr, TRAININGS))}, got {training!r}")
    if training != "plain" and hardware is None:
        raise InputError(f"training {training!r} needs the hardware whose nonidealities it sees")
    rng = np.random.default_rng([seed, TRAININGS.index(training)])
    sizes = [dataset.features, *options.hidden, dataset.classes]
    params = [jnp.asarray(w) for w in (initial if initial is not None else init_weights(sizes, rng))]

    if training == "plain":
        epochs = ((_epoch(dataset, options.batch_size, rng), None) for _ in range(options.epochs))
        return [np.asarray(w) for w in _fit_epochs(params, "plain", None, epochs, options.learning_rate)]

    def epoch_with_draws() -> tuple[Any, Any]:
        batches = _epoch(dataset, options.batch_size, rng)
        return batches, _stack([sample_draws(params, hardware, batches[1].shape[1], rng) for _ in batches[1]])

    if training == "aware-ideal" or initial is None:
        epochs = (epoch_with_draws() for _ in range(options.epochs))
        ideal_wires = dataclasses.replace(hardware, r_line=0.0)
        params = _fit_epochs(params, "aware", ideal_wires, epochs, options.learning_rate)
        if training == "aware-ideal":
            return [np.asarray(w) for w in params]

    circuit = circuit_currents(hardware.r_line, hardware.devices)

    def circuit_loss(params: Any, batch: Any, draws: Any) -> Any:
        return cross_entropy(hardware_scores(params, batch[0], draws, hardware, circuit), batch[1])

    optimiser, step = _adam_step(circuit_loss, options.circuit_learning_rate)
    carry = (params, optimiser.init(params))
    done = 0
    while done < options.circuit_steps:
        xs, ys = _epoch(dataset, options.circuit_batch, rng)
        for x, y in list(zip(xs, ys, strict=True))[: options.circuit_steps - done]:
            carry, _ = step(carry, ((x, y), sample_draws(carry[0], hardware, len(y), rng)))
            done += 1
    return [np.asarray(w) for w in carry[0]]
