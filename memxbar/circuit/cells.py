"""Crosspoint cells: what sits between word-line node W[i, j] and bit-line node B[i, j].

- ``1r``: the memristor alone (the default);
- ``1t1r``: an NMOS access transistor from the word line to an internal node, its gate on the row's
  select line, then the memristor to the bit line;
- ``1s1r``: a two-terminal selector from the word line to an internal node, then the memristor.

A cell is data (its parameters, validated once) and one method, :meth:`Cell.elements`, that makes its
element groups (:mod:`memxbar.circuit.elements`) for every closed cell of the array. A cell whose
memristor is open (G = 0 S) carries no current and is left out whole, so no internal node floats.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

import numpy as np

from memxbar.cards import join
from memxbar.circuit.elements import Devices, ElementGroup
from memxbar.circuit.mosfet import Mosfets
from memxbar.devices.base import DeviceModel, Parameter
from memxbar.devices.sinh import Sinh
from memxbar.errors import InputError


@dataclass(frozen=True)
class CellNodes:
    """Node indices of the closed cells of an array, for :meth:`Cell.elements`."""

    cell: np.ndarray
    """(K,) flat index of each closed cell in the (M, N) grid."""
    w: np.ndarray
    """(K,) word-line node W[i, j] of each cell."""
    b: np.ndarray
    """(K,) bit-line node B[i, j] of each cell."""
    internal: np.ndarray
    """(K, C) the cell's own internal nodes."""
    select: np.ndarray
    """(K,) the row's select-line node (cells with a gate), else empty."""
    ground: int
    """The 0 V node (bulk of transistors)."""
    labels: Callable[[], np.ndarray]
    """Makes the (K,) ``{i}_{j}`` of each cell, for element names (only when a netlist is written)."""


class Cell(ABC):
    """Base class of crosspoint cells; an instance holds validated parameter values."""

    name: ClassVar[str]
    """Registry name (what ``--cell`` takes)."""
    summary: ClassVar[str]
    """What the cell is, in one line."""
    citation: ClassVar[str]
    """Source of the access-device model."""
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    """The cell's parameters (the memristor's are the device model's)."""
    internal_nodes: ClassVar[int] = 0
    """Internal nodes per cell."""
    gated: ClassVar[bool] = False
    """Whether the cell has a gate on a per-row select line."""

    def __init__(self, **values: object) -> None:
        known = {p.name for p in self.parameters}
        unknown = sorted(set(values) - known)
        if unknown:
            listing = ", ".join(sorted(known)) or "none"
            raise InputError(f"{unknown[0]!r} is not a parameter of cell {self.name}; its parameters are: {listing}")
        self.values = MappingProxyType({
            p.name: float(p.validate(values.get(p.name, p.default), self.name, "cell parameter", "cell"))
            for p in self.parameters
        })

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.name}({shown})"

    @property
    def default_gate_voltage(self) -> float | None:
        """Select-line voltage (V) when none is given: the transistor fully on; None without a gate."""
        return None

    @abstractmethod
    def elements(self, device: DeviceModel, conductances: np.ndarray, nodes: CellNodes) -> list[ElementGroup]:
        """The element groups of every closed cell, in netlist order.

        Args:
            device: The memristor model.
            conductances: (M, N) programmed conductances (S).
            nodes: Node indices of the closed cells.
        """

    @staticmethod
    def _memristors(device: DeviceModel, conductances: np.ndarray, top: np.ndarray, nodes: CellNodes) -> Devices:
        return Devices(np.column_stack([top, nodes.b]), device, conductances, nodes.cell,
                       lambda: join("m", nodes.labels()))


class OneR(Cell):
    """The memristor alone between W[i, j] and B[i, j] (a passive crossbar)."""

    name = "1r"
    summary = "memristor only (passive crossbar)"
    citation = "-"

    def elements(self, device: DeviceModel, conductances: np.ndarray, nodes: CellNodes) -> list[ElementGroup]:
        return [self._memristors(device, conductances, nodes.w, nodes)]


class OneTOneR(Cell):
    """An NMOS access transistor (drain on the word line, gate on the row's select line, source on the
    internal node, bulk at 0 V) in series with the memristor; SPICE level 1 (see :mod:`memxbar.circuit.mosfet`)."""

    name = "1t1r"
    summary = "NMOS access transistor (SPICE level 1) in series with the memristor, gate on a per-row select line"
    citation = ("Shichman & Hodges, IEEE JSSC 3(3), 285 (1968), Eqs. (1)-(3), with SPICE level-1 "
                "channel-length modulation")
    internal_nodes = 1
    gated = True
    parameters = (
        Parameter("vto", "V", 0.5, "Threshold voltage V_TO.", per_device=False),
        Parameter("kp", "A/V^2", 3e-4, "Transconductance parameter KP = mu*C_ox.", minimum=0.0, minimum_open=True,
                  per_device=False),
        Parameter("lambda", "1/V", 0.05, "Channel-length modulation lambda.", minimum=0.0, per_device=False),
        Parameter("w", "m", 1e-6, "Channel width W.", minimum=0.0, minimum_open=True, per_device=False),
        Parameter("l", "m", 1.8e-7, "Channel length L.", minimum=0.0, minimum_open=True, per_device=False),
        Parameter("v_gate", "V", 1.8, "Select-line voltage of every row unless gate_voltages is given.",
                  per_device=False),
    )

    @property
    def default_gate_voltage(self) -> float:
        return self.values["v_gate"]

    def elements(self, device: DeviceModel, conductances: np.ndarray, nodes: CellNodes) -> list[ElementGroup]:
        mid = nodes.internal[:, 0]
        ground = np.full(mid.shape, nodes.ground)
        p = self.values
        transistors = Mosfets(np.column_stack([nodes.w, nodes.select, mid, ground]), lambda: join("Mt", nodes.labels()),
                              vto=p["vto"], kp=p["kp"], lam=p["lambda"], width=p["w"], length=p["l"])
        return [transistors, self._memristors(device, conductances, mid, nodes)]


class OneSOneR(Cell):
    """A bidirectional exponential selector, I = G_s·V_s·sinh(V/V_s), in series with the memristor."""

    name = "1s1r"
    summary = "selector I = g_s*v_s*sinh(V/v_s) in series with the memristor"
    citation = ("A. Chen, IEEE Trans. Electron Devices 62(9), 2857 (2015): exponential (sinh) selector "
                "nonlinearity; same form as Guan, Yu & Wong, IEEE EDL 33, 1405 (2012), Eq. (1)")
    internal_nodes = 1
    parameters = (
        Parameter("g_s", "S", 1e-7, "Selector conductance at 0 V: I = g_s*v_s*sinh(V/v_s).", minimum=0.0,
                  minimum_open=True, per_device=False),
        Parameter("v_s", "V", 0.1, "Selector characteristic voltage v_s; smaller is more nonlinear.", minimum=0.0,
                  minimum_open=True, per_device=False),
    )

    def elements(self, device: DeviceModel, conductances: np.ndarray, nodes: CellNodes) -> list[ElementGroup]:
        mid = nodes.internal[:, 0]
        selector = Sinh(v0=self.values["v_s"])
        g_s = np.full(conductances.shape, self.values["g_s"])
        selectors = Devices(np.column_stack([nodes.w, mid]), selector, g_s, nodes.cell,
                            lambda: join("s", nodes.labels()), power_class="access")
        return [selectors, self._memristors(device, conductances, mid, nodes)]


CELLS: Mapping[str, type[Cell]] = MappingProxyType({cell.name: cell for cell in (OneR, OneTOneR, OneSOneR)})
"""Cell classes by name (what ``--cell`` accepts)."""


def get_cell(name: str, **params: object) -> Cell:
    """A cell with the given parameters, the others at their defaults.

    Raises:
        InputError: If the cell or a parameter is unknown, or a value is out of range.
    """
    try:
        cls = CELLS[name]
    except (KeyError, TypeError):
        raise InputError(f"cell {name!r} is unknown; choose one of: {', '.join(CELLS)}") from None
    return cls(**params)


def as_cell(cell: Cell | str) -> Cell:
    """A cell instance from an instance or a cell name (with default parameters)."""
    if isinstance(cell, Cell):
        return cell
    if isinstance(cell, str):
        return get_cell(cell)
    raise InputError(f"cell must be a cell name or a memxbar cell, got {type(cell).__name__}")
