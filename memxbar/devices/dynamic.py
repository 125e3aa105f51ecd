"""What the dynamic models of memxbar share beyond :class:`~memxbar.devices.base.DynamicModel`.

Every state variable here is normalised to [0, 1] (the :class:`StateVariable` says what 0 and 1
are physically), because the state is also a node voltage in ngspice, whose tolerances are
absolute (1 µV): a filament gap of 1e-9 m as a voltage would drown in them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from memxbar.devices.base import DynamicModel, Parameter, expand
from memxbar.devices.expressions import fill
from memxbar.errors import InputError


def bound_width_parameter() -> Parameter:
    """The width of the smooth clamp of :func:`memxbar.devices.windows.bounded_rate`."""
    return Parameter(
        "bound_width",
        "1",
        1e-3,
        "Width of the smooth band at each end of the state range in which the paper's hard clamp of the "
        "state is replaced by a C¹ one (fraction of the range)",
        minimum=0.0,
        maximum=0.5,
        minimum_open=True,
    )


class Memristor(DynamicModel):
    """A dynamic model with its initial state and the sweep that characterises it.

    Each state variable ``s`` has a parameter ``s0``, its initial value (normalised), from the
    model's paper where it gives one. ``sweep_amplitude`` and ``sweep_frequency`` are the
    defaults of ``memxbar iv`` for the model: a periodic voltage that shows its pinched
    hysteresis loop.
    """

    sweep_amplitude: ClassVar[float]
    """Default amplitude (V) of the characterisation sweep."""
    sweep_frequency: ClassVar[float]
    """Default frequency (Hz) of the characterisation sweep."""
    verilog_a_selectors: ClassVar[dict[str, float]] = {}
    """Parameters of the shared Verilog-A module that select this model's variant (e.g. a window)."""
    ordered: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Pairs (low, high) of parameters whose values must satisfy low < high."""

    def __init__(self, **values: object) -> None:
        super().__init__(**values)
        for low, high in self.ordered:
            if np.any(self.values[high] <= self.values[low]):
                raise InputError(f"device parameter {high} of model {self.name} must exceed {low}")

    def verilog_a_values(self) -> dict[str, float]:
        """Instance parameters of the model's Verilog-A module: every parameter and the selectors."""
        values = {name: float(value) for name, value in self.values.items() if value.ndim == 0}
        return {**values, **self.verilog_a_selectors}

    def initial_state(self) -> np.ndarray:
        """The initial state (S,) or (S, M, N), from the parameters ``<state>0``."""
        values = [self.values[f"{state.name}0"] for state in self.states]
        return np.stack(np.broadcast_arrays(*values))

    def _p(self, name: str, like: np.ndarray) -> np.ndarray:
        """A parameter shaped to broadcast against ``like`` (whose leading axes are the devices)."""
        return expand(self.values[name], np.ndim(like))

    def _between(self, start: str, end: str, u: np.ndarray) -> np.ndarray:
        """The linear interpolation start + (end − start)·u of two parameters."""
        a, b = self._p(start, u), self._p(end, u)
        return a + (b - a) * u

    def _state_in_range(self, x: np.ndarray, g: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Check the state computed from conductances ``g`` (> 0 only) and return it, 0 for open devices.

        Raises:
            InputError: If a positive conductance is outside the model's range [low, high].
        """
        g = np.asarray(g, dtype=np.float64)
        closed = g > 0
        if np.any(closed & ((g < low * (1 - 1e-12)) | (g > high * (1 + 1e-12)))):
            bad = g[closed & ((g < low * (1 - 1e-12)) | (g > high * (1 + 1e-12)))]
            raise InputError(
                f"conductance {bad.flat[0]:g} S is outside the range of device model {self.name}, "
                f"[{np.min(low):g}, {np.max(high):g}] S; scale the conductances or change the model parameters"
            )
        return np.where(closed, np.clip(x, 0.0, 1.0), 0.0)


class ResistiveMemristor(Memristor):
    """A dynamic model whose current at a frozen state is ohmic, I = V/R(x), with one state x.

    Subclasses give R(x) (NumPy and ngspice) and its inverse; the read characteristic at a
    conductance G is then I = G·V.
    """

    @abstractmethod
    def _resistance(self, x: np.ndarray) -> np.ndarray:
        """R(x) in ohms."""

    @abstractmethod
    def _resistance_spice(self, x: np.ndarray) -> np.ndarray:
        """ngspice expressions of R(x) for state expressions ``x``."""

    @abstractmethod
    def _state_from_resistance(self, r: np.ndarray) -> np.ndarray:
        """The state x with R(x) = r (device parameters as they are, per device or scalar)."""

    @abstractmethod
    def _resistance_range(self) -> tuple[np.ndarray, np.ndarray]:
        """The smallest and largest R(x) over x in [0, 1]."""

    def conductance(self, state: np.ndarray) -> np.ndarray:
        return 1.0 / self._resistance(np.asarray(state, dtype=np.float64)[0])

    def state_from_conductance(self, g: np.ndarray | float) -> np.ndarray:
        g = np.asarray(g, dtype=np.float64)
        low, high = self._resistance_range()
        with np.errstate(divide="ignore"):
            x = self._state_from_resistance(1.0 / g)
        return self._state_in_range(x, g, 1.0 / high, 1.0 / low)[None]

    def state_current(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        return np.asarray(v, dtype=np.float64) / self._resistance(np.asarray(state, dtype=np.float64)[0])

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        self.state_from_conductance(g)
        return expand(g, v.ndim) * np.ones_like(v)

    def spice_state_current(self, v: np.ndarray, state: Sequence[np.ndarray]) -> np.ndarray:
        return fill("(({v})/{r})", v=v, r=self._resistance_spice(state[0]))
