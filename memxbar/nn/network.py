"""A multilayer perceptron whose layers are programmed onto crossbars and run through the circuit.

:func:`layer_outputs` is the one definition of a layer on hardware (inputs stage, read voltages,
each tile's column currents, currents stage, conversion back to outputs, digital sum of the
tiles), shared by inference here (currents from memxbar's circuit solve) and by training
(:mod:`memxbar.nn.training`, with JAX arrays). Hidden layers use the logistic sigmoid; the last
layer's outputs are the class scores (softmax in training).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.nn import nonidealities as nid
from memxbar.nn.devices import DeviceSet
from memxbar.nn.energy import EnergyModel, operations, tops_per_watt
from memxbar.nn.mapping import Mapping, Tile, conductance_scale, currents_to_outputs, tiles, weights_to_conductances
from memxbar.nn.nonidealities import NUMPY_OPS, Context, Nonideality, Ops

CurrentsFn = Callable[[int, Any, Any], Any]
"""(tile index, (rows, cols) conductances in S, (B, rows) voltages in V) → (B, cols) column currents in A."""


@dataclass(frozen=True)
class Hardware:
    """Everything about the hardware a network runs on."""

    devices: DeviceSet
    """Device set: conductance range and I–V nonlinearity."""
    r_line: float = 0.0
    """Resistance of every word- and bit-line segment, in ohms (Ω); 0 is an ideal wire."""
    mapping: Mapping = field(default_factory=Mapping)
    """Layout and read voltages."""
    nonidealities: tuple[Nonideality, ...] = ()
    """Nonidealities besides line resistance and I–V nonlinearity (composed in their documented order)."""
    energy: EnergyModel = field(default_factory=EnergyModel)
    """Read time and peripheral energy figures."""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.r_line) and self.r_line >= 0):
            raise InputError(f"r_line must be a resistance >= 0 Ω, got {self.r_line!r}")
        object.__setattr__(self, "nonidealities", nid.compose(self.nonidealities))


def sigmoid(z: Any, xp: Any = np) -> Any:
    """The logistic function 1/(1 + e^−z)."""
    return 1.0 / (1.0 + xp.exp(-z))


def with_bias(x: Any, xp: Any = np) -> Any:
    """(B, K−1) inputs with a constant 1 appended: the bias row's input."""
    return xp.concatenate([x, xp.ones((x.shape[0], 1))], axis=1)


def digital_forward(weights: Sequence[Any], x: Any, xp: Any = np) -> Any:
    """Class scores (B, classes) of the network in floating point (software, no hardware)."""
    for k, w in enumerate(weights):
        z = with_bias(x, xp) @ w
        x = sigmoid(z, xp) if k < len(weights) - 1 else z
    return x


def layer_outputs(x: Any, conductances: Sequence[Any], k_g: Any, layer_tiles: Sequence[Tile], hardware: Hardware,
                  currents: CurrentsFn, read_draws: Sequence[Sequence[Any]], ops: Ops = NUMPY_OPS) -> Any:
    """Outputs (B, N) of one layer on crossbars.

    Args:
        x: (B, K − 1) layer inputs in [0, 1] (the bias input is appended here).
        conductances: Per tile, its (rows, cols) conductances (S) after programming.
        k_g: Conductance per unit weight (S).
        layer_tiles: The layer's tiles (:func:`memxbar.nn.mapping.tiles`).
        hardware: The hardware.
        currents: Column currents of a tile (the circuit solve).
        read_draws: Per tile, the draws of the currents-stage nonidealities.
        ops: Array operations.
    """
    xp, mapping = ops.xp, hardware.mapping
    converters = nid.of_stage(hardware.nonidealities, "inputs")
    x = nid.apply_stage(with_bias(x, xp), converters, "inputs", [None] * len(converters),
                        Context(hardware.devices, mapping), ops)
    v = mapping.v_read * x
    blocks: dict[int, Any] = {}
    for index, tile in enumerate(layer_tiles):
        v_tile = v[:, tile.rows]
        g_tile = conductances[index]
        i = currents(index, g_tile, v_tile)
        i = nid.apply_stage(i, hardware.nonidealities, "currents", read_draws[index],
                            Context(hardware.devices, mapping, g_tile, v_tile), ops)
        y = currents_to_outputs(i, k_g, mapping.v_read, mapping.scheme)
        start = tile.neurons.start
        blocks[start] = y if start not in blocks else blocks[start] + y
    return xp.concatenate([blocks[start] for start in sorted(blocks)], axis=1)


def map_layer(w: Any, hardware: Hardware, xp: Any = np) -> tuple[list[Tile], Any, list[Any]]:
    """Tiles, k_G (S per unit weight) and each tile's target conductances (S) of weights w (K, N)."""
    devices, mapping = hardware.devices, hardware.mapping
    layer_tiles = tiles(*w.shape, mapping)
    k_g = conductance_scale(w, devices.g_off, devices.g_on, mapping.scheme, xp)
    targets = [weights_to_conductances(w[t.rows, t.neurons], k_g, devices.g_off, devices.g_on, mapping.scheme, xp)
               for t in layer_tiles]
    return layer_tiles, k_g, targets


@dataclass(frozen=True)
class ProgrammedLayer:
    """One layer after programming: its tiles as crossbars."""

    shape: tuple[int, int]
    """(K, N): inputs + 1 (bias) and outputs."""
    tiles: tuple[Tile, ...]
    """The tiles."""
    k_g: float
    """Conductance per unit weight (S)."""
    crossbars: tuple[Crossbar, ...]
    """Per tile, the crossbar: programmed conductances, line resistance, per-device I–V model."""


@dataclass(frozen=True)
class Inference:
    """Outputs and energy of a batch of inferences on hardware."""

    outputs: np.ndarray
    """(B, classes) class scores (last layer's outputs)."""
    energy_per_inference: float
    """Crossbar energy per inference (all layers' tiles, one read each), mean over the batch, in joules (J)."""
    layer_energy: tuple[float, ...]
    """Crossbar energy per inference of each layer (J)."""
    operations: int
    """Operations per inference, Σ over layers of 2·K·N (bias rows included)."""
    peripheral_energy: float
    """DAC and ADC energy per inference from the user's figures (J), not included above."""
    wall_time: float
    """Time the circuit solves took, in seconds (s)."""

    @property
    def tops_per_watt(self) -> float:
        """Crossbar TOPS/W: operations per inference / crossbar energy per inference / 10¹²."""
        return tops_per_watt(self.operations, self.energy_per_inference)

    def accuracy(self, labels: np.ndarray) -> float:
        """Fraction of inputs whose largest class score is at its label."""
        return float(np.mean(np.argmax(self.outputs, axis=1) == np.asarray(labels)))


@dataclass(frozen=True)
class ProgrammedNetwork:
    """A network programmed onto crossbars: run it with :meth:`infer`."""

    hardware: Hardware
    """The hardware."""
    layers: tuple[ProgrammedLayer, ...]
    """The layers."""

    def infer(self, x: np.ndarray, rng: np.random.Generator | None = None, backend: str = "fast") -> Inference:
        """Run a batch of inputs through every layer's circuit.

        Linear (ohmic) devices are solved exactly for the output currents and the sources' power
        (memxbar's effective-weights path for large batches); nonlinear ones by Newton's method.

        Args:
            x: (B, inputs) inputs in [0, 1].
            rng: Generator for nonidealities that are fresh at every read (read noise); required if any.
            backend: ``"fast"`` or ``"spice"`` (ngspice: slow, for checking a handful of inputs).

        Returns:
            The :class:`Inference`.

        Raises:
            InputError: If ``x`` has the wrong shape or ``rng`` is missing.
            ConvergenceError: If a nonlinear solve does not converge.
        """
        from memxbar.simulate import simulate

        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.layers[0].shape[0] - 1:
            raise InputError(f"x must be (batch, {self.layers[0].shape[0] - 1}), got shape {x.shape}")
        readers = nid.of_stage(self.hardware.nonidealities, "currents")
        if rng is None and any(item.sample((1,), np.random.default_rng(0)) is not None for item in readers):
            raise InputError("rng is needed: a nonideality (read noise) draws fresh random numbers at every read")
        start = time.perf_counter()
        energies = []
        ops = 0
        peripheral = 0.0
        t_read = self.hardware.energy.t_read
        for k, layer in enumerate(self.layers):
            energy = np.zeros(x.shape[0])

            def currents(index: int, g: np.ndarray, v: np.ndarray, layer: ProgrammedLayer = layer,
                         energy: np.ndarray = energy) -> np.ndarray:
                xbar = layer.crossbars[index]
                linear = xbar.device.linear and backend == "fast"
                solution = simulate(xbar, v.T, backend, **({"outputs_only": True} if linear else {}))
                energy += np.asarray(solution.power_total) * t_read
                return solution.output_currents.T

            draws = [nid.sample_stage(self.hardware.nonidealities, "currents", (x.shape[0], xbar.cols), rng)
                     for xbar in layer.crossbars]
            y = layer_outputs(x, [xbar.conductances for xbar in layer.crossbars], layer.k_g, layer.tiles,
                              self.hardware, currents, draws)
            x = sigmoid(y) if k < len(self.layers) - 1 else y
            energies.append(float(energy.mean()))
            ops += operations(*layer.shape)
            peripheral += sum(xbar.rows * self.hardware.energy.dac_energy + xbar.cols * self.hardware.energy.adc_energy
                              for xbar in layer.crossbars)
        return Inference(x, float(sum(energies)), tuple(energies), ops, peripheral, time.perf_counter() - start)


def program(weights: Sequence[np.ndarray], hardware: Hardware, rng: np.random.Generator) -> ProgrammedNetwork:
    """Program a network's weights onto crossbars, drawing every programming-time nonideality.

    Args:
        weights: Per layer, the (K, N) weights, last row the bias.
        hardware: The hardware.
        rng: Generator of the programming nonidealities and the per-device I–V parameters.

    Returns:
        The :class:`ProgrammedNetwork`.
    """
    layers = []
    for w in weights:
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 2 or not np.isfinite(w).all():
            raise InputError(f"weights must be finite 2-D (inputs + 1, outputs) arrays, got shape {w.shape}")
        layer_tiles, k_g, targets = map_layer(w, hardware)
        crossbars = []
        for g in targets:
            draws = nid.sample_stage(hardware.nonidealities, "conductances", g.shape, rng)
            g = nid.apply_stage(g, hardware.nonidealities, "conductances", draws, Context(hardware.devices,
                                                                                        hardware.mapping))
            n = hardware.devices.sample_n(g.shape, rng)
            crossbars.append(Crossbar(g, r_wl=hardware.r_line, r_bl=hardware.r_line,
                                      device=hardware.devices.model(n)))
        layers.append(ProgrammedLayer(w.shape, tuple(layer_tiles), float(k_g), tuple(crossbars)))
    return ProgrammedNetwork(hardware, tuple(layers))
