"""Nonidealities of memristive networks: documented, seeded, composable models, each with its source.

A nonideality acts at one **stage** of a layer's computation and the stages are applied in a
fixed order (``order``, smallest first):

1. ``"inputs"``: the digital inputs x ∈ [0, 1] before they become read voltages (:class:`DAC`);
2. ``"conductances"``: each tile's conductances after mapping, once when the network is
   programmed: :class:`FiniteLevels` (the programming target snaps to a level), then
   :class:`ProgrammingError` (the write misses it), :class:`DeviceVariability` (device-to-device
   spread), :class:`StuckDevices` (devices that ignore programming) and :class:`Drift` (relaxation
   until the read time);
3. the circuit: line resistance and the I–V nonlinearity (:class:`memxbar.nn.devices.DeviceSet`)
   are solved exactly together by memxbar, not modelled here;
4. ``"currents"``: each tile's column currents, fresh at every read: :class:`ReadNoise`, then
   the :class:`ADC`; the tiles' outputs are then added digitally.

Random numbers come from the generator passed to :meth:`Nonideality.sample` (NumPy), so results
are reproducible from a seed; :meth:`Nonideality.apply` is pure arithmetic in an array namespace
(:class:`Ops`), so training with JAX applies exactly the same models (rounding passes gradients
straight through there).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from memxbar.errors import InputError
from memxbar.nn.devices import DeviceSet
from memxbar.nn.mapping import Mapping

STAGES = ("inputs", "conductances", "currents")
"""Where a nonideality acts, in order."""


@dataclass(frozen=True)
class Ops:
    """Array operations of the nonidealities: NumPy for inference, JAX (straight-through rounding) for training."""

    xp: ModuleType
    """Array namespace (``numpy`` or ``jax.numpy``)."""
    round: Callable[[Any], Any]
    """Rounding to the nearest integer (its gradient is taken as 1 in training)."""


NUMPY_OPS = Ops(np, np.round)
"""Plain NumPy operations."""


@dataclass(frozen=True)
class Context:
    """What a nonideality may need besides the value it changes."""

    devices: DeviceSet
    """The device set (range G_off, G_on)."""
    mapping: Mapping
    """The mapping (read-voltage scale, scheme)."""
    conductances: Any = None
    """Currents stage: the tile's (rows, cols) conductances in S."""
    voltages: Any = None
    """Currents stage: the tile's (B, rows) read voltages in V."""


class Nonideality(ABC):
    """One nonideality: where it acts (``stage``, ``order``), its random draw and its effect."""

    stage: ClassVar[str]
    """``"inputs"``, ``"conductances"`` or ``"currents"``."""
    order: ClassVar[int]
    """Position in the composition order (see the module docstring)."""
    source: ClassVar[str]
    """The paper (and equation) the model is taken from."""

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray | None:
        """Random numbers this nonideality needs for a value of ``shape`` (None if deterministic)."""
        return None

    @abstractmethod
    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        """The value after this nonideality, given the draw from :meth:`sample`."""

    def _check(self, name: str, value: object, low: float, high: float = np.inf, integer: bool = False) -> None:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = np.nan
        if not (np.isfinite(number) and low <= number <= high and (not integer or number.is_integer())):
            label = f"in [{low:g}, {high:g}]" if np.isfinite(high) else f">= {low:g}"
            kind = "a whole number " if integer else ""
            raise InputError(f"{type(self).__name__}: {name} must be {kind}{label}, got {value!r}")


def _quantize(value: Any, full_scale: Any, steps: int, ops: Ops) -> Any:
    """Uniform quantizer with steps + 1 levels on [0, full_scale], clipping outside."""
    return ops.round(ops.xp.clip(value / full_scale, 0.0, 1.0) * steps) * (full_scale / steps)


@dataclass(frozen=True)
class DAC(Nonideality):
    """Input digital-to-analogue converter of ``bits`` bits: x ∈ [0, 1] rounded to 2^bits uniform levels.

    Source: the uniform quantizer of DAC/ADC-based crossbar accelerators, e.g. Shafiee et al.,
    ISAAC, ISCA 2016 (Section 4).
    """

    bits: int = 8
    """Resolution in bits (≥ 1)."""
    stage: ClassVar[str] = "inputs"
    order: ClassVar[int] = 0
    source: ClassVar[str] = "Shafiee et al., ISAAC, ISCA 2016 (uniform DAC)"

    def __post_init__(self) -> None:
        self._check("bits", self.bits, 1, 24, integer=True)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        return _quantize(value, 1.0, 2 ** int(self.bits) - 1, ops)


@dataclass(frozen=True)
class FiniteLevels(Nonideality):
    """A finite number of programmable conductance levels, uniform on [G_off, G_on]: G snaps to the nearest.

    Source: multi-level RRAM programming, e.g. Li et al., Nat. Electron. 1, 52 (2018) (64 levels).
    """

    levels: int = 64
    """Number of levels (≥ 2)."""
    stage: ClassVar[str] = "conductances"
    order: ClassVar[int] = 10
    source: ClassVar[str] = "Li et al., Nat. Electron. 1, 52 (2018): multi-level conductance programming"

    def __post_init__(self) -> None:
        self._check("levels", self.levels, 2, 2**24, integer=True)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        low, high = context.devices.g_off, context.devices.g_on
        return low + _quantize(value - low, high - low, int(self.levels) - 1, ops)


@dataclass(frozen=True)
class ProgrammingError(Nonideality):
    """Write error: G + σ·(G_on − G_off)·ε, ε ~ N(0, 1) per device, then clipped at 0 S.

    Source: Gaussian programming noise of Joshi et al., Nat. Commun. 11, 2473 (2020) (here with
    a standard deviation relative to the conductance range).
    """

    sigma: float = 0.01
    """Standard deviation as a fraction of G_on − G_off (≥ 0)."""
    stage: ClassVar[str] = "conductances"
    order: ClassVar[int] = 20
    source: ClassVar[str] = "Joshi et al., Nat. Commun. 11, 2473 (2020): programming noise"

    def __post_init__(self) -> None:
        self._check("sigma", self.sigma, 0.0, 10.0)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal(shape)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        spread = self.sigma * (context.devices.g_on - context.devices.g_off)
        return ops.xp.maximum(value + spread * noise, 0.0)


@dataclass(frozen=True)
class DeviceVariability(Nonideality):
    """Device-to-device variability: G·exp(σ(G)·ε), ε ~ N(0, 1) per device (lognormal, median kept).

    The log-spread σ may depend on the state: linear in G from ``sigma_off`` at G_off to
    ``sigma_on`` at G_on (both equal by default). Source: the lognormal device-to-device model of
    Joksas et al., Adv. Sci. 9, 2105784 (2022).
    """

    sigma_on: float = 0.1
    """Standard deviation of ln G at G_on (≥ 0)."""
    sigma_off: float | None = None
    """Standard deviation of ln G at G_off (≥ 0); None: the same as ``sigma_on``."""
    stage: ClassVar[str] = "conductances"
    order: ClassVar[int] = 30
    source: ClassVar[str] = "Joksas et al., Adv. Sci. 9, 2105784 (2022): lognormal device-to-device variability"

    def __post_init__(self) -> None:
        self._check("sigma_on", self.sigma_on, 0.0, 10.0)
        if self.sigma_off is not None:
            self._check("sigma_off", self.sigma_off, 0.0, 10.0)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal(shape)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        low, high = context.devices.g_off, context.devices.g_on
        off = self.sigma_on if self.sigma_off is None else self.sigma_off
        sigma = off + (self.sigma_on - off) * ops.xp.clip((value - low) / (high - low), 0.0, 1.0)
        return value * ops.xp.exp(sigma * noise)


@dataclass(frozen=True)
class StuckDevices(Nonideality):
    """Devices stuck at G_on (fraction ``fraction_on``) or at G_off (``fraction_off``), chosen at random.

    Source: stuck devices of Joksas et al., Adv. Sci. 9, 2105784 (2022).
    """

    fraction_on: float = 0.0
    """Fraction of devices stuck at G_on."""
    fraction_off: float = 0.0
    """Fraction of devices stuck at G_off."""
    stage: ClassVar[str] = "conductances"
    order: ClassVar[int] = 40
    source: ClassVar[str] = "Joksas et al., Adv. Sci. 9, 2105784 (2022): devices stuck at G_on / G_off"

    def __post_init__(self) -> None:
        self._check("fraction_on", self.fraction_on, 0.0, 1.0)
        self._check("fraction_off", self.fraction_off, 0.0, 1.0 - self.fraction_on)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(size=shape)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        xp = ops.xp
        on = noise < self.fraction_on
        off = (noise >= self.fraction_on) & (noise < self.fraction_on + self.fraction_off)
        return xp.where(on, context.devices.g_on, xp.where(off, context.devices.g_off, value))


@dataclass(frozen=True)
class Drift(Nonideality):
    """Conductance drift: G·(t/t0)^(−ν), ν ~ N(nu_mean, nu_std²) per device, clipped at 0.

    Source: the power-law drift of Joshi et al., Nat. Commun. 11, 2473 (2020), Eq. (1) (phase-change
    memory, where ν ≈ 0.05 is typical).
    """

    time: float = 3600.0
    """Time since programming at which the network is read, in seconds (s)."""
    t0: float = 1.0
    """Reference time at which G is the programmed value, in seconds (s)."""
    nu_mean: float = 0.05
    """Mean drift exponent ν (dimensionless)."""
    nu_std: float = 0.0
    """Standard deviation of ν across devices."""
    stage: ClassVar[str] = "conductances"
    order: ClassVar[int] = 50
    source: ClassVar[str] = "Joshi et al., Nat. Commun. 11, 2473 (2020), Eq. (1): power-law drift"

    def __post_init__(self) -> None:
        self._check("t0", self.t0, 1e-300)
        self._check("time", self.time, self.t0)
        self._check("nu_mean", self.nu_mean, 0.0, 10.0)
        self._check("nu_std", self.nu_std, 0.0, 10.0)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.maximum(rng.normal(self.nu_mean, self.nu_std, shape), 0.0)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        return value * ops.xp.exp(-noise * np.log(self.time / self.t0))


@dataclass(frozen=True)
class ReadNoise(Nonideality):
    """Read noise, fresh at every read: each device current G·V gets a Gaussian error σ·G·V.

    The column currents gain σ·sqrt(Σ_i (G_ij·V_i)²)·ε, ε ~ N(0, 1) per column and input vector:
    exact for independent device noise with ideal wires (an approximation with line resistance
    or nonlinear devices). Source: read noise of Joshi et al., Nat. Commun. 11, 2473 (2020).
    """

    sigma: float = 0.01
    """Relative standard deviation of each device's read current (≥ 0)."""
    stage: ClassVar[str] = "currents"
    order: ClassVar[int] = 60
    source: ClassVar[str] = "Joshi et al., Nat. Commun. 11, 2473 (2020): read noise"

    def __post_init__(self) -> None:
        self._check("sigma", self.sigma, 0.0, 10.0)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal(shape)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        spread = ops.xp.sqrt((context.voltages**2) @ (context.conductances**2))
        return value + self.sigma * spread * noise


@dataclass(frozen=True)
class ADC(Nonideality):
    """Column analogue-to-digital converter of ``bits`` bits on [0, I_fs], clipping outside.

    Full scale I_fs = ``full_scale`` · k_V · G_on · rows (the tile's largest possible column
    current times ``full_scale``). Source: the uniform ADC of Shafiee et al., ISAAC, ISCA 2016.
    """

    bits: int = 8
    """Resolution in bits (≥ 1)."""
    full_scale: float = 1.0
    """Full scale as a fraction of the largest possible column current (> 0)."""
    stage: ClassVar[str] = "currents"
    order: ClassVar[int] = 70
    source: ClassVar[str] = "Shafiee et al., ISAAC, ISCA 2016 (uniform ADC)"

    def __post_init__(self) -> None:
        self._check("bits", self.bits, 1, 24, integer=True)
        self._check("full_scale", self.full_scale, 1e-12, 1e12)

    def apply(self, value: Any, noise: Any, context: Context, ops: Ops = NUMPY_OPS) -> Any:
        rows = context.conductances.shape[0]
        i_fs = self.full_scale * context.mapping.v_read * context.devices.g_on * rows
        return _quantize(value, i_fs, 2 ** int(self.bits) - 1, ops)


def compose(nonidealities: Sequence[Nonideality]) -> tuple[Nonideality, ...]:
    """The nonidealities in composition order; at most one of each kind.

    Raises:
        InputError: If an entry is not a :class:`Nonideality` or a kind is repeated.
    """
    for item in nonidealities:
        if not isinstance(item, Nonideality):
            raise InputError(f"nonidealities must be memxbar.nn.nonidealities models, got {type(item).__name__}")
    kinds = [type(item).__name__ for item in nonidealities]
    repeated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if repeated:
        raise InputError(f"nonidealities: each kind at most once; repeated: {', '.join(repeated)}")
    return tuple(sorted(nonidealities, key=lambda item: item.order))


def of_stage(nonidealities: Sequence[Nonideality], stage: str) -> tuple[Nonideality, ...]:
    """The nonidealities acting at ``stage``, in composition order."""
    return tuple(item for item in compose(nonidealities) if item.stage == stage)


def sample_stage(nonidealities: Sequence[Nonideality], stage: str, shape: tuple[int, ...],
                 rng: np.random.Generator) -> list[np.ndarray | None]:
    """One draw per nonideality of ``stage`` for a value of ``shape``, in composition order."""
    return [item.sample(shape, rng) for item in of_stage(nonidealities, stage)]


def apply_stage(value: Any, nonidealities: Sequence[Nonideality], stage: str, draws: Sequence[Any],
                context: Context, ops: Ops = NUMPY_OPS) -> Any:
    """``value`` after every nonideality of ``stage``, in composition order, with draws from :func:`sample_stage`."""
    for item, noise in zip(of_stage(nonidealities, stage), draws, strict=True):
        value = item.apply(value, noise, context, ops)
    return value


def from_settings(d2d: float | None = None, stuck_on: float = 0.0, stuck_off: float = 0.0,
                  programming_error: float | None = None, levels: int | None = None, drift_time: float | None = None,
                  drift_nu: float = 0.05, read_noise: float | None = None, dac_bits: int | None = None,
                  adc_bits: int | None = None) -> tuple[Nonideality, ...]:
    """The nonidealities of plain settings (those of ``memxbar nn`` and of network sweep points); None leaves one out.

    Args:
        d2d: :class:`DeviceVariability` standard deviation of ln G.
        stuck_on: :class:`StuckDevices` fraction at G_on (with ``stuck_off``; both 0: none).
        stuck_off: :class:`StuckDevices` fraction at G_off.
        programming_error: :class:`ProgrammingError` standard deviation, fraction of G_on − G_off.
        levels: :class:`FiniteLevels` number of levels.
        drift_time: :class:`Drift` read time after programming, in seconds (s).
        drift_nu: :class:`Drift` mean exponent ν.
        read_noise: :class:`ReadNoise` relative standard deviation.
        dac_bits: :class:`DAC` resolution in bits.
        adc_bits: :class:`ADC` resolution in bits.

    Returns:
        The nonidealities, in composition order.

    Raises:
        InputError: If a value is out of its model's range, naming the model and the value.
    """
    chosen: list[Nonideality] = []
    if d2d is not None:
        chosen.append(DeviceVariability(d2d))
    if stuck_on or stuck_off:
        chosen.append(StuckDevices(stuck_on, stuck_off))
    if programming_error is not None:
        chosen.append(ProgrammingError(programming_error))
    if levels is not None:
        chosen.append(FiniteLevels(levels))
    if drift_time is not None:
        chosen.append(Drift(drift_time, nu_mean=drift_nu))
    if read_noise is not None:
        chosen.append(ReadNoise(read_noise))
    if dac_bits is not None:
        chosen.append(DAC(dac_bits))
    if adc_bits is not None:
        chosen.append(ADC(adc_bits))
    return compose(chosen)
