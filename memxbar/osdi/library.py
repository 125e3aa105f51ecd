"""A compiled Verilog-A module (OSDI shared object) loaded with ctypes and evaluated for many devices.

:func:`load_module` reads an ``.osdi`` file's descriptor (nodes, parameters with their units and
descriptions) into a :class:`Module`. :class:`Instances` sets up one OSDI model and K instances of
it (instance parameters per device) and evaluates them all at given node voltages: currents
(resistive residuals), charges (reactive residuals) and their Jacobians, exactly what ngspice gets
from the same object. The ABI evaluates one instance per call, so the loop over instances is the
one part that is not vectorised; everything around it (parameters, node maps, reading residuals
out of the instances' memory) is NumPy on strided views of one buffer.
"""

from __future__ import annotations

import ctypes as C
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from memxbar.errors import InputError
from memxbar.osdi import abi

TEMPERATURE = 300.15
"""Device temperature (K) passed to instance set-up: ngspice's default 27 °C."""
SIM_PARAMETERS = {"gmin": 1e-12, "tnom": 300.15, "simulatorVersion": 46.0, "sourceScaleFactor": 1.0}
"""``$simparam`` values the models see: ngspice's defaults."""
_NO_OFFSET = 0xFFFFFFFF
_ALIGN = 16


class OsdiError(RuntimeError):
    """An OSDI library is unusable or a model evaluation failed."""


@dataclass(frozen=True)
class ModuleParameter:
    """One parameter of a compiled module, as its OSDI descriptor gives it."""

    name: str
    """Name as declared in the Verilog-A file."""
    id: int
    """Index in the descriptor (for ``access``)."""
    instance: bool
    """Whether it is an instance parameter (settable per device)."""
    kind: str
    """``"real"``, ``"integer"`` or ``"string"``."""
    units: str
    """The ``units`` attribute of the declaration, or ``""``."""
    description: str
    """The ``desc`` attribute of the declaration, or ``""``."""


@dataclass(frozen=True, eq=False)
class Module:
    """One module of a loaded OSDI library."""

    path: Path
    """The ``.osdi`` file."""
    name: str
    """Module name in the Verilog-A file."""
    nodes: tuple[str, ...]
    """Node names, terminals first."""
    terminals: int
    """Number of terminals."""
    parameters: tuple[ModuleParameter, ...]
    """Parameters (not opvars), instance parameters first."""
    reactive: tuple[bool, ...]
    """Per node, whether it has a reactive (``ddt``) residual."""
    descriptor: abi.OsdiDescriptor
    """The raw descriptor (its functions are called by :class:`Instances`)."""
    library: C.CDLL
    """The loaded library (kept alive with the module)."""

    def claim_log(self) -> None:
        """Point the library's ``osdi_log`` at memxbar's callback before memxbar calls the model.

        ngspice loads the same file into this process (the same library handle) and points it
        at its own callback, which expects ngspice's instance handle; memxbar passes none.
        """
        try:
            C.c_void_p.in_dll(self.library, "osdi_log").value = _LOG_ADDRESS
        except ValueError:
            pass


def _text(value: bytes | None) -> str:
    return value.decode() if value else ""


@C.CFUNCTYPE(None, C.c_void_p, C.c_char_p, C.c_uint32)
def _log(handle: int, message: bytes, level: int) -> None:
    """``osdi_log`` callback: the models' ``$display``/``$strobe`` output is dropped."""


_LOG_ADDRESS = C.cast(_log, C.c_void_p).value


@cache
def load_module(path: Path) -> Module:
    """Load an ``.osdi`` file and describe its (first) module.

    Raises:
        OsdiError: If the file is not an OSDI 0.4/0.5 library or holds no module.
    """
    try:
        library = C.CDLL(str(path))
        major = C.c_uint32.in_dll(library, "OSDI_VERSION_MAJOR").value
        minor = C.c_uint32.in_dll(library, "OSDI_VERSION_MINOR").value
        count = C.c_uint32.in_dll(library, "OSDI_NUM_DESCRIPTORS").value
    except (OSError, ValueError) as exc:
        raise OsdiError(f"{path} is not an OSDI library: {exc}") from None
    if (major, minor) < (0, 4) or major != 0:
        raise OsdiError(f"{path} is OSDI {major}.{minor}; memxbar reads OSDI 0.4 and 0.5")
    if count < 1:
        raise OsdiError(f"{path} holds no Verilog-A module")
    d = abi.OsdiDescriptor.from_address(C.addressof(C.c_char.in_dll(library, "OSDI_DESCRIPTORS")))
    nodes = tuple(_text(d.nodes[k].name) for k in range(d.num_nodes))
    reactive = tuple(d.nodes[k].react_residual_off != _NO_OFFSET for k in range(d.num_nodes))
    kinds = {abi.PARA_TY_REAL: "real", abi.PARA_TY_INT: "integer", abi.PARA_TY_STR: "string"}
    parameters = []
    for k in range(d.num_params):
        p = d.param_opvar[k]
        parameters.append(
            ModuleParameter(
                name=_text(p.name[0]),
                id=k,
                instance=(p.flags & abi.PARA_KIND_MASK) == abi.PARA_KIND_INST,
                kind=kinds.get(p.flags & abi.PARA_TY_MASK, "real"),
                units=_text(p.units),
                description=_text(p.description),
            )
        )
    return Module(path, _text(d.name), nodes, d.num_terminals, tuple(parameters), reactive, d, library)


def _sim_parameters() -> abi.OsdiSimParas:
    names = (C.c_char_p * (len(SIM_PARAMETERS) + 1))(*[k.encode() for k in SIM_PARAMETERS], None)
    values = (C.c_double * len(SIM_PARAMETERS))(*SIM_PARAMETERS.values())
    no_strings = (C.c_char_p * 1)(None)
    paras = abi.OsdiSimParas(names, values, no_strings, no_strings)
    paras._keep = (names, values, no_strings)
    return paras


def _init_errors(info: abi.OsdiInitInfo, module: Module) -> str | None:
    if not info.num_errors:
        return None
    error = info.errors[0]
    if error.code == abi.INIT_ERR_OUT_OF_BOUNDS and error.parameter_id < len(module.parameters):
        return f"parameter {module.parameters[error.parameter_id].name} is outside the range its file declares"
    return f"set-up error code {error.code}"


class Instances:
    """K instances of one module, sharing one OSDI model, evaluated together.

    Args:
        module: The loaded module.
        model_values: Values of model parameters by declared name (scalars); others at their defaults.
        instance_values: Values of instance parameters by declared name: scalars or (K,) arrays.
        count: K, the number of instances.

    Raises:
        InputError: If the module rejects a value (out of its declared range), or a per-device
            array is given for a model parameter.
    """

    def __init__(
        self,
        module: Module,
        model_values: dict[str, float],
        instance_values: dict[str, np.ndarray | float],
        count: int,
    ) -> None:
        d = module.descriptor
        module.claim_log()
        self.module, self.count = module, count
        self.n_nodes, self.n_states = d.num_nodes, d.num_states
        by_name = {p.name: p for p in module.parameters}
        self._paras = _sim_parameters()
        self._model = np.zeros(-(-max(d.model_size, 8) // 8), dtype=np.float64)
        model = self._model.ctypes.data
        for name, value in model_values.items():
            self._write(d.access(None, model, by_name[name].id, abi.ACCESS_FLAG_SET), by_name[name], value)
        info = abi.OsdiInitInfo()
        d.setup_model(None, model, C.byref(self._paras), C.byref(info))
        self._raise(info)

        self.stride = -(-max(d.instance_size, 8) // _ALIGN) * _ALIGN
        self._buffer = np.zeros(count * self.stride // 8, dtype=np.float64)
        raw = self._buffer.view(np.uint8).reshape(count, self.stride)
        base = self._buffer.ctypes.data
        arrays = {}
        for name, value in instance_values.items():
            if not by_name[name].instance:
                raise InputError(
                    f"parameter {name} of Verilog-A model {module.name} ({module.path.name}) is a model parameter, "
                    "so it cannot take one value per device; declare it as an instance parameter: "
                    f'(* type="instance" *) parameter real {name} = ...;'
                )
            array = np.asarray(value, dtype=np.float64)
            pointer = d.access(base, model, by_name[name].id, abi.ACCESS_FLAG_SET | abi.ACCESS_FLAG_INSTANCE)
            self._write(pointer, by_name[name], float(array.reshape(-1)[0]))
            if array.ndim:
                dtype = np.int32 if by_name[name].kind == "integer" else np.float64
                arrays[pointer - base] = array.reshape(count).astype(dtype)
        raw[1:] = raw[0]
        for offset, array in arrays.items():
            self._field(offset, array.dtype)[:] = array
        index = np.arange(count, dtype=np.uint32)
        for k in range(self.n_nodes):
            self._field(d.node_mapping_offset + 4 * k, np.uint32)[:] = index * self.n_nodes + k
        for s in range(self.n_states):
            self._field(d.state_idx_off + 4 * s, np.uint32)[:] = index * self.n_states + s
        self.pointers = (base + self.stride * np.arange(count)).tolist()
        for pointer in self.pointers:
            d.setup_instance(None, pointer, model, TEMPERATURE, d.num_terminals, C.byref(self._paras), C.byref(info))
            self._raise(info)
        entries = [d.jacobian_entries[k] for k in range(d.num_jacobian_entries)]
        self.resist_entries = [(e.nodes.node_1, e.nodes.node_2) for e in entries if e.flags & abi.JACOBIAN_ENTRY_RESIST]
        self.react_entries = [(e.nodes.node_1, e.nodes.node_2) for e in entries if e.flags & abi.JACOBIAN_ENTRY_REACT]
        nodes = [d.nodes[k] for k in range(self.n_nodes)]
        self._resist_off = [n.resist_residual_off for n in nodes]
        self._react_off = [n.react_residual_off for n in nodes]

    def read(self, parameter: ModuleParameter) -> float:
        """The value of a real or integer parameter of the first instance (its default unless set)."""
        d = self.module.descriptor
        flags = abi.ACCESS_FLAG_READ | (abi.ACCESS_FLAG_INSTANCE if parameter.instance else 0)
        pointer = d.access(self.pointers[0], self._model.ctypes.data, parameter.id, flags)
        if parameter.kind == "integer":
            return float(C.c_int32.from_address(pointer).value)
        return C.c_double.from_address(pointer).value

    def _raise(self, info: abi.OsdiInitInfo) -> None:
        message = _init_errors(info, self.module)
        if message:
            raise InputError(f"Verilog-A model {self.module.name} ({self.module.path.name}): {message}")

    @staticmethod
    def _write(pointer: int, parameter: ModuleParameter, value: float) -> None:
        if parameter.kind == "integer":
            C.c_int32.from_address(pointer).value = int(value)
        elif parameter.kind == "real":
            C.c_double.from_address(pointer).value = float(value)
        else:
            raise InputError(f"string parameter {parameter.name} of a Verilog-A model cannot be set by memxbar")

    def _field(self, offset: int, dtype: type) -> np.ndarray:
        """A strided view of one field of every instance."""
        return np.ndarray((self.count,), dtype=dtype, buffer=self._buffer, offset=offset, strides=(self.stride,))

    def evaluate(self, nodes: np.ndarray, reactive: bool = False) -> dict[str, np.ndarray]:
        """Evaluate every instance at its node voltages (a DC operating point, no limiting).

        Args:
            nodes: (K, n_nodes) node voltages in volts (V), terminals first.
            reactive: Also compute charges and their Jacobian (``ddt`` terms).

        Returns:
            ``resist`` (K, n_nodes): the currents leaving each node into the device (A);
            ``resist_jacobian`` (K, E): their derivatives at the entries ``resist_entries``
            (node, node) (S); with ``reactive``, ``react`` (K, n_nodes) charges (C) and
            ``react_jacobian`` (K, E') at ``react_entries`` (F).

        Raises:
            OsdiError: If the model reports a fatal error (e.g. ``$fatal``).
        """
        d = self.module.descriptor
        self.module.claim_log()
        solve = np.ascontiguousarray(nodes, dtype=np.float64).reshape(self.count, self.n_nodes)
        states = np.zeros(max(self.count * self.n_states, 1))
        flags = abi.CALC_RESIST_RESIDUAL | abi.CALC_RESIST_JACOBIAN | abi.ANALYSIS_DC | abi.ANALYSIS_STATIC
        if reactive:
            flags |= abi.CALC_REACT_RESIDUAL | abi.CALC_REACT_JACOBIAN
        info = abi.OsdiSimInfo(self._paras, 0.0, solve.ctypes.data, states.ctypes.data, states.ctypes.data, flags)
        jacobian = np.zeros((self.count, max(len(self.resist_entries), 1)))
        react_jacobian = np.zeros((self.count, max(len(self.react_entries), 1)))
        evaluate, model, ref = d.eval, self._model.ctypes.data, C.byref(info)
        write, write_react = d.write_jacobian_array_resist, d.write_jacobian_array_react
        width, react_width = jacobian.shape[1] * 8, react_jacobian.shape[1] * 8
        target, react_target = jacobian.ctypes.data, react_jacobian.ctypes.data
        failed = 0
        for k, pointer in enumerate(self.pointers):
            failed |= evaluate(None, pointer, model, ref)
            write(pointer, model, target + k * width)
            if reactive:
                write_react(pointer, model, react_target + k * react_width)
        if failed & abi.EVAL_RET_FLAG_FATAL:
            raise OsdiError(f"Verilog-A model {self.module.name} stopped with a fatal error during evaluation")
        result = {
            "resist": self._residuals(self._resist_off),
            "resist_jacobian": jacobian[:, : len(self.resist_entries)],
        }
        if reactive:
            result["react"] = self._residuals(self._react_off)
            result["react_jacobian"] = react_jacobian[:, : len(self.react_entries)]
        return result

    def _residuals(self, offsets: list[int]) -> np.ndarray:
        columns = [np.zeros(self.count) if o == _NO_OFFSET else self._field(o, np.float64).copy() for o in offsets]
        return np.stack(columns, axis=1)
