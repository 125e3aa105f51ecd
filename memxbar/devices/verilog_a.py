"""A user's Verilog-A file as a device model: compiled once to OSDI, evaluated by both backends.

``from_verilog_a(path, **params)`` compiles the file (:mod:`memxbar.osdi.compiler`), reads its
parameters from the compiled module's OSDI descriptor (names, units and descriptions) and their
declared ranges from the text (:mod:`memxbar.osdi.source`, which also refuses constructs OSDI
cannot run faithfully), and returns a model of one of two kinds:

- :class:`VerilogAModel`, a static device (no ``ddt``): the crossbar's conductance goes to an
  instance parameter, ``G`` unless ``conductance_param`` names another;
- :class:`VerilogADynamicModel`, a device whose state lives on internal nodes driven through
  ``ddt()`` (e.g. ``I(x) <+ ddt(V(x)) - rate;``). Each state node ``x`` needs an initial-state
  instance parameter ``x0`` with a declared range (the state's bounds), at which the node rests at
  DC (a leak towards it, e.g. ``+ (V(x) - x0)/1e15``); the crossbar's conductance maps onto the
  state (the state whose dI/dV at 0 V is G, found by bisection on the compiled model).

Both backends run the compiled object itself:

- the fast backend calls it through ctypes (:class:`memxbar.osdi.library.Instances`): ``current``
  is the resistive residual at the word-line terminal and ``slope`` its Jacobian entry ∂I/∂V,
  for every device (state nodes held at the state); d(state)/dt solves the state nodes' equations
  ∂q/∂x·dx/dt = −f for the charges q and currents f the model returns;
- the spice backend writes one OSDI instance card per device, ``N<name> a b <model> G=<g> ...``,
  after :meth:`spice_preamble` (``pre_osdi`` of the compiled file in a ``.control`` block, and
  the ``.model`` card), so the netlist runs in ``ngspice -b`` as it is. A dynamic device's state
  is its initial-state parameter; a read (``.op``) holds it there only where the read voltages do
  not switch the device (below its thresholds), since a DC operating point settles the state.

The device's terminals are the module's first two ports (word line, bit line). Per-device (M, N)
values are accepted for instance parameters, declared ``(* type="instance" *) parameter real
NAME = ...;``; model parameters take one value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from memxbar.cards import join, numbers
from memxbar.devices.base import DeviceModel, Parameter, StateVariable, expand
from memxbar.devices.dynamic import Memristor
from memxbar.errors import ConvergenceError, InputError

_CACHE_SIZE = 4
ILLINOIS_STEPS = 100
"""Most steps of the root finder of ``state_from_conductance``."""
STATE_TOLERANCE = 1e-13
"""Relative accuracy of the conductance of the state ``state_from_conductance`` returns."""


def _resolve(names: Sequence[str], key: str, path: Path) -> str:
    """The declared parameter name matching ``key`` (case-insensitively, as ngspice does)."""
    for name in names:
        if name.lower() == key.lower():
            return name
    raise InputError(f"{key!r} is not a parameter of {path}; its parameters are: {', '.join(names) or 'none'}")


class _Compiled:
    """What both kinds of compiled model share: the module, its parameters and OSDI instances."""

    osdi_path: Path
    module: object
    verilog_a: str

    def _load(self, path: str | Path) -> tuple[Path, str]:
        from memxbar.io import read_text
        from memxbar.osdi.compiler import compile_verilog_a
        from memxbar.osdi.library import load_module
        from memxbar.osdi.source import check

        source = Path(path)
        if not source.is_file():
            raise InputError(f"Verilog-A file {source} does not exist (--device-file takes a .va file)")
        text = read_text(source, "--device-file (a Verilog-A .va file)")
        check(source, text)
        self.osdi_path = compile_verilog_a(source)
        self.module = load_module(self.osdi_path)
        if self.module.terminals != 2:
            raise InputError(
                f"{source}: module {self.module.name} has {self.module.terminals} terminals; a crossbar device "
                "needs two (word line, bit line)"
            )
        self.verilog_a = str(source.resolve())
        self._instances: dict[tuple, object] = {}
        self._last: tuple | None = None
        """The last evaluation (Newton asks for the current, then the slope, at the same voltages)."""
        return source, text

    def _parameters(self, source: Path, text: str, exclude: str | None) -> list[Parameter]:
        from memxbar.osdi.library import Instances
        from memxbar.osdi.source import parameter_ranges

        declared = [p for p in self.module.parameters if not p.name.startswith("$") and p.kind != "string"]
        self._declared = {p.name: p for p in declared if p.name != exclude}
        defaults = Instances(self.module, {}, {}, 1)
        ranges = parameter_ranges(text)
        return [
            Parameter(
                p.name,
                p.units or "?",
                defaults.read(p),
                p.description or f"{'instance' if p.instance else 'model'} parameter of {self.module.name}",
                integer=p.kind == "integer",
                per_device=p.instance,
                **vars(ranges[p.name]) if p.name in ranges else {},
            )
            for p in self._declared.values()
        ]

    def verilog_a_path(self) -> Path:
        """The Verilog-A source file."""
        return Path(self.verilog_a)

    def __repr__(self) -> str:
        inner = super().__repr__().split("(", 1)[1]
        separator = ", " if inner != ")" else ""
        return f"{type(self).__name__}({self.name} from {Path(self.verilog_a).name}{separator}{inner}"

    def _osdi_instances(self, count: int, extra: Mapping[str, np.ndarray | float]):
        """OSDI instances for ``count`` devices with the model's values and ``extra`` instance values, cached."""
        from memxbar.osdi.library import Instances

        key = (count, tuple((k, np.shape(v), np.asarray(v).tobytes()) for k, v in extra.items()))
        if key not in self._instances:
            if len(self._instances) >= _CACHE_SIZE:
                self._instances.pop(next(iter(self._instances)))
            model, instance = {}, dict(extra)
            for name, value in self.values.items():
                if self._declared[name].instance:
                    instance[name] = value.reshape(-1) if value.ndim else float(value)
                else:
                    model[name] = float(value)
            self._instances[key] = Instances(self.module, model, instance, count)
        return self._instances[key]

    def _device_shape(self, *arrays: np.ndarray) -> tuple[int, ...]:
        return np.broadcast_shapes(*[a.shape for a in arrays], *[a.shape for a in self.values.values() if a.ndim])

    def _evaluate(
        self, v: np.ndarray, state: np.ndarray | None, extra: Mapping[str, np.ndarray], device_shape: tuple[int, ...]
    ) -> dict[str, np.ndarray]:
        """Evaluate the model at voltages ``v`` whose leading axes are ``device_shape``.

        Args:
            v: Device voltages (V).
            state: (S,) + v.shape state node voltages, or None for a static model.
            extra: Per-device instance values (scalars or of ``device_shape``).
            device_shape: Shape of the devices (() for one device, evaluated at every voltage).

        Returns:
            ``current`` and ``slope`` (shaped like ``v``) and, with a state, ``rate`` (S,) + v.shape.
        """
        if v.shape[: len(device_shape)] != device_shape:
            raise InputError(f"device voltages of shape {v.shape} do not match the devices' shape {device_shape}")
        if device_shape == ():
            count, columns = v.size, 1
            extra = {k: np.broadcast_to(a, v.shape).reshape(-1) if np.ndim(a) else a for k, a in extra.items()}
        else:
            count = math.prod(device_shape)
            columns = v.size // count
            extra = {k: np.broadcast_to(a, device_shape).reshape(-1) if np.ndim(a) else a for k, a in extra.items()}
        instances = self._osdi_instances(count, extra)
        key = (instances, columns, v.tobytes(), None if state is None else state.tobytes())
        if self._last is None or self._last[0] != key:
            self._last = (key, self._run(instances, v.reshape(count, columns), state, count, columns))
        flat = self._last[1]
        out = {"current": flat["current"].reshape(v.shape), "slope": flat["slope"].reshape(v.shape)}
        if "rate" in flat:
            out["rate"] = flat["rate"].reshape((len(flat["rate"]),) + v.shape)
        return out

    def _run(self, instances, voltages: np.ndarray, state: np.ndarray | None, count: int, columns: int):
        """Current, slope (and state rates) of ``count`` instances at ``columns`` voltages each."""
        states = None if state is None else state.reshape(len(state), count, columns)
        n_states = 0 if state is None else len(state)
        entry = instances.resist_entries.index((0, 0))
        current = np.empty((count, columns))
        slope = np.empty((count, columns))
        rate = np.empty((n_states, count, columns))
        nodes = np.zeros((count, instances.n_nodes))
        state_nodes = list(range(2, 2 + n_states))
        for t in range(columns):
            nodes[:, 0] = voltages[:, t]
            if n_states:
                nodes[:, state_nodes] = states[:, :, t].T
            result = instances.evaluate(nodes, reactive=bool(n_states))
            current[:, t] = result["resist"][:, 0]
            slope[:, t] = result["resist_jacobian"][:, entry]
            if n_states:
                rate[:, :, t] = self._state_rates(instances, result, state_nodes).T
        out = {"current": current, "slope": slope}
        if n_states:
            out["rate"] = rate
        return out

    @staticmethod
    def _state_rates(instances, result: Mapping[str, np.ndarray], state_nodes: list[int]) -> np.ndarray:
        """dx/dt (K, S) of the state nodes from ∂q/∂x·dx/dt = −f (charges q, currents f)."""
        index = {node: k for k, node in enumerate(state_nodes)}
        count, size = result["resist"].shape[0], len(state_nodes)
        capacitance = np.zeros((count, size, size))
        for e, (row, col) in enumerate(instances.react_entries):
            if row in index and col in index:
                capacitance[:, index[row], index[col]] += result["react_jacobian"][:, e]
        f = result["resist"][:, state_nodes]
        try:
            return -np.linalg.solve(capacitance, f[..., None])[..., 0]
        except np.linalg.LinAlgError:
            raise InputError(
                "a state node of the Verilog-A model has no ddt() charge; write I(x) <+ ddt(V(x)) - rate"
            ) from None

    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        raise InputError(
            f"{self.name} is a compiled Verilog-A model: it has no behavioural (B-source) expression; "
            "its ngspice form is an OSDI instance (spice_cards)"
        )

    @property
    def model_card(self) -> str:
        """Name of the ``.model`` card of this device in netlists."""
        return f"{self.name}_model"

    def spice_preamble(self) -> list[str]:
        """``pre_osdi`` of the compiled file (a ``.control`` block) and the ``.model`` card."""
        model = " ".join(
            f"{k}={int(v) if self._declared[k].kind == 'integer' else float(v)!r}"
            for k, v in self.values.items()
            if not self._declared[k].instance
        )
        return [".control", f"pre_osdi {self.osdi_path}", ".endc", f".model {self.model_card} {self.name} {model}"]

    def _instance_cards(self, names: np.ndarray, a: np.ndarray, b: np.ndarray, given: Mapping[str, np.ndarray]):
        parts: list[np.ndarray | str] = ["N", names, " ", a, " ", b, f" {self.model_card}"]
        values = {k: v for k, v in self.values.items() if self._declared[k].instance} | dict(given)
        for name, value in values.items():
            parts += [f" {name}=", numbers(np.asarray(value))]
        return [join(*parts)]


class VerilogAModel(_Compiled, DeviceModel):
    """A static two-terminal device compiled from a Verilog-A file (see the module docstring).

    Use :func:`from_verilog_a` to make one.
    """

    def __init__(self, path: str | Path, conductance_param: str | None = None, **values: object) -> None:
        source, text = self._load(path)
        if len(self.module.nodes) > 2:
            raise InputError(
                f"{source}: module {self.module.name} has internal nodes ({', '.join(self.module.nodes[2:])}) without "
                "ddt(); memxbar runs two-terminal static models, or dynamic ones whose internal nodes are states"
            )
        names = [p.name for p in self.module.parameters]
        if conductance_param is None and not any(n.lower() == "g" for n in names):
            raise InputError(
                f"{source}: module {self.module.name} has no parameter G for the conductance a crossbar programs; "
                f'declare `(* type="instance" *) parameter real G = 1e-4;` or name the parameter that sets the '
                "conductance (conductance_param=NAME, --conductance-param NAME)"
            )
        self.conductance_param = _resolve(names, conductance_param or "G", source)
        target = next(p for p in self.module.parameters if p.name == self.conductance_param)
        if not target.instance:
            raise InputError(
                f"{source}: parameter {target.name} takes the programmed conductance, one value per device, so it "
                f'must be an instance parameter: (* type="instance" *) parameter real {target.name} = ...;'
            )
        self.name = self.module.name
        self.summary = f"compiled Verilog-A module {self.module.name} ({source.name})"
        self.citation = f"user model {source.resolve()}"
        self.conductance_meaning = f"the value of its instance parameter {target.name}"
        self.parameters = tuple(self._parameters(source, text, exclude=target.name))
        super().__init__(**{_resolve(list(self._declared), k, source): v for k, v in values.items()})

    def evaluate(self, v: np.ndarray, g: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Current I (A) and slope dI/dV (S) of the compiled model; arguments as :meth:`current`."""
        v = np.asarray(v, dtype=np.float64)
        g = np.asarray(g, dtype=np.float64)
        result = self._evaluate(v, None, {self.conductance_param: g}, self._device_shape(g))
        return result["current"], result["slope"]

    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        return self.evaluate(v, g)[0]

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        return self.evaluate(v, g)[1]

    def spice_cards(self, names: np.ndarray, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
        return self._instance_cards(names, a, b, {self.conductance_param: g})


class VerilogADynamicModel(_Compiled, Memristor):
    """A device with state nodes (``ddt``) compiled from a Verilog-A file (see the module docstring).

    Use :func:`from_verilog_a` to make one. ``memxbar iv`` needs an amplitude and a frequency for
    it (``sweep_amplitude`` and ``sweep_frequency`` are None).
    """

    sweep_amplitude: ClassVar[float | None] = None
    sweep_frequency: ClassVar[float | None] = None
    transient_from_operating_point: ClassVar[bool] = True

    def __init__(self, path: str | Path, conductance_param: str | None = None, **values: object) -> None:
        from memxbar.osdi.source import parameter_ranges

        source, text = self._load(path)
        if conductance_param is not None:
            raise InputError(
                f"{source}: {self.module.name} is dynamic (ddt): the conductance maps onto its state; "
                "drop conductance_param (--conductance-param)"
            )
        internal = [(k, name) for k, name in enumerate(self.module.nodes) if k >= 2]
        if [k for k, _ in internal] != list(range(2, 2 + len(internal))) or not all(
            self.module.reactive[k] for k, _ in internal
        ):
            raise InputError(f"{source}: every internal node of {self.module.name} must be a state node with ddt()")
        names = [p.name for p in self.module.parameters]
        ranges = parameter_ranges(text)
        states = []
        for _, node in internal:
            initial = next((n for n in names if n.lower() == f"{node}0".lower()), None)
            parameter = next((p for p in self.module.parameters if p.name == initial), None)
            if parameter is None or not parameter.instance or initial not in ranges:
                raise InputError(
                    f"{source}: state node {node} of {self.module.name} needs its initial state as an instance "
                    f'parameter with the state\'s bounds: (* type="instance" *) parameter real {node}0 = 0 from [0:1]; '
                    f"with a leak towards it, I({node}) <+ ddt(V({node})) - rate + (V({node}) - {node}0)/1e15;"
                )
            bounds = ranges[initial]
            doc = f"voltage of state node {node}, in the declared range of {initial}"
            states.append(StateVariable(node, "1", bounds.minimum, bounds.maximum, doc))
        self.states = tuple(states)
        self.name = self.module.name
        self.summary = f"compiled dynamic Verilog-A module {self.module.name} ({source.name})"
        self.citation = f"user model {source.resolve()}"
        self.conductance_meaning = "dI/dV at 0 V of the device at its state (mapped onto the state nodes)"
        self.parameters = tuple(self._parameters(source, text, exclude=None))
        self._mapped: tuple | None = None
        """The last conductance-to-state mapping (Newton reads the same conductances many times)."""
        super().__init__(**{_resolve(list(self._declared), k, source): v for k, v in values.items()})

    def _initial_names(self) -> list[str]:
        return [next(n for n in self._declared if n.lower() == f"{s.name}0".lower()) for s in self.states]

    def initial_state(self) -> np.ndarray:
        return np.stack(np.broadcast_arrays(*[self.values[n] for n in self._initial_names()]))

    def _at_state(self, v: np.ndarray, state: np.ndarray) -> dict[str, np.ndarray]:
        v = np.asarray(v, dtype=np.float64)
        state = np.asarray(state, dtype=np.float64)
        state = np.broadcast_to(state, (len(self.states),) + np.broadcast_shapes(v.shape, state.shape[1:]))
        v = np.broadcast_to(v, state.shape[1:])
        device_shape = self._device_shape()
        return self._evaluate(v, state, {}, device_shape if v.shape[: len(device_shape)] == device_shape else ())

    def state_current(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        return self._at_state(v, state)["current"]

    def state_slope(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        """dI/dV (S) at voltages ``v`` and fixed ``state`` (S, ...)."""
        return self._at_state(v, state)["slope"]

    def state_derivative(self, v: np.ndarray, state: np.ndarray) -> np.ndarray:
        return self._at_state(v, state)["rate"]

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        state = self.state_from_conductance(g)
        return self.state_slope(v, np.stack([expand(s, v.ndim) for s in state]))

    def conductance(self, state: np.ndarray) -> np.ndarray:
        state = np.asarray(state, dtype=np.float64)
        return self.state_slope(np.zeros(state.shape[1:]), state)

    def state_from_conductance(self, g: np.ndarray | float) -> np.ndarray:
        """The state whose dI/dV at 0 V is ``g`` (one state variable only; the conductance must be
        monotonic in the state), to a relative 1e-13 in conductance.

        Raises:
            ConvergenceError: If the root finder does not converge.
            InputError: If the model has several state nodes, or ``g`` is outside the
                conductances its state range reaches.
        """
        if len(self.states) != 1:
            raise InputError(f"{self.name}: mapping a conductance onto {len(self.states)} state nodes is ambiguous")
        g = np.asarray(g, dtype=np.float64)
        key = (g.shape, g.tobytes())
        if self._mapped is None or self._mapped[0] != key:
            self._mapped = (key, self._invert(g))
        return self._mapped[1]

    def _invert(self, g: np.ndarray) -> np.ndarray:
        """The state of conductance ``g`` (see :meth:`state_from_conductance`) by the Illinois method.

        Regula falsi with the Illinois modification (Dowell & Jarratt, BIT 11, 168 (1971)) on
        G(x) − g over the state's range: a bracket that shrinks superlinearly, 6–12 evaluations
        of the compiled model for all devices at once instead of bisection's ~50.
        """
        shape = np.broadcast_shapes(g.shape, self._device_shape())
        a = np.full(shape, self.states[0].minimum)
        b = np.full(shape, self.states[0].maximum)
        g_a, g_b = self.conductance(a[None]), self.conductance(b[None])
        lo, hi = np.minimum(g_a, g_b), np.maximum(g_a, g_b)
        g = np.broadcast_to(g, shape)
        outside = (g < lo * (1 - 1e-12)) | (g > hi * (1 + 1e-12))
        if np.any(outside & (g > 0)):
            raise InputError(
                f"conductances must lie in [{lo.min():g}, {hi.max():g}] S, what {self.name}'s states reach; "
                f"got {g[outside & (g > 0)].min():g} S"
            )
        g = np.clip(g, lo, hi)  # open devices (0 S) get the state of least conductance; they have no element
        f_a, f_b = g_a - g, g_b - g
        side = np.zeros(shape)
        for _ in range(ILLINOIS_STEPS):
            width = f_b - f_a
            c = np.where(width != 0, (a * f_b - b * f_a) / np.where(width != 0, width, 1), 0.5 * (a + b))
            f_c = self.conductance(c[None]) - g
            if np.all(np.abs(f_c) <= STATE_TOLERANCE * g):
                return c[None]
            keep_a = np.sign(f_c) == np.sign(f_b)
            f_a = np.where(keep_a & (side == -1), 0.5 * f_a, f_a)
            f_b = np.where(~keep_a & (side == 1), 0.5 * f_b, f_b)
            b, f_b = np.where(keep_a, c, b), np.where(keep_a, f_c, f_b)
            a, f_a = np.where(keep_a, a, c), np.where(keep_a, f_a, f_c)
            side = np.where(keep_a, -1, 1)
        raise ConvergenceError(
            f"mapping conductances onto the state of {self.name} did not converge in {ILLINOIS_STEPS} steps; "
            "is its conductance monotonic in the state?"
        )

    def spice_state_current(self, v: np.ndarray, state: Sequence[np.ndarray]) -> np.ndarray:
        return self.spice_current(v, state[0])

    def spice_state_derivative(self, v: np.ndarray, state: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [self.spice_current(v, state[0])]

    def spice_state_nodes(self, names: np.ndarray) -> list[np.ndarray]:
        """ngspice's names of the state nodes of OSDI instances ``N<name>``: ``n<name>#<node>``."""
        return [join("n", names, f"#{s.name.lower()}") for s in self.states]

    def spice_cards(self, names: np.ndarray, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
        return self.spice_transient_cards(names, a, b, self.state_from_conductance(g))

    def spice_transient_cards(
        self, names: np.ndarray, a: np.ndarray, b: np.ndarray, state: np.ndarray
    ) -> list[np.ndarray]:
        """OSDI instance cards with the state as each device's initial-state parameters."""
        return self._instance_cards(names, a, b, dict(zip(self._initial_names(), state, strict=True)))


def from_verilog_a(path: str | Path, conductance_param: str | None = None, **params: object) -> DeviceModel:
    """A device model from a Verilog-A file, run as the compiled (OSDI) model by both backends.

    Args:
        path: The ``.va`` file; its module's first two ports are the word- and bit-line terminals.
        conductance_param: For a static model, the instance parameter that takes
            ``Crossbar.conductances`` (S); default ``G``. Dynamic models map it onto the state.
        **params: Values of the module's parameters (case-insensitive names): numbers, or (M, N)
            arrays for instance parameters.

    Returns:
        A :class:`VerilogAModel`, or a :class:`VerilogADynamicModel` if the module has ``ddt``
        state nodes; its ``parameters`` list names, units, defaults and declared ranges.

    Raises:
        InputError: If the file is missing or uses a construct memxbar refuses (file:line, fix),
            the compiler rejects it (file:line:column), the compiler is not installed (how to
            install it), a parameter is unknown or out of range, or a parameter the solver needs
            (the conductance, a state's initial value) is missing or not an instance parameter.
    """
    from memxbar.osdi.compiler import compile_verilog_a
    from memxbar.osdi.library import load_module

    source = Path(path)
    if source.is_file():
        from memxbar.osdi.source import check

        check(source)
        if any(load_module(compile_verilog_a(source)).reactive[2:]):
            return VerilogADynamicModel(source, conductance_param, **params)
    return VerilogAModel(source, conductance_param, **params)
