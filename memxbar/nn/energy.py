"""Energy of crossbar computation from the solved circuit: per VMM, per inference, and TOPS/W.

The static power of a tile for one input vector is the power its sources deliver,
P = Σ_i V_i·I_in,i (:attr:`memxbar.Solution.power_total`), which equals the power dissipated in
the devices, the word and bit lines, the drivers' and the sense amplifiers' resistances
(:func:`energy_breakdown`; an exact identity of the solved circuit). A read lasts ``t_read``, so
one vector–matrix multiply (VMM) costs E = P·t_read. An M×N weight matrix performs 2·M·N
operations (a multiply and an add per weight) per VMM, and TOPS/W = operations / E / 10¹².
Peripheral energy (DACs, ADCs) comes from user-supplied figures per conversion and is reported
separately: the circuit does not model the converters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memxbar.errors import InputError
from memxbar.solution import Solution


@dataclass(frozen=True)
class EnergyModel:
    """Read time and peripheral energy figures."""

    t_read: float = 10e-9
    """Duration of one read (one VMM), in seconds (s)."""
    dac_energy: float = 0.0
    """Energy of one digital-to-analogue conversion (one word line driven once), in joules (J)."""
    adc_energy: float = 0.0
    """Energy of one analogue-to-digital conversion (one bit line read once), in joules (J)."""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.t_read) and self.t_read > 0):
            raise InputError(f"t_read must be a time > 0 s, got {self.t_read!r}")
        for name in ("dac_energy", "adc_energy"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be an energy >= 0 J, got {value!r}")


def vmm_energy(solution: Solution, t_read: float) -> np.ndarray:
    """Energy (J) of each VMM of a solved tile: power delivered by the sources × ``t_read``; (B,) or a scalar."""
    return np.asarray(solution.power_total) * t_read


def energy_breakdown(solution: Solution, t_read: float) -> dict[str, np.ndarray]:
    """Energy (J) per VMM dissipated in each kind of element, and the total delivered by the sources.

    Keys: ``devices``, ``word_lines``, ``bit_lines``, ``drivers``, ``sense``, ``total``. The first
    five add up to ``total`` (to solver precision).

    Raises:
        NotComputedError: If ``solution`` is outputs-only (it has no device currents).
    """
    parts = {
        "devices": solution.power_devices,
        "word_lines": solution.power_word_lines,
        "bit_lines": solution.power_bit_lines,
        "drivers": solution.power_drivers,
        "sense": solution.power_sense,
        "total": solution.power_total,
    }
    return {name: np.asarray(power) * t_read for name, power in parts.items()}


def operations(rows: int, cols: int) -> int:
    """Operations of one VMM with a rows × cols weight matrix: 2·rows·cols (multiply and add)."""
    return 2 * rows * cols


def tops_per_watt(ops: float, energy: float) -> float:
    """Tera-operations per second per watt, i.e. operations per joule / 10¹²."""
    return ops / energy / 1e12
