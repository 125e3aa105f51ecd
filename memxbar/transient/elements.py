"""Element groups that only a transient analysis needs: line and cell capacitance, and devices with state.

:func:`transient_circuit` extends a compiled circuit (:mod:`memxbar.circuit.compile`) with a
:class:`Capacitors` group built from the crossbar's ``c_wl``, ``c_bl`` and ``c_device`` (and a 0 V
ground node if the circuit had none), and replaces a dynamic model's :class:`Devices` group by a
:class:`DynamicDevices` group, whose current depends on the device states. Both backends then loop
over the same groups: the nodal assembler builds the capacitance matrix C from
``capacitance_stamps`` on the pattern it builds G on, and the netlist writer asks each group for its
cards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from memxbar.cards import indices, join, numbers
from memxbar.circuit.compile import Circuit
from memxbar.circuit.elements import TWO_TERMINAL, Devices, ElementGroup
from memxbar.crossbar import Crossbar
from memxbar.devices.base import DynamicModel


@dataclass(frozen=True, eq=False)
class Capacitors(ElementGroup):
    """Linear capacitors: open at DC, a charge q = C·(v_a − v_b) in a transient."""

    nodes: np.ndarray
    """(K, 2) node indices of both plates."""
    capacitance: np.ndarray
    """(K,) capacitance in farads (F), > 0."""
    naming: Callable[[], np.ndarray]
    """Makes the (K,) SPICE element names, e.g. ``Cw0_3``."""
    power_class: str = "capacitors"
    """Power class (a capacitor stores energy, it does not dissipate it)."""

    def conductance_stamps(self) -> np.ndarray:
        return np.zeros((self.size, 2, 2))

    def capacitance_stamps(self) -> np.ndarray:
        return self.capacitance[:, None, None] * TWO_TERMINAL

    def conducting(self) -> np.ndarray:
        return np.zeros(self.size, dtype=bool)

    def evaluate(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(v.shape), np.zeros((self.size, 2, 2, v.shape[2]))

    def spice_cards(self, names: np.ndarray) -> list[np.ndarray]:
        return [join(self.names, " ", names[:, 0], " ", names[:, 1], " ", numbers(self.capacitance))]


@dataclass(eq=False)
class DeviceState:
    """The mutable part of a transient step that :class:`DynamicDevices` reads: the states being iterated
    and the integration formula's coefficient, and what the last linearisation found."""

    state: np.ndarray
    """(S, K) state of every device at the time being solved (state units)."""
    alpha: float = 0.0
    """Coefficient α (1/s) of the integration formula d(state)/dt ≈ α·state + history; 0 at an
    operating point (the states are then held, their equation is not solved)."""
    last: dict[str, np.ndarray] = field(default_factory=dict)
    """The last linearisation (see :meth:`DynamicDevices.linearise`)."""


FD_STEP = 1e-7
"""Relative step of the finite differences for ∂I/∂v, ∂I/∂state and ∂(dstate/dt)/∂(v, state) (only the
Newton Jacobian uses them, never the residual, so they change the iteration count, not the answer)."""


@dataclass(frozen=True, eq=False)
class DynamicDevices(ElementGroup):
    """Two-terminal devices of a :class:`~memxbar.devices.base.DynamicModel` at their present state.

    The current is the model's ``state_current(v, state)`` at the states in ``holder``. In a transient
    step the states are unknowns too: their discretised equation α·s + h − ds/dt(v, s) = 0 is eliminated
    device by device (a Schur complement), so the Jacobian stamp is the *effective* conductance
    ∂I/∂v + ∂I/∂s·(α − ∂f/∂s)⁻¹·∂f/∂v, still a two-terminal stamp on the nodal pattern.
    """

    nodes: np.ndarray
    """(K, 2) node of the positive terminal and of the other one."""
    model: DynamicModel
    """The device model."""
    conductances: np.ndarray
    """(M, N) conductances G the devices were programmed to (S); 0 is an open device."""
    cell: np.ndarray
    """(K,) flat index of each element's cell in the (M, N) grid."""
    holder: DeviceState
    """The states (mutable, owned by the integrator)."""
    naming: Callable[[], np.ndarray]
    """Makes the (K,) element name suffixes, e.g. ``m0_3``."""
    power_class: str = "devices"
    """Power class of the devices."""
    linear: bool = False

    @property
    def open(self) -> np.ndarray:
        """(K,) whether each device is open (G = 0: no current, no state change)."""
        return self._open

    def __post_init__(self) -> None:
        object.__setattr__(self, "_open", self.conductances.ravel()[self.cell] <= 0)
        # Scalar parameters let the model run on the (K,) devices directly, else on the (M, N) grid.
        object.__setattr__(self, "_flat_parameters", all(np.ndim(v) == 0 for v in self.model.values.values()))

    def _model(self, vd: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Currents (K, P) (A) and state rates (S, K, P) at P variants of the device voltages vd (K, P) (V)
        and states (S, K, P), in one call of each model function."""
        if self._flat_parameters:
            v, s = vd, state
        else:
            m, n = self.conductances.shape
            v = np.zeros((m * n, vd.shape[1]))
            s = np.zeros((state.shape[0], m * n, vd.shape[1]))
            v[self.cell], s[:, self.cell] = vd, state
            v, s = v.reshape(m, n, -1), s.reshape(s.shape[0], m, n, -1)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            i, f = self.model.state_current(v, s), self.model.state_derivative(v, s)
        if not self._flat_parameters:
            i, f = i.reshape(-1, vd.shape[1])[self.cell], f.reshape(f.shape[0], -1, vd.shape[1])[:, self.cell]
        closed = ~self._open[:, None]
        return np.where(closed, i, 0.0), np.where(closed, f, 0.0)

    def device_current(self, vd: np.ndarray, state: np.ndarray) -> np.ndarray:
        """(K,) currents (A) at device voltages vd (K,) (V) and states (S, K)."""
        return self._model(vd[:, None], state[:, :, None])[0][:, 0]

    def rate(self, vd: np.ndarray, state: np.ndarray) -> np.ndarray:
        """(S, K) d(state)/dt (state units per second) at device voltages vd (K,) and states (S, K)."""
        return self._model(vd[:, None], state[:, :, None])[1][:, :, 0]

    def linearise(self, vd: np.ndarray) -> dict[str, np.ndarray]:
        """Current, state rate and their derivatives at vd (K,) and the holder's states, by finite differences
        (the model is called once on all 2 + S variants).

        Returns (and keeps in ``holder.last``): ``i`` (K,), ``i_v`` (K,), ``i_s`` (S, K), ``f`` (S, K),
        ``f_v`` (S, K), ``f_s`` (S, S, K) (∂f_a/∂s_b), and ``g`` (K,) the effective conductance (S).
        """
        s = self.holder.state
        n_states = s.shape[0]
        dv = FD_STEP * np.maximum(np.abs(vd), 1e-3)
        steps = np.empty((n_states, s.shape[1]))
        v_all = np.repeat(vd[:, None], 2 + n_states, axis=1)
        v_all[:, 1] += dv
        s_all = np.repeat(s[:, :, None], 2 + n_states, axis=2)
        for b, variable in enumerate(self.model.states):
            ds = FD_STEP * max(variable.maximum - variable.minimum, 1e-30)
            # Step inwards from a bound, so the model is evaluated within its range.
            steps[b] = np.where(s[b] + ds > variable.maximum, -ds, ds)
            s_all[b, :, 2 + b] += steps[b]
        i_all, f_all = self._model(v_all, s_all)
        i, f = i_all[:, 0], f_all[:, :, 0]
        i_v = (i_all[:, 1] - i) / dv
        f_v = (f_all[:, :, 1] - f) / dv
        i_s = (i_all[:, 2:].T - i) / steps
        f_s = (f_all[:, :, 2:] - f[:, :, None]).transpose(0, 2, 1) / steps[None]
        g = i_v.copy()
        if self.holder.alpha > 0:
            j_ss = self.holder.alpha * np.eye(n_states)[:, :, None] - f_s
            if n_states == 1:
                g = g + i_s[0] * f_v[0] / j_ss[0, 0]
            else:
                ds_dv = np.linalg.solve(np.moveaxis(j_ss, -1, 0), f_v.T[:, :, None])[:, :, 0].T
                g = g + (i_s * ds_dv).sum(axis=0)
        self.holder.last = {"i": i, "i_v": i_v, "i_s": i_s, "f": f, "f_v": f_v, "f_s": f_s, "g": g}
        return self.holder.last

    def evaluate(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vd = v[:, 0, 0] - v[:, 1, 0]
        lin = self.linearise(vd)
        return (np.stack([lin["i"], -lin["i"]], axis=1)[:, :, None],
                TWO_TERMINAL[None, :, :, None] * lin["g"][:, None, None, None])

    def currents(self, v: np.ndarray) -> np.ndarray:
        i = np.stack([self.device_current(v[:, 0, b] - v[:, 1, b], self.holder.state)
                      for b in range(v.shape[2])], axis=-1)
        return np.stack([i, -i], axis=1)

    def conducting(self) -> np.ndarray:
        return ~self.open

    def spice_cards(self, names: np.ndarray) -> list[np.ndarray]:
        """Transient cards: each state on a 1 F capacitor (see
        :meth:`~memxbar.devices.base.DynamicModel.spice_transient_cards`), from the holder's states."""
        m, n = self.conductances.shape
        keep = ~self.open
        grid_names = np.full(m * n, "", dtype=object)
        a = np.full(m * n, "", dtype=object)
        b = np.full(m * n, "", dtype=object)
        grid_names[self.cell], a[self.cell], b[self.cell] = self.names, names[:, 0], names[:, 1]
        flat = self.cell[keep]
        cards = self.model.spice_transient_cards(grid_names[flat].astype(str), a[flat].astype(str),
                                                 b[flat].astype(str), self.holder.state[:, keep])
        return [np.asarray(card) for card in cards]

    def spice_state_nodes(self) -> list[np.ndarray]:
        """(K_closed,) names of the state nodes of the closed devices, one array per state variable."""
        return self.model.spice_state_nodes(self.names[~self.open])

    def spice_preamble(self) -> list[str]:
        return list(self.model.spice_preamble())


def _capacitors(crossbar: Crossbar, circuit: Circuit, ground: int) -> Capacitors:
    """Line capacitance lumped at each segment's node (W[i, j], B[i, j]) to ground, and across each cell."""
    m, n = crossbar.shape
    rows, cols = indices((m, n))
    w, b = circuit.w_node, circuit.b_node
    gnd = np.full((m, n), ground)
    parts = [(w, gnd, crossbar.c_wl, "Cw"), (b, gnd, crossbar.c_bl, "Cb"), (w, b, crossbar.c_device, "Cd")]
    nodes, values, labels = [], [], []
    for a, z, c, prefix in parts:
        keep = (c > 0) & (a != z)
        nodes.append(np.column_stack([a[keep], z[keep]]))
        values.append(c[keep])
        labels.append((prefix, keep))

    def naming() -> np.ndarray:
        return np.concatenate([join(prefix, rows, "_", cols)[keep] for prefix, keep in labels])

    return Capacitors(np.concatenate(nodes).astype(np.int64), np.concatenate(values), naming)


def transient_circuit(crossbar: Crossbar, circuit: Circuit,
                      state: np.ndarray | None) -> tuple[Circuit, DeviceState | None]:
    """The circuit of a transient analysis: ``circuit`` with its capacitors and its devices' states.

    Args:
        crossbar: The crossbar (its ``c_wl``, ``c_bl`` and ``c_device``).
        circuit: Its compiled circuit (:func:`~memxbar.circuit.compile.compile_circuit`).
        state: (S, M, N) initial device states of a dynamic model, or None (static devices).

    Returns:
        The extended circuit, and the :class:`DeviceState` its dynamic devices read (None if static).
    """
    ground = circuit.ground
    extra = 0
    needs_ground = bool((crossbar.c_wl > 0).any() or (crossbar.c_bl > 0).any())
    if ground < 0 and needs_ground:
        ground, extra = circuit.n_nodes, 1
    caps = _capacitors(crossbar, circuit, ground)
    groups = list(circuit.groups)
    holder = None
    devices = circuit.devices
    if state is not None:
        assert isinstance(devices, Devices)
        holder = DeviceState(state.reshape(state.shape[0], -1)[:, devices.cell].copy())
        dynamic = DynamicDevices(devices.nodes, devices.model, devices.conductances, devices.cell, holder,
                                 devices.naming, devices.power_class)
        groups[groups.index(devices)] = dynamic
        devices = dynamic
    if caps.size:
        groups.append(caps)
    return dataclasses.replace(circuit, groups=tuple(groups), devices=devices, n_known=circuit.n_known + extra,
                               ground=ground), holder
