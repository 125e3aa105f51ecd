"""The periodic voltage applied to a device: sine or triangle, in NumPy and as an ngspice source."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.errors import InputError
from memxbar.inputs import MAX_VOLTS

WAVEFORMS = ("sine", "triangle")
"""Shapes of the applied voltage."""


@dataclass(frozen=True)
class Stimulus:
    """A zero-mean periodic voltage starting at 0 V and rising: V(t) = A·s(f·t) for ``cycles`` periods."""

    amplitude: float
    """Peak voltage A in volts (V), > 0."""
    frequency: float
    """Frequency f in hertz (Hz), > 0."""
    cycles: float = 2.0
    """Number of periods applied, > 0."""
    waveform: str = "sine"
    """``"sine"`` (s = sin 2πft) or ``"triangle"`` (0 → A at T/4 → −A at 3T/4 → 0 at T)."""

    def __post_init__(self) -> None:
        for name in ("amplitude", "frequency", "cycles"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"{name} of the stimulus must be a positive number, got {value!r}")
        if self.amplitude > MAX_VOLTS:
            raise InputError(f"amplitude is {self.amplitude:.3g} V, above {MAX_VOLTS:.0e} V; voltages are in volts: "
                             "check the units")
        if self.waveform not in WAVEFORMS:
            raise InputError(f"waveform must be one of {', '.join(WAVEFORMS)}, got {self.waveform!r}")

    @property
    def period(self) -> float:
        """One period T = 1/f in seconds."""
        return 1.0 / self.frequency

    @property
    def duration(self) -> float:
        """Total time ``cycles``·T in seconds."""
        return self.cycles * self.period

    def voltage(self, t: np.ndarray | float) -> np.ndarray:
        """The voltage (V) at times ``t`` (s)."""
        phase = np.asarray(t, dtype=np.float64) * self.frequency
        if self.waveform == "sine":
            return self.amplitude * np.sin(2.0 * np.pi * phase)
        return self.amplitude * (1.0 - np.abs(4.0 * np.mod(phase + 0.25, 1.0) - 2.0))

    def breakpoints(self) -> np.ndarray:
        """Times (s) where the triangle changes slope (integrators must step onto them); none for a sine."""
        if self.waveform == "sine":
            return np.zeros(0)
        quarter = np.arange(1, int(np.ceil(4 * self.cycles)) + 1, 2) / 4.0
        return quarter[quarter < self.cycles] * self.period

    def spice_source(self, name: str, node: str) -> str:
        """An ngspice independent voltage source card from ``node`` to ground."""
        if self.waveform == "sine":
            return f"{name} {node} 0 DC 0 SIN(0 {self.amplitude!r} {self.frequency!r})"
        times = np.concatenate([[0.0], self.breakpoints(), [self.duration]])
        points = " ".join(f"{float(t)!r} {float(self.voltage(t))!r}" for t in times)
        return f"{name} {node} 0 DC 0 PWL({points})"
