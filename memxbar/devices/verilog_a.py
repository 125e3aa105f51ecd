"""A user's Verilog-A file as a device model: compiled once to OSDI, evaluated by both backends.

``from_verilog_a(path, **params)`` compiles the file (:mod:`memxbar.osdi.compiler`), reads its
parameters from the compiled module's OSDI descriptor (names, units and descriptions) and its
declared ranges from the text (:mod:`memxbar.osdi.source`, which also refuses constructs OSDI
cannot run faithfully), and returns a :class:`VerilogAModel`:

- the fast backend calls the compiled model itself (:class:`memxbar.osdi.library.Instances`):
  ``current`` is the resistive residual at the word-line terminal, ``slope`` its Jacobian entry
  ∂I/∂V, for every device, so a user's model needs no second implementation;
- the spice backend writes one OSDI instance card per device, ``N<name> a b <model> G=<g> ...``,
  after the model's :meth:`spice_preamble` (``pre_osdi`` of the compiled file in a ``.control``
  block, and the ``.model`` card), so the netlist runs in ``ngspice -b`` as it is.

The device's two terminals are the module's first two ports, in order (word line, bit line). The
conductance a crossbar programs goes to an instance parameter, ``G`` unless ``conductance_param``
names another. Per-device (M, N) values are accepted for instance parameters, declared
``(* type="instance" *) parameter real NAME = ...;``; model parameters take one value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from memxbar.devices.base import DeviceModel, Parameter, expand
from memxbar.errors import InputError
from memxbar.netlist.text import join, numbers

_CACHE_SIZE = 4


def _resolve(names: list[str], key: str, path: Path) -> str:
    """The declared parameter name matching ``key`` (case-insensitively, as ngspice does)."""
    for name in names:
        if name.lower() == key.lower():
            return name
    raise InputError(f"{key!r} is not a parameter of {path}; its parameters are: {', '.join(names) or 'none'}")


class VerilogAModel(DeviceModel):
    """A static two-terminal device model compiled from a Verilog-A file (see the module docstring).

    Use :func:`from_verilog_a` to make one.
    """

    def __init__(self, path: str | Path, conductance_param: str | None = None, **values: object) -> None:
        from memxbar.osdi.compiler import compile_verilog_a
        from memxbar.osdi.library import Instances, load_module
        from memxbar.osdi.source import check, parameter_ranges

        source = Path(path)
        if not source.is_file():
            raise InputError(f"Verilog-A file {source} does not exist (--device-file takes a .va file)")
        text = source.read_text()
        check(source, text)
        self.osdi_path = compile_verilog_a(source)
        module = load_module(self.osdi_path)
        if module.terminals != 2:
            raise InputError(
                f"{source}: module {module.name} has {module.terminals} terminals; a crossbar device needs two "
                "(word line, bit line)"
            )
        if any(module.reactive):
            raise InputError(
                f"{source}: module {module.name} has ddt() (dynamic) terms; memxbar runs compiled models as static "
                "read characteristics only (issue 11: dynamic Verilog-A models in crossbars)"
            )
        self.module = module
        declared = [p for p in module.parameters if not p.name.startswith("$") and p.kind != "string"]
        names = [p.name for p in declared]
        if conductance_param is None and not any(n.lower() == "g" for n in names):
            raise InputError(
                f"{source}: module {module.name} has no parameter G for the conductance a crossbar programs; "
                f'declare `(* type="instance" *) parameter real G = 1e-4;` or name the parameter that sets the '
                "conductance (conductance_param=NAME, --conductance-param NAME)"
            )
        self.conductance_param = _resolve(names, conductance_param or "G", source)
        target = next(p for p in declared if p.name == self.conductance_param)
        if not target.instance:
            raise InputError(
                f"{source}: parameter {target.name} takes the programmed conductance, one value per device, so it "
                f'must be an instance parameter: (* type="instance" *) parameter real {target.name} = ...;'
            )
        defaults = Instances(module, {}, {}, 1)
        ranges = parameter_ranges(text)
        self.name = module.name
        self.summary = f"compiled Verilog-A module {module.name} ({source.name})"
        self.citation = f"user model {source.resolve()}"
        self.conductance_meaning = f"the value of its instance parameter {target.name}"
        self.verilog_a = str(source.resolve())
        self._declared = {p.name: p for p in declared if p.name != target.name}
        self.parameters = tuple(
            Parameter(
                p.name,
                p.units or "1",
                defaults.read(p),
                p.description or f"{'instance' if p.instance else 'model'} parameter of {module.name}",
                integer=p.kind == "integer",
                per_device=p.instance,
                **vars(ranges[p.name]) if p.name in ranges else {},
            )
            for p in self._declared.values()
        )
        given = {_resolve(list(self._declared), key, source): value for key, value in values.items()}
        super().__init__(**given)
        self._instances: dict[tuple, Instances] = {}

    def verilog_a_path(self) -> Path:
        """The Verilog-A source file."""
        return Path(self.verilog_a)

    def _instances_for(self, g: np.ndarray, count: int):
        """OSDI instances for ``count`` devices with conductances ``g`` (scalar or (count,)), cached."""
        from memxbar.osdi.library import Instances

        key = (count, g.shape, g.tobytes())
        if key not in self._instances:
            if len(self._instances) >= _CACHE_SIZE:
                self._instances.pop(next(iter(self._instances)))
            model, instance = {}, {self.conductance_param: g}
            for name, value in self.values.items():
                if self._declared[name].instance:
                    instance[name] = value.reshape(-1) if value.ndim else float(value)
                else:
                    model[name] = float(value)
            self._instances[key] = Instances(self.module, model, instance, count)
        return self._instances[key]

    def evaluate(self, v: np.ndarray, g: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Current I (A) and slope dI/dV (S) of the compiled model at voltages ``v`` (see :meth:`current`)."""
        v = np.asarray(v, dtype=np.float64)
        g = np.asarray(g, dtype=np.float64)
        shapes = [g.shape] + [a.shape for a in self.values.values() if a.ndim]
        device_shape = np.broadcast_shapes(*shapes)
        if v.shape[: len(device_shape)] != device_shape:
            raise InputError(f"device voltages of shape {v.shape} do not match the devices' shape {device_shape}")
        if device_shape == ():
            flat = v.reshape(-1)
            instances = self._instances_for(g, flat.size)
            columns = flat[:, None]
        else:
            count = math.prod(device_shape)
            instances = self._instances_for(np.broadcast_to(g, device_shape).reshape(-1), count)
            columns = v.reshape(count, -1)
        entry = instances.resist_entries.index((0, 0))
        current = np.empty(columns.shape)
        slope = np.empty(columns.shape)
        nodes = np.zeros((instances.count, instances.n_nodes))
        for t in range(columns.shape[1]):
            nodes[:, 0] = columns[:, t]
            result = instances.evaluate(nodes)
            current[:, t] = result["resist"][:, 0]
            slope[:, t] = result["resist_jacobian"][:, entry]
        return current.reshape(v.shape), slope.reshape(v.shape)

    def current(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        return self.evaluate(v, g)[0]

    def slope(self, v: np.ndarray, g: np.ndarray | float) -> np.ndarray:
        return self.evaluate(v, g)[1]

    def spice_current(self, v: np.ndarray, g: np.ndarray) -> np.ndarray:
        raise InputError(
            f"{self.name} is a compiled Verilog-A model: it has no behavioural (B-source) expression; "
            "its ngspice form is an OSDI instance (spice_cards)"
        )

    @property
    def model_card(self) -> str:
        """Name of the ``.model`` card of this device in netlists."""
        return f"{self.name}_model"

    def _assignments(self, instance: bool) -> Mapping[str, np.ndarray]:
        return {k: v for k, v in self.values.items() if self._declared[k].instance == instance}

    def spice_preamble(self) -> list[str]:
        """``pre_osdi`` of the compiled file (a ``.control`` block) and the ``.model`` card."""
        model = " ".join(
            f"{k}={int(v) if self._declared[k].kind == 'integer' else float(v)!r}"
            for k, v in self._assignments(instance=False).items()
        )
        return [".control", f"pre_osdi {self.osdi_path}", ".endc", f".model {self.model_card} {self.name} {model}"]

    def spice_cards(self, names: np.ndarray, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
        parts: list[np.ndarray | str] = ["N", names, " ", a, " ", b, f" {self.model_card} {self.conductance_param}=",
                                         numbers(g)]
        for name, value in self._assignments(instance=True).items():
            parts += [f" {name}=", numbers(expand(value, 2) if value.ndim else value)]
        return [join(*parts)]


def from_verilog_a(path: str | Path, conductance_param: str | None = None, **params: object) -> VerilogAModel:
    """A device model from a Verilog-A file, run as the compiled (OSDI) model by both backends.

    Args:
        path: The ``.va`` file; its module's first two ports are the word- and bit-line terminals.
        conductance_param: The instance parameter that takes ``Crossbar.conductances`` (S);
            default ``G``.
        **params: Values of the module's parameters (case-insensitive names): numbers, or (M, N)
            arrays for instance parameters.

    Returns:
        The model; its ``parameters`` list names, units, defaults and declared ranges.

    Raises:
        InputError: If the file is missing or uses a construct memxbar refuses (file:line, fix),
            the compiler rejects it (file:line:column), the compiler is not installed (how to
            install it), a parameter is unknown or out of range, or the conductance parameter is
            missing or not an instance parameter.
    """
    return VerilogAModel(path, conductance_param, **params)
