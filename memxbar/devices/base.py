"""The device-model abstraction shared by every backend: parameters, NumPy forms, ngspice forms.

Design
======

A *device model* is data plus equations. Each model is a subclass of :class:`DeviceModel`
registered by name in :data:`memxbar.devices.MODELS`; an *instance* holds validated parameter
values and is immutable. ``get_model(name, **params)`` makes one and raises
:class:`~memxbar.errors.InputError` for an unknown model or parameter or a value out of range.
The netlist writer and the solvers only call the methods below; nothing anywhere tests a
model's name.

Conductance: what ``Crossbar.conductances`` holds
-------------------------------------------------
Every model is programmed by one conductance G per device, in siemens, the number
``Crossbar.conductances`` holds. Each model states in ``conductance_meaning`` which
conductance that is:

- the small-signal conductance dI/dV at 0 V for ohmic, sinh and Poole–Frenkel devices, and for
  every dynamic model (where it is a function of the state, see below);
- the chord conductance I(V_ref)/V_ref at the reference voltage for the power-law model, whose
  slope at 0 V is 0 (this is how Joksas et al. 2022 define it).

So G·V is the device's ideal (linear) current for small voltages (at V_ref for the power
law), and ``Crossbar.ideal_currents`` Gᵀ·V is the ideal output in every case. G = 0 S is an
open device in every model: it carries no current and has no element in the netlist.

Parameters
----------
A :class:`Parameter` has a name (a Python identifier, lower case), an SI unit, a default, a
valid range and a docstring. A value is a scalar or, when ``per_device`` is true, an array
that must have the crossbar's shape (M, N) (checked by ``Crossbar``). Values are stored as
read-only float64 arrays (0-d for scalars). :meth:`DeviceModel.value` returns a value
shaped to broadcast against a voltage array whose leading axes are (M, N).

NumPy form (read characteristic, every model)
---------------------------------------------
``current(v, g)`` and ``slope(v, g)`` give I(V) in amperes and dI/dV in siemens for device
voltages ``v`` (word-line node minus bit-line node, volts) of shape (M, N), (M, N, B) or any
shape whose leading axes match ``g`` and the per-device parameters (trailing axes are
broadcast: a batch of input vectors, or the time points of a single device). Both must be
exact (no regularising terms): the fast backend's Newton solver uses them for its residual
and Jacobian, and the answer must agree with ngspice to well below 1e-6. ``linear`` is true
only for a model whose current is G·V exactly; the fast backend then skips Newton.

ngspice form (read characteristic, every model)
-----------------------------------------------
``spice_current(v, g)`` returns, for an (M, N) array of voltage expressions such as
``V(w0_1,b0_1)``, the (M, N) array of ngspice behavioural expressions of the current with
each device's numbers written in (shortest exact decimal form). ``spice_cards(names, a, b,
g)`` turns it into element cards, by default one B-source ``B<name> a b I=<expr>`` per
device; the ohmic model overrides it with resistors. Everything is built with vectorised
NumPy string operations (:mod:`memxbar.cards`), never one Python object per device: a
256×256 array has 65 536 devices. The writer drops the cards of open devices (G = 0).
Expressions must be exact at V = 0 and differentiable there as ngspice evaluates them (the
ngspice 46 derivative of ``sqrt`` at 0 is finite because of its division guard, so
``V*exp(b*sqrt(abs(V)))`` is safe; use ``sgn(V)*pwr(abs(V),p)`` for odd powers).

Verilog-A
---------
``verilog_a`` names the model's standard Verilog-A source in ``device_models/``
(:meth:`DeviceModel.verilog_a_path`). It takes G and every per-device parameter as instance
parameters (``(* type="instance" *)``), keeps any state on a ``ddt`` node, and must implement
the same equations (a test compiles each file and compares). A user's own ``.va`` file is a
device model too (:func:`memxbar.devices.verilog_a.from_verilog_a`): both backends run the
compiled object; its netlist needs lines before the elements, which :meth:`spice_preamble`
gives (``pre_osdi`` and the ``.model`` card; none for the built-in models).

Dynamic models
--------------
A :class:`DynamicModel` has ``states``: one or more :class:`StateVariable` per device, held
as an array of shape (S, M, N) (or (S, ...) for any device shape). It maps a state to its
conductance G (``conductance``) and back (``state_from_conductance``), gives the current at
a state (``state_current``) and the state equations d(state)/dt (``state_derivative``).
Its read characteristic (``current``, ``spice_current``) is that at the state whose
conductance is G, so a crossbar read with dynamic devices at a given state is an ordinary
read with ``Crossbar.conductances = model.conductance(state)``, solved by both backends
like any static model. For transient analysis, ``spice_transient_cards`` writes each state
variable as the voltage on a 1 F capacitor, charged by a B-source equal to d(state)/dt, with
a large resistor to ground (:data:`STATE_LEAK_RESISTANCE`) so that the DC operating point
exists; the device current is a B-source of the terminal voltage and the state voltages.
Where convergence needs a clamp (a state leaving its bounds), use a smooth one in the
expressions, not a hard ``min``/``max``.

The same B-source draws its current from a second 1 F capacitor, the state's *mirror*, whose
voltage is therefore the state's distance to its upper bound (maximum − state). Nothing
depends on the mirror; it is there for ngspice's time-step control, whose truncation-error
tolerance on a capacitor is relative to its charge: on the state's own capacitor that is
relative to the state itself, loose when a state at 1 starts to leave it (a relative error
of 1e-9 of the state is then a large error in its small change: measured on Stanford–PKU's
SET, the thermal runaway that follows came 165 ps early, a state error of 2e-2 where the
state falls at 1.2e8 /s), while the mirror's tolerance is relative to the distance from 1.
With both, every departure from either bound is resolved (the SET within 10 ps at reltol 1e-8).

Every model cites its source paper and equation in its class docstring and in ``citation``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import numpy as np

from memxbar.cards import join, numbers
from memxbar.errors import InputError
from memxbar.validation import as_finite_array

VERILOG_A_DIRECTORY = Path(__file__).resolve().parent.parent / "device_models"
# ``memxbar/device_models`` is a link to the top-level ``device_models/``, so wheels ship the files.
"""Directory of the Verilog-A sources of the device models."""

STATE_LEAK_RESISTANCE = 1e15
"""Resistance (Ω) from each 1 F state capacitor to ground in transient netlists: it gives the
state node a DC path (so the operating point exists) while changing the state by a relative
1e-15 per second."""


def expand(array: np.ndarray | float, ndim: int) -> np.ndarray:
    """Append trailing unit axes to ``array`` so that it broadcasts against an ``ndim``-D array.

    An (M, N) per-device array becomes (M, N, 1) for (M, N, B) voltages; a scalar stays 0-d.
    """
    a = np.asarray(array, dtype=np.float64)
    if a.ndim == 0 or a.ndim >= ndim:
        return a
    return a.reshape(a.shape + (1,) * (ndim - a.ndim))


@dataclass(frozen=True)
class Parameter:
    """One parameter of a device model: name, unit, default, valid range and meaning."""

    name: str
    """Name, a lower-case Python identifier (the key in ``get_model`` and ``--device-param``)."""
    unit: str
    """SI unit, e.g. ``"V"``, ``"K"``, ``"F"``; ``"1"`` for a dimensionless number."""
    default: float
    """Default value, from the model's source paper where it gives one."""
    doc: str
    """What the parameter is and which equation it enters."""
    minimum: float = -math.inf
    """Lower bound of the valid range."""
    maximum: float = math.inf
    """Upper bound of the valid range."""
    minimum_open: bool = False
    """Whether the lower bound itself is excluded (value > minimum)."""
    maximum_open: bool = False
    """Whether the upper bound itself is excluded (value < maximum)."""
    integer: bool = False
    """Whether only whole numbers are valid (e.g. a window exponent)."""
    per_device: bool = True
    """Whether an (M, N) array of per-device values is accepted as well as a scalar."""

    def range_text(self) -> str:
        """The valid range in interval notation, e.g. ``(0, inf)`` or ``[2, inf)``."""
        low = "(" if self.minimum_open or math.isinf(self.minimum) else "["
        high = ")" if self.maximum_open or math.isinf(self.maximum) else "]"
        return f"{low}{self.minimum:g}, {self.maximum:g}{high}"

    def validate(self, value: object, model: str, kind: str = "device parameter", owner: str = "model") -> np.ndarray:
        """Check a value against this parameter and return it as a read-only float64 array.

        Args:
            value: A scalar or, if ``per_device``, an array.
            model: Name of the model (or cell), for the error message.
            kind: What the parameter is, for the message (``"device parameter"``, ``"cell parameter"``).
            owner: What ``model`` names, for the message (``"model"``, ``"cell"``).

        Raises:
            InputError: If the value is not finite, has the wrong dimension or is out of range.
        """
        label = f"{kind} {self.name} of {owner} {model}"
        unit = "" if self.unit in ("1", "?") else f" {self.unit}"  # "?": a Verilog-A parameter without units
        array = as_finite_array(value, label)
        if array.ndim and not self.per_device:
            raise InputError(f"{label} must be a single number, got an array of shape {array.shape}")
        if array.ndim not in (0, 2):
            raise InputError(f"{label} must be a number or an (M, N) per-device array, got shape {array.shape}")
        low, high = array.min(), array.max()
        if low < self.minimum or (self.minimum_open and low == self.minimum):
            bound = ">" if self.minimum_open else ">="
            raise InputError(f"{label} must be {bound} {self.minimum:g}{unit}, got {low:g}{unit}")
        if high > self.maximum or (self.maximum_open and high == self.maximum):
            bound = "<" if self.maximum_open else "<="
            raise InputError(f"{label} must be {bound} {self.maximum:g}{unit}, got {high:g}{unit}")
        if self.integer and np.any(array != np.round(array)):
            raise InputError(f"{label} must be a whole number")
        array.setflags(write=False)
        return array


@dataclass(frozen=True)
class StateVariable:
    """One internal state variable of a dynamic device model."""

    name: str
    """Name, a lower-case identifier (e.g. ``"w"`` or ``"x"``)."""
    unit: str
    """SI unit (``"m"`` for a filament length, ``"1"`` for a normalised state)."""
    minimum: float
    """Lowest physical value (the state's lower bound)."""
    maximum: float
    """Highest physical value (the state's upper bound)."""
    doc: str
    """What the state is."""


class DeviceModel(ABC):
    """Base class of every device model; an instance holds validated parameter values.

    Subclasses set the class attributes below and implement :meth:`current`, :meth:`slope`
    and :meth:`spice_current`. See the module docstring for the contract.
    """

    name: ClassVar[str]
    """Registry name, e.g. ``"sinh"`` (what ``--device`` takes)."""
    summary: ClassVar[str]
    """The current equation in one line, for ``memxbar models``."""
    citation: ClassVar[str]
    """Source paper and equation, in one line."""
    conductance_meaning: ClassVar[str]
    """Which conductance of the device ``Crossbar.conductances`` holds for this model."""
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    """The model's parameters (G itself is not one: it comes from the crossbar)."""
    verilog_a: ClassVar[str]
    """File name of the Verilog-A source in ``device_models/``."""
    linear: ClassVar[bool] = False
    """Whether the current is exactly G·V (the fast backend then solves without Newton)."""
    dynamic: ClassVar[bool] = False
    """Whether the model has internal state (a :class:`DynamicModel`)."""

    def __init__(self, **values: object) -> None:
        known = {p.name for p in self.parameters}
        unknown = sorted(set(values) - known)
        if unknown:
            listing = ", ".join(sorted(known)) if known else "none"
            raise InputError(
                f"{unknown[0]!r} is not a parameter of device model {self.name}; its parameters are: {listing}"
            )
        self._values = MappingProxyType(
            {p.name: p.validate(values.get(p.name, p.default), self.name) for p in self.parameters}
        )

    @property
    def values(self) -> Mapping[str, np.ndarray]:
        """Parameter values by name, as read-only float64 arrays (0-d for scalars)."""
        return self._values

    def value(self, name: str, ndim: int = 0) -> np.ndarray:
        """One parameter's value, shaped to broadcast against an ``ndim``-D voltage array."""
        return expand(self._values[name], ndim)

    def check_shape(self, shape: tuple[int, int]) -> None:
        """Raise :class:`InputError` unless every per-device value is a scalar or of ``shape``."""
        for name, array in self._values.items():
            if array.ndim and array.shape != shape:
                raise InputError(
                    f"device parameter {name} of model {self.name} has shape {array.shape}; "
                    f"expected a scalar or {shape}, one value per device"
                )

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={float(v)!r}" if v.ndim == 0 else f"{k}=<{v.shape[0]}x{v.shape[1]} array>"
            for k, v in self._values.items()
        )
        return f"{type(self).__name__}({shown})"

    @abstractmethod
    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        """Device current I(V) in amperes.

        Args:
            v: Device voltages (word-line minus bit-line node) in volts; leading axes match ``g``.
            g: Programmed conductances G in siemens, a scalar or (M, N).
        """

    @abstractmethod
    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        """Small-signal conductance dI/dV in siemens, same arguments as :meth:`current`."""

    def current_and_slope(self, v: np.ndarray, g: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`current` and :meth:`slope` at once (A, S); models override it where the two share
        their expensive part."""
        return self.current(v, g), self.slope(v, g)

    @abstractmethod
    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        """ngspice expressions of the device currents.

        Args:
            v: (M, N) strings, the ngspice expression of each device voltage, e.g. ``V(w0_0,b0_0)``.
            g: (M, N) programmed conductances G in siemens.

        Returns:
            (M, N) (or broadcastable) strings, each an expression of the current in amperes.
        """

    def spice_cards(self, names: np.ndarray, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
        """Element cards of the devices for a read (``.op``) netlist.

        Args:
            names: (M, N) element name suffixes, unique per device (e.g. ``m0_1``).
            a: (M, N) word-line node names (the positive terminal).
            b: (M, N) bit-line node names.
            g: (M, N) programmed conductances G in siemens.

        Returns:
            A list of (M, N) string arrays, each holding one card per device; the writer keeps
            the cards of devices with G > 0.
        """
        expression = self.spice_current(join("V(", a, ",", b, ")"), g)
        return [join("B", names, " ", a, " ", b, " I=", expression)]

    def spice_preamble(self) -> list[str]:
        """Netlist lines that must precede the circuit's elements, e.g. a ``.model`` card or the
        ``.control``/``pre_osdi`` block that loads a compiled Verilog-A model; none by default."""
        return []

    @classmethod
    def verilog_a_path(cls) -> Path:
        """Path of the model's Verilog-A source."""
        return VERILOG_A_DIRECTORY / cls.verilog_a


class DynamicModel(DeviceModel):
    """Base class of models with internal state, e.g. ion drift or filament growth.

    The state of all devices is an array of shape (S, ...) with one entry per
    :class:`StateVariable` in ``states``. The read characteristic (:meth:`current`,
    :meth:`spice_current`) is that of the state whose conductance is G; :meth:`slope` is left
    to each model.
    """

    dynamic: ClassVar[bool] = True
    states: ClassVar[tuple[StateVariable, ...]]
    """The internal state variables of one device."""

    @abstractmethod
    def conductance(self, state: np.ndarray) -> np.ndarray:
        """Small-signal conductance dI/dV at 0 V (S) of devices in ``state`` (S, ...)."""

    @abstractmethod
    def state_from_conductance(self, g: np.ndarray | float) -> np.ndarray:
        """The state (S, ...) whose conductance is ``g``; inverse of :meth:`conductance`."""

    @abstractmethod
    def state_current(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        """Device current (A) at voltages ``v`` and state (S, ...) with matching trailing shape."""

    @abstractmethod
    def state_derivative(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        """d(state)/dt (S, ...) in state units per second at voltages ``v`` and ``state``."""

    @abstractmethod
    def spice_state_current(self, v: np.ndarray, state: Sequence[np.ndarray]) -> np.ndarray:
        """ngspice expressions of the current given expressions of the voltage and of each state."""

    @abstractmethod
    def spice_state_derivative(self, v: np.ndarray, state: Sequence[np.ndarray]) -> list[np.ndarray]:
        """ngspice expressions of d(state)/dt, one array per state variable."""

    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        state = self.state_from_conductance(g)
        return self.state_current(v, np.stack([expand(s, v.ndim) for s in state]))

    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        return self.spice_state_current(v, [numbers(s) for s in self.state_from_conductance(g)])

    transient_from_operating_point: ClassVar[bool] = False
    """Whether a transient netlist starts from the DC operating point (the model holds its state
    at its initial-state parameters there) instead of ``uic`` with the states' initial conditions."""

    def spice_state_nodes(self, names: np.ndarray) -> list[np.ndarray]:
        """ngspice names of the state nodes of devices ``names``, one array per state variable."""
        return [join("x", names, f"_{k}") for k in range(len(self.states))]

    def spice_transient_cards(
        self, names: np.ndarray, a: np.ndarray, b: np.ndarray, state: np.ndarray
    ) -> list[np.ndarray]:
        """Element cards of dynamic devices for a transient netlist.

        State variable k of device ``name`` is the voltage of node ``x<name>_<k>`` on a 1 F
        capacitor (initial condition the given state) charged by a B-source equal to
        d(state)/dt, with :data:`STATE_LEAK_RESISTANCE` to ground. The B-source draws that
        current from node ``y<name>_<k>``, the state's mirror on its own 1 F capacitor and leak
        (initial condition maximum − state), so that ngspice's time-step control also sees the
        state's distance to its upper bound (see the module docstring).

        Args:
            names: Element name suffixes, unique per device.
            a: Word-line (positive terminal) node names.
            b: Bit-line node names.
            state: (S, ...) initial state of each device.

        Returns:
            A list of string arrays of the shape of ``names``, one card per device each.
        """
        nodes = self.spice_state_nodes(names)
        mirrors = [join("y", names, f"_{k}") for k in range(len(self.states))]
        voltage = join("V(", a, ",", b, ")")
        node_voltages = [join("V(", node, ")") for node in nodes]
        derivatives = self.spice_state_derivative(voltage, node_voltages)
        leak = numbers(STATE_LEAK_RESISTANCE)
        cards = []
        for k, (node, mirror, derivative) in enumerate(zip(nodes, mirrors, derivatives, strict=True)):
            cards.append(join("B", node, " ", mirror, " ", node, " I=", derivative))
            for capacitor, initial in ((node, state[k]), (mirror, self.states[k].maximum - state[k])):
                cards.append(join("C", capacitor, " ", capacitor, " 0 1 IC=", numbers(initial)))
                cards.append(join("R", capacitor, " ", capacitor, " 0 ", leak))
        cards.append(join("B", names, " ", a, " ", b, " I=", self.spice_state_current(voltage, node_voltages)))
        return cards
