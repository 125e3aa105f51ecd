"""Network sweep points: an MLP trained, programmed onto crossbars and run through their circuits.

A :class:`NetworkExperiment` is one configuration of the study behind ``memxbar nn`` (device set,
line resistance, training) and one seed, with the tile size and the nonidealities as parameters
too. Its point is evaluated exactly as the study evaluates it (:func:`memxbar.nn.study.trained_network`
and :func:`memxbar.nn.study.evaluate`), so a sweep row and ``memxbar nn`` agree for the same
settings and seed. A sweep configuration chooses these points with ``kind = "network"``.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from memxbar.errors import InputError
from memxbar.sweeps.spec import check_value, choice_rule, number_rule, whole_rule

DEVICE_SETS = ("low-R", "high-R", "custom")
"""Accepted values of :attr:`NetworkExperiment.devices` (the named sets of :mod:`memxbar.nn.devices`, or custom)."""

DEVICE_FIELDS = ("g_off", "g_on", "n_mean", "n_std")
"""Fields that describe the devices: set by hand for ``devices = "custom"``, from the named set otherwise."""

TRAININGS = ("plain", "aware-ideal", "aware-circuit")
"""Accepted values of :attr:`NetworkExperiment.training` (see :mod:`memxbar.nn.training`)."""


def _path_rule() -> dict[str, Any]:
    return {"kind": str, "choices": None, "folder": True, "unit": ""}


@dataclass(frozen=True)
class NetworkExperiment:
    """An MLP (inputs-hidden-classes, sigmoid) on crossbars: data, hardware, nonidealities, training, seed.

    Every field is a sweepable parameter: a key of a network sweep's ``base`` and ``grid`` and a
    column of its results. Nonidealities whose value is 0 are left out. For a named device set
    (``low-R``, ``high-R``: Joksas et al., Adv. Sci. 9, 2105784, 2022) the device fields hold the
    set's values; for ``custom`` they are taken as given.
    """

    dataset: str = field(default="digits", metadata=choice_rule(("digits", "mnist")))
    """``"digits"`` (scikit-learn's bundled 8×8 digits) or ``"mnist"`` (the user's files in ``data``)."""
    data: str = field(default="", metadata=_path_rule())
    """MNIST: a folder of the four IDX files or an ``.npz`` (never downloaded); "" for digits."""
    hidden: int = field(default=25, metadata=whole_rule(1))
    """Hidden-layer size (one hidden layer, sigmoid)."""
    tile_rows: int = field(default=128, metadata=whole_rule(2))
    """Word lines per crossbar tile (inputs, bias included); a larger layer is tiled."""
    tile_cols: int = field(default=128, metadata=whole_rule(2))
    """Bit lines per crossbar tile."""
    scheme: str = field(default="differential", metadata=choice_rule(("differential", "offset")))
    """Signed weights as differential column pairs or with an offset reference column."""
    r_line: float = field(default=0.0, metadata=number_rule(0.0, "Ω"))
    """Resistance of every word- and bit-line segment, in ohms (Ω)."""
    devices: str = field(default="low-R", metadata=choice_rule(DEVICE_SETS))
    """Device set: ``"low-R"``, ``"high-R"`` or ``"custom"`` (``g_off``, ``g_on``, ``n_mean``, ``n_std``)."""
    g_off: float = field(default=0.0, metadata=number_rule(0.0, "S"))
    """Lowest programmable conductance G_off in siemens (S); custom devices only."""
    g_on: float = field(default=0.0, metadata=number_rule(0.0, "S"))
    """Highest programmable conductance G_on in siemens (S); custom devices only."""
    n_mean: float = field(default=2.0, metadata=number_rule(2.0, ""))
    """Mean power-law nonlinearity n = I(2V)/I(V) (2: ohmic); custom devices only."""
    n_std: float = field(default=0.0, metadata=number_rule(0.0, ""))
    """Standard deviation of n across devices (truncated normal); custom devices only."""
    d2d: float = field(default=0.0, metadata=number_rule(0.0, "", maximum=10.0))
    """Device-to-device variability: standard deviation of ln G (0: none)."""
    stuck_on: float = field(default=0.0, metadata=number_rule(0.0, "", maximum=1.0))
    """Fraction of devices stuck at G_on."""
    stuck_off: float = field(default=0.0, metadata=number_rule(0.0, "", maximum=1.0))
    """Fraction of devices stuck at G_off."""
    programming_error: float = field(default=0.0, metadata=number_rule(0.0, "", maximum=10.0))
    """Write error standard deviation as a fraction of G_on − G_off (0: none)."""
    levels: int = field(default=0, metadata=whole_rule(0))
    """Programmable conductance levels (0: continuous; else at least 2)."""
    drift_time: float = field(default=0.0, metadata=number_rule(0.0, "s"))
    """Time after programming at which the network is read, for power-law drift, in s (0: none; else >= 1 s)."""
    drift_nu: float = field(default=0.05, metadata=number_rule(0.0, "", maximum=10.0))
    """Mean drift exponent ν."""
    read_noise: float = field(default=0.0, metadata=number_rule(0.0, "", maximum=10.0))
    """Relative read noise of each device current (0: none)."""
    dac_bits: int = field(default=0, metadata=whole_rule(0))
    """Input DAC resolution in bits (0: ideal inputs)."""
    adc_bits: int = field(default=0, metadata=whole_rule(0))
    """Column ADC resolution in bits (0: ideal outputs)."""
    v_read: float = field(default=0.5, metadata=number_rule(0.0, "V", strict=True))
    """Read voltage of input 1 (k_V), in volts (V)."""
    t_read: float = field(default=1e-8, metadata=number_rule(0.0, "s", strict=True))
    """Read time per VMM, in seconds (s)."""
    dac_energy: float = field(default=0.0, metadata=number_rule(0.0, "J"))
    """Energy per DAC conversion, in joules (J)."""
    adc_energy: float = field(default=0.0, metadata=number_rule(0.0, "J"))
    """Energy per ADC conversion, in joules (J)."""
    training: str = field(default="plain", metadata=choice_rule(TRAININGS))
    """``"plain"``, ``"aware-ideal"`` or ``"aware-circuit"`` (the aware-ideal network at 0 Ω)."""
    epochs: int = field(default=30, metadata=whole_rule(1))
    """Training epochs (plain and aware-ideal)."""
    circuit_steps: int = field(default=10, metadata=whole_rule(0))
    """Minibatches of fine-tuning through the circuit (aware-circuit)."""
    circuit_batch: int = field(default=16, metadata=whole_rule(1))
    """Minibatch size of the fine-tuning through the circuit."""
    test_samples: int = field(default=150, metadata=whole_rule(0))
    """Test inputs run through the circuits (the first ones of the test set; 0: all)."""
    seed: int = field(default=0, metadata=whole_rule(0))
    """Seed of the initial weights, the minibatches and every nonideality draw."""

    def __post_init__(self) -> None:
        for item in fields(self):
            try:
                object.__setattr__(self, item.name, check_value(item.metadata, getattr(self, item.name)))
            except InputError as exc:
                raise InputError(f"{item.name}: {exc}") from None
        if (self.dataset == "mnist") != bool(self.data):
            raise InputError("data: give the MNIST files (a folder or .npz) with dataset = \"mnist\", "
                             "and none with \"digits\"")
        if self.devices != "custom":
            from memxbar.nn.devices import DEVICE_SETS as NAMED

            named = NAMED[self.devices]
            for name in DEVICE_FIELDS:
                object.__setattr__(self, name, float(getattr(named, name)))
        self.hardware()

    def hardware(self) -> Any:
        """The :class:`memxbar.nn.network.Hardware` of this point.

        Raises:
            InputError: If the devices, the mapping or a nonideality is inconsistent (e.g. g_off >= g_on).
        """
        from memxbar.nn.devices import DeviceSet
        from memxbar.nn.energy import EnergyModel
        from memxbar.nn.mapping import Mapping as Layout
        from memxbar.nn.network import Hardware
        from memxbar.nn.nonidealities import from_settings

        devices = DeviceSet(self.devices, self.g_off, self.g_on, self.n_mean, self.n_std)
        nonidealities = from_settings(
            d2d=self.d2d or None, stuck_on=self.stuck_on, stuck_off=self.stuck_off,
            programming_error=self.programming_error or None, levels=self.levels or None,
            drift_time=self.drift_time or None, drift_nu=self.drift_nu, read_noise=self.read_noise or None,
            dac_bits=self.dac_bits or None, adc_bits=self.adc_bits or None,
        )
        return Hardware(devices, self.r_line, Layout(self.scheme, self.v_read, self.tile_rows, self.tile_cols),
                        nonidealities, EnergyModel(self.t_read, self.dac_energy, self.adc_energy))

    def training_options(self) -> Any:
        """The :class:`memxbar.nn.training.TrainingOptions` of this point (needs the ``nn`` extra)."""
        from memxbar.nn.training import TrainingOptions

        return TrainingOptions(hidden=(self.hidden,), epochs=self.epochs, circuit_steps=self.circuit_steps,
                               circuit_batch=self.circuit_batch)

    def parameters(self) -> dict[str, Any]:
        """The parameters as a plain dictionary in field order."""
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def flat(self) -> dict[str, Any]:
        """Every sweepable parameter by name (the same as :meth:`parameters`)."""
        return self.parameters()

    @property
    def point_id(self) -> str:
        """A stable id: the first 16 hex digits of the SHA-256 of the kind and the parameters as JSON."""
        text = json.dumps({"kind": "network", **self.parameters()}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf8")).hexdigest()[:16]


FIELDS: dict[str, Any] = {item.name: item for item in fields(NetworkExperiment)}
"""Sweepable parameter name → its dataclass field (type rules in ``metadata``)."""

PARAMETERS: tuple[str, ...] = tuple(FIELDS)
"""Every sweepable parameter name of a network point."""

METRICS: dict[str, str] = {
    "accuracy": "fraction of the test inputs whose largest class score, computed on the crossbars, is at their label",
    "accuracy_software": "the same for the trained weights in floating point, without hardware",
    "energy_per_inference_J": "crossbar energy of one inference: power delivered to every tile × t_read, summed over "
    "the layers, mean over the test inputs, in J",
    "tops_per_watt": "operations per inference / energy_per_inference_J / 1e12",
    "operations": "operations per inference: sum over layers of 2·K·N (bias rows included)",
    "peripheral_energy_J": "DAC and ADC energy per inference from dac_energy and adc_energy, in J (not included in "
    "energy_per_inference_J)",
    "time_train_s": "wall time of the training, in s",
    "time_circuit_s": "wall time of the circuit solves of the test inputs, in s",
}
"""Metric name → definition; the metric columns of a network results file, in order. Units are SI."""

TEXT_COLUMNS = ("dataset", "data", "scheme", "devices", "training")
"""Parameters whose values are text."""


def check_parameter(name: str, value: object) -> Any:
    """Check one parameter value and return it in its canonical type (see :func:`memxbar.sweeps.spec.check_value`)."""
    return check_value(FIELDS[name].metadata, value)


def unknown_parameter(path: str, name: object) -> InputError:
    """The error for a key that is no network parameter, suggesting the closest known name."""
    close = difflib.get_close_matches(str(name), PARAMETERS, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return InputError(f"{path}: unknown parameter of a network sweep; {hint}known: {', '.join(PARAMETERS)}")


def parameter_unit(name: str) -> str:
    """SI unit of a parameter ("" for counts, names and dimensionless numbers)."""
    return FIELDS[name].metadata["unit"]


def parameter_kind(name: str) -> type:
    """Python type of a parameter's values: int, float or str."""
    return FIELDS[name].metadata["kind"]


def experiment(values: Mapping[str, Any]) -> NetworkExperiment:
    """The :class:`NetworkExperiment` of checked parameter values, defaults for the rest.

    Raises:
        InputError: If the combination cannot be built, naming the point's non-default parameters.
    """
    try:
        return NetworkExperiment(**values)
    except InputError as exc:
        given = ", ".join(f"{name}={value!r}" for name, value in values.items() if name != "seed")
        raise InputError(f"a point of the sweep cannot be built ({given or 'defaults'}): {exc}") from None


def check_points(points: Sequence[NetworkExperiment], given: set[str]) -> None:
    """Refuse device fields set for a sweep without custom devices, and a sweep without the ``nn`` extra.

    Raises:
        InputError: Naming the parameter, or the extra to install.
    """
    if not any(point.devices == "custom" for point in points):
        for name in sorted(given & set(DEVICE_FIELDS)):
            devices = ", ".join(sorted({point.devices for point in points}))
            raise InputError(f"{name} describes custom devices, but the sweep only uses {devices}; "
                             "set devices = \"custom\" or drop it")
    try:
        import jax  # noqa: F401
        import optax  # noqa: F401
    except ImportError as exc:
        raise InputError(f"network sweeps need the nn extra (JAX, optax): pip install 'memxbar[nn]' ({exc})") from None


@functools.lru_cache(maxsize=4)
def _dataset(name: str, path: str) -> Any:
    from memxbar.nn.data import load_digits, load_mnist

    return load_mnist(path) if name == "mnist" else load_digits()


def measure(point: NetworkExperiment) -> dict[str, float]:
    """Train the point's network, program it onto crossbars and run the test inputs through their circuits.

    Returns:
        Metric name → value for every name in :data:`METRICS`.

    Raises:
        ConvergenceError: If a nonlinear circuit solve does not converge.
    """
    import numpy as np

    from memxbar.nn.network import digital_forward
    from memxbar.nn.study import evaluate, test_set, trained_network

    data = _dataset(point.dataset, point.data)
    hardware = point.hardware()
    x, labels = test_set(data, point.test_samples or None)
    start = time.perf_counter()
    weights = trained_network(data, point.training, hardware, point.training_options(), point.seed)
    trained = time.perf_counter() - start
    run = evaluate(weights, hardware, x, labels, point.seed)
    software = float(np.mean(np.argmax(digital_forward(weights, x), axis=1) == labels))
    return {
        "accuracy": run["accuracy"],
        "accuracy_software": software,
        "energy_per_inference_J": run["energy_per_inference_J"],
        "tops_per_watt": run["tops_per_watt"],
        "operations": float(run["operations"]),
        "peripheral_energy_J": run["peripheral_energy_J"],
        "time_train_s": trained,
        "time_circuit_s": run["circuit_seconds"],
    }


START_SECONDS = 2.0
"""Rough cost of compiling the training step and loading the data, in seconds (measured on 2 cores, digits)."""
EPOCH_SECONDS = {"plain": 0.01, "aware": 1.8}
"""Rough cost of one training epoch on the digits, plain or nonideality-aware, in seconds."""
CIRCUIT_STEP_SECONDS = 2.0
"""Rough cost of one fine-tuning minibatch through the circuit, in seconds."""
TEST_SAMPLE_SECONDS = 0.015
"""Rough cost of running one test input through every tile's circuit, in seconds."""


def estimated_seconds(point: NetworkExperiment) -> float:
    """Order-of-magnitude run time of a point; only used to group points into tasks (each is one, as a rule)."""
    seconds = START_SECONDS + point.epochs * EPOCH_SECONDS["plain" if point.training == "plain" else "aware"]
    if point.training == "aware-circuit" and point.r_line > 0:
        seconds += point.circuit_steps * CIRCUIT_STEP_SECONDS
    return seconds + (point.test_samples or 450) * TEST_SAMPLE_SECONDS
