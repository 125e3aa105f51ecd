"""Device sets: a conductance range and an I–V nonlinearity whose parameter is drawn per device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.devices import get_model
from memxbar.devices.base import DeviceModel
from memxbar.errors import InputError

N_MINIMUM = 2.0
"""Smallest nonlinearity parameter n of the power law (n = 2 is ohmic); draws are truncated here."""


@dataclass(frozen=True)
class DeviceSet:
    """The devices of a crossbar network: range [g_off, g_on] and per-device power-law nonlinearity.

    The I–V characteristic is the power law of Joksas et al., Adv. Sci. 9, 2105784 (2022),
    I = sgn(V)·G·V_ref·(|V|/V_ref)^log2(n) (:class:`memxbar.devices.power_law.PowerLaw`), with n
    drawn for every device from a normal distribution N(n_mean, n_std²) truncated at n = 2 (as in
    the paper). ``n_mean = 2`` and ``n_std = 0`` give ohmic devices.
    """

    name: str
    """Label in tables, e.g. ``"low-R"``."""
    g_off: float
    """Lowest programmable conductance G_off (G_min in the paper), in siemens (S)."""
    g_on: float
    """Highest programmable conductance G_on (G_max in the paper), in siemens (S)."""
    n_mean: float = 2.0
    """Mean of the nonlinearity parameter n = I(2V)/I(V) (dimensionless, ≥ 2)."""
    n_std: float = 0.0
    """Standard deviation of n across devices (dimensionless, ≥ 0)."""
    vref: float = 0.25
    """Reference voltage V_ref at which I = G·V_ref, in volts (V)."""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.g_off) and np.isfinite(self.g_on) and 0 < self.g_off < self.g_on):
            raise InputError(f"device set {self.name}: need 0 < g_off < g_on (S), got {self.g_off:g}, {self.g_on:g}")
        if not (np.isfinite(self.n_mean) and self.n_mean >= N_MINIMUM):
            raise InputError(f"device set {self.name}: n_mean must be >= 2, got {self.n_mean:g}")
        if not (np.isfinite(self.n_std) and self.n_std >= 0):
            raise InputError(f"device set {self.name}: n_std must be >= 0, got {self.n_std:g}")
        if not (np.isfinite(self.vref) and self.vref > 0):
            raise InputError(f"device set {self.name}: vref must be > 0 V, got {self.vref:g}")

    @property
    def linear(self) -> bool:
        """Whether every device is ohmic (n = 2 exactly)."""
        return self.n_mean == N_MINIMUM and self.n_std == 0

    def sample_n(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Per-device n of the given shape: N(n_mean, n_std²) truncated at 2, by redrawing values below 2."""
        n = rng.normal(self.n_mean, self.n_std, shape) if self.n_std else np.full(shape, self.n_mean)
        low = n < N_MINIMUM
        while low.any():
            n[low] = rng.normal(self.n_mean, self.n_std, int(low.sum()))
            low = n < N_MINIMUM
        return n

    def model(self, n: np.ndarray) -> DeviceModel:
        """The memxbar device model of devices with per-device nonlinearity ``n`` (ohmic if all n = 2)."""
        if np.all(n == N_MINIMUM):
            return get_model("ohmic")
        return get_model("power-law", n=n, vref=self.vref)


LOW_R = DeviceSet("low-R", 1 / 1003.0, 1 / 284.6, 2.132, 0.095)
"""Low-resistance SiOx devices of Joksas et al., Adv. Sci. 9, 2105784 (2022): G ∈ [1/1003 Ω, 1/284.6 Ω],
n = 2.132 ± 0.095 (values of the authors' public code)."""

HIGH_R = DeviceSet("high-R", 1 / 1.295e6, 1 / 366.2e3, 2.989, 0.369)
"""High-resistance SiOx devices of Joksas et al., Adv. Sci. 9, 2105784 (2022): G ∈ [1/1.295 MΩ, 1/366.2 kΩ],
n = 2.989 ± 0.369 (values of the authors' public code)."""

DEVICE_SETS = {LOW_R.name: LOW_R, HIGH_R.name: HIGH_R}
"""The named device sets."""
