"""Typed element arrays of a compiled circuit: node indices, NumPy stamps and SPICE cards.

Every element group holds K elements of one kind with T terminals each, as a (K, T) array of node
indices, and answers three questions, vectorised over its elements and a batch of B bias vectors:

- ``evaluate(v)``: for terminal voltages v (K, T, B) in volts, the current flowing *from each
  terminal node into the element* (K, T, B) in amperes and its Jacobian ∂i_t/∂v_s (K, T, T, B) in
  siemens. Kirchhoff's current law at a node is the sum of these currents over every element
  terminal on it: zero at an unknown node, the current the source delivers at a driven one.
  Stamps may be asymmetric (a transistor's transconductance).
- ``currents(v)``: the currents alone, without the Jacobian.
- ``spice_cards(names)``: one SPICE card per element, given the (K, T) names of its nodes.

Each group belongs to a power class (``power_class``: devices, access devices, line segments …) under
which a solution reports the power it absorbs, Σ_t v_t·i_t. Element names for SPICE are made only
when a netlist is written (``naming``), since a 1024×1024 array has millions of them.

Groups whose currents are linear in the voltages say so (``linear``) and give their constant
conductance stamps (``conductance_stamps``), which the fast backend assembles once; groups that store
charge give constant capacitance stamps (``capacitance_stamps``), assembled on the same pattern. A new element
kind is one class here (or in its own module) with these methods; neither the nodal assembler nor
the netlist writer changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from memxbar.cards import join, numbers
from memxbar.devices.base import DeviceModel

TWO_TERMINAL = np.array([[1.0, -1.0], [-1.0, 1.0]])
"""Incidence pattern of a two-terminal conductance between terminals 0 and 1."""


class ElementGroup(ABC):
    """K elements of one kind; see the module docstring for the contract."""

    nodes: np.ndarray
    """(K, T) node index of each element terminal."""
    linear: bool = True
    """Whether the terminal currents are a constant linear map of the terminal voltages."""
    symmetric: bool = True
    """Whether every Jacobian stamp is symmetric (true of two-terminal elements)."""
    passive: bool = True
    """Whether every stamp is that of a passive two-terminal element with a slope ≥ 0 wherever the
    model's slope is ≥ 0 (then the nodal matrix is symmetric positive definite)."""
    power_class: str
    """Class under which a solution reports the power these elements absorb."""
    naming: Callable[[], np.ndarray]
    """Makes the (K,) SPICE element names (or name suffixes) when a netlist needs them."""

    @cached_property
    def names(self) -> np.ndarray:
        """(K,) SPICE element names, or name suffixes for device models that prefix their own."""
        return np.asarray(self.naming(), dtype=str)

    @property
    def size(self) -> int:
        """Number of elements K."""
        return self.nodes.shape[0]

    @abstractmethod
    def evaluate(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Currents (K, T, B) from each terminal node into the element (A), and ∂i/∂v (K, T, T, B) (S)."""

    def currents(self, v: np.ndarray) -> np.ndarray:
        """(K, T, B) currents from each terminal node into the element (A), without the Jacobian."""
        return self.evaluate(v)[0]

    def conductance_stamps(self) -> np.ndarray:
        """(K, T, T) constant conductance stamps (S) of a linear group."""
        raise TypeError(f"{type(self).__name__} is not linear")

    def capacitance_stamps(self) -> np.ndarray:
        """(K, T, T) constant capacitance stamps (F): the charge from each terminal node into the element is
        Σ_s C_ts·v_s. Zero unless the group stores charge (:class:`~memxbar.transient.elements.Capacitors`)."""
        return np.zeros((self.size, *(self.nodes.shape[1],) * 2))

    def conducting(self) -> np.ndarray:
        """(K,) whether each element can carry current (an open device cannot)."""
        return np.ones(self.size, dtype=bool)

    @abstractmethod
    def spice_cards(self, names: np.ndarray) -> list[np.ndarray]:
        """(K,) string arrays of SPICE cards, given the (K, T) names of the terminal nodes."""

    def spice_preamble(self) -> list[str]:
        """Lines that must precede the circuit's elements (e.g. ``.model`` cards)."""
        return []


@dataclass(frozen=True, eq=False)
class Resistors(ElementGroup):
    """Linear resistors (line segments, drivers, sense inputs)."""

    nodes: np.ndarray
    """(K, 2) node indices of both ends."""
    resistance: np.ndarray
    """(K,) resistance in ohms (Ω), > 0."""
    naming: Callable[[], np.ndarray]
    """Makes the (K,) SPICE element names, e.g. ``Rw0_3``."""
    power_class: str = "lines"
    """Power class (a solution reports line powers per line type, from Kirchhoff's law along each line)."""

    @property
    def conductance(self) -> np.ndarray:
        """(K,) conductances in siemens (S)."""
        return 1.0 / self.resistance

    def conductance_stamps(self) -> np.ndarray:
        return self.conductance[:, None, None] * TWO_TERMINAL

    def evaluate(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = self.conductance[:, None]
        i = g * (v[:, 0] - v[:, 1])
        stamps = self.conductance_stamps()
        jac = np.broadcast_to(stamps[..., None], (*stamps.shape, v.shape[2]))
        return np.stack([i, -i], axis=1), jac

    def spice_cards(self, names: np.ndarray) -> list[np.ndarray]:
        return [join(self.names, " ", names[:, 0], " ", names[:, 1], " ", numbers(self.resistance))]


@dataclass(frozen=True, eq=False)
class Devices(ElementGroup):
    """Two-terminal devices of one :class:`~memxbar.devices.base.DeviceModel` at cells of the array.

    The model is evaluated on the whole (M, N) grid of cells (its per-device parameters are (M, N)
    arrays); ``cell`` says which grid cell each element is.
    """

    nodes: np.ndarray
    """(K, 2) node of the positive terminal (current flows from it through the device) and the other."""
    model: DeviceModel
    """The device model."""
    conductances: np.ndarray
    """(M, N) programmed conductance G of every cell in siemens (S), in the model's meaning."""
    cell: np.ndarray
    """(K,) flat index of each element's cell in the (M, N) grid."""
    naming: Callable[[], np.ndarray]
    """Makes the (K,) element name suffixes, e.g. ``m0_3``; the model's cards prefix them."""
    power_class: str = "devices"
    """Power class of these devices (``"devices"`` for memristors, ``"access"`` for selectors)."""
    linear: bool = field(init=False)
    passive: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "linear", bool(self.model.linear))

    @property
    def _whole_grid(self) -> bool:
        return self.cell.size == self.conductances.size

    def _on_grid(self, values: np.ndarray) -> np.ndarray:
        """(K, B) values as (M, N, B) on the grid (zero at cells without an element)."""
        m, n = self.conductances.shape
        if self._whole_grid:
            return values.reshape(m, n, -1)
        grid = np.zeros((m * n, values.shape[1]))
        grid[self.cell] = values
        return grid.reshape(m, n, -1)

    def _off_grid(self, grid: np.ndarray) -> np.ndarray:
        flat = grid.reshape(self.conductances.size, -1)
        return flat if self._whole_grid else flat[self.cell]

    def current(self, vd: np.ndarray) -> np.ndarray:
        """(K, B) device currents (A) from the positive terminal, for device voltages vd (K, B) (V)."""
        return self._off_grid(self.model.current(self._on_grid(vd), self.conductances))

    def slope(self, vd: np.ndarray) -> np.ndarray:
        """(K, B) small-signal conductances dI/dV (S) at device voltages vd (K, B) (V)."""
        return self._off_grid(self.model.slope(self._on_grid(vd), self.conductances))

    def conductance_stamps(self) -> np.ndarray:
        g = self.conductances.ravel()[self.cell]
        return g[:, None, None] * TWO_TERMINAL

    def conducting(self) -> np.ndarray:
        return self.conductances.ravel()[self.cell] > 0

    def evaluate(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vd = v[:, 0] - v[:, 1]
        i, s = self.current(vd), self.slope(vd)
        return np.stack([i, -i], axis=1), TWO_TERMINAL[None, :, :, None] * s[:, None, None, :]

    def currents(self, v: np.ndarray) -> np.ndarray:
        i = self.current(v[:, 0] - v[:, 1])
        return np.stack([i, -i], axis=1)

    def spice_cards(self, names: np.ndarray) -> list[np.ndarray]:
        m, n = self.conductances.shape
        grid = {key: np.full(m * n, "", dtype=object) for key in ("name", "a", "b")}
        for key, values in (("name", self.names), ("a", names[:, 0]), ("b", names[:, 1])):
            grid[key][self.cell] = values
        shaped = {key: value.astype(str).reshape(m, n) for key, value in grid.items()}
        cards = self.model.spice_cards(shaped["name"], shaped["a"], shaped["b"], self.conductances)
        present = np.zeros(m * n, dtype=bool)
        present[self.cell] = True
        keep = present & (self.conductances.ravel() > 0)
        return [np.broadcast_to(card, (m, n)).ravel()[keep] for card in cards]

    def spice_preamble(self) -> list[str]:
        return list(self.model.spice_preamble())
