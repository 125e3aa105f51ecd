"""Gradients of a loss of the output currents, by the adjoint of the crossbar's nodal equations.

For unknown node voltages x and input voltages V, Kirchhoff's current law is F(x, G, V) = 0 and
the output currents are I_out = out_x·x + out_v·V by Ohm's law at the terminals
(:func:`memxbar.solver.ports.source_map`). Given the sensitivities ḡ = ∂L/∂I_out of a scalar
loss L, one more solve with the (symmetric) nodal matrix,

    J·λ = out_xᵀ·ḡ,         J = ∂F/∂x (the nodal matrix A for ohmic devices),

gives every gradient (the adjoint method; e.g. Director & Rohrer, IEEE Trans. Circuit Theory 16,
318 (1969), for the network-sensitivity form used here):

    ∂L/∂V = out_vᵀ·ḡ − Sᵀ·λ,         S = ∂F/∂V,
    ∂L/∂G_ij = −Σ_b (ψ_W[i,j] − ψ_B[i,j])·∂I_ij/∂G_ij,

where ψ are the *adjoint node voltages*: λ at the unknown nodes, 0 V at the word-line sources,
and ḡ_j at bit line j's virtual ground. By reciprocity ψ is the solution of the same crossbar
driven from its bit lines: every word line grounded at its driver and the virtual ground of bit
line j raised to ḡ_j volts (Tellegen's theorem). For ohmic devices ∂I/∂G = W − B, so
∂L/∂G_ij = −Σ_b (W − B)_ij,b·(ψ_W − ψ_B)_ij,b.

For nonlinear devices J and S are the nodal matrices of the circuit linearised at the solution
(each device replaced by its small-signal conductance dI/dV), one per input vector, and ∂I/∂G
is the model's current at unit conductance: every static model is proportional to G.
"""

from __future__ import annotations

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.inputs import as_batch
from memxbar.solution import Solution
from memxbar.solver.direct import CrossbarSystem
from memxbar.validation import as_finite_array


def _adjoint_node_voltages(system: CrossbarSystem, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adjoint voltages (M, N, B) across every device, and λ (n, B): the circuit with its word-line
    terminals at 0 V and bit line j's terminal at ḡ_j volts."""
    circuit = system.circuit
    lam = system.solve(system.source_ports.out_x.T @ grad) if system.n else np.zeros((0, grad.shape[1]))
    known = circuit.known_voltages(np.zeros((system.crossbar.rows, grad.shape[1])), grad, None)
    psi = np.concatenate([lam, known])
    return psi[circuit.w_node] - psi[circuit.b_node], lam


def _input_gradient(system: CrossbarSystem, grad: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """∂L/∂V (M, B) = out_vᵀ·ḡ − Sᵀ·λ over the word-line terminals (the first M known nodes)."""
    m = system.crossbar.rows
    direct = system.source_ports.out_v[:, :m].T @ grad
    return direct - (system.s[:, :m].T @ lam if system.n else 0.0)


def _linearised(crossbar: Crossbar, slope: np.ndarray) -> CrossbarSystem:
    """The nodal system of ``crossbar`` with each device replaced by its small-signal conductance."""
    if not np.all(slope >= 0):
        raise InputError(
            f"crossbar: the adjoint needs devices without negative differential resistance; "
            f"{crossbar.device.name} devices have dI/dV < 0 at this operating point"
        )
    ohmic = Crossbar(slope, r_wl=crossbar.r_wl, r_bl=crossbar.r_bl, r_driver=crossbar.r_driver,
                     r_sense=crossbar.r_sense)
    return CrossbarSystem.build(ohmic)


def _current_per_conductance(crossbar: Crossbar, v_dev: np.ndarray) -> np.ndarray:
    """∂I/∂G (M, N, B) in A/S: the model's current at unit conductance (the current is proportional to G)."""
    device = crossbar.device
    unit = device.current(v_dev, np.ones(crossbar.shape))
    g = crossbar.conductances
    if not np.allclose(device.current(v_dev, 2.0 * g), 2.0 * device.current(v_dev, g), rtol=1e-12, atol=0.0):
        raise InputError(
            f"crossbar: the adjoint needs a device current proportional to its conductance; "
            f"{device.name} devices are not"
        )
    return unit


def vjp(
    crossbar: Crossbar,
    voltages: np.ndarray,
    grad_outputs: np.ndarray,
    *,
    solution: Solution | None = None,
    device_voltages: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of a loss with respect to the conductances and the input voltages (vector–Jacobian product).

    Given ḡ = ∂L/∂I_out for the crossbar's output currents at ``voltages``, returns ∂L/∂G and
    ∂L/∂V exactly (to solver precision), from the adjoint of the nodal equations (see the module
    docstring): for ohmic devices one factorisation serves the forward solve and the adjoint
    solve; for nonlinear devices the circuit is linearised at each input vector's solution.

    Args:
        crossbar: The crossbar; its devices must have dI/dV ≥ 0 and a current proportional to G.
        voltages: (M,) or (M, B) input voltages in volts (V).
        grad_outputs: ∂L/∂I_out, (N,) or (N, B) like the output currents, in 1/A (units of L per ampere).
        solution: The crossbar's full solution at ``voltages`` (``simulate(..., outputs_only=False)``),
            if already computed; saves the forward solve (Newton's method for nonlinear devices).
        device_voltages: (M, N, B) device voltages of that solution (V), instead of ``solution``.

    Returns:
        ``(grad_conductances, grad_voltages)``: ∂L/∂G of shape (M, N) in units of L per siemens
        (summed over the batch) and ∂L/∂V of the shape of ``voltages`` in units of L per volt.

    Raises:
        InputError: If a shape does not match, ``solution`` is outputs-only or of other inputs, or
            the device model is not supported (negative differential resistance, current not
            proportional to G).
        ConvergenceError: If the forward solve of nonlinear devices does not converge.
    """
    if not isinstance(crossbar, Crossbar):
        raise InputError(f"crossbar must be a memxbar.Crossbar, got {type(crossbar).__name__}")
    if crossbar.cell.internal_nodes:
        raise InputError(f"crossbar: the adjoint covers passive 1r crossbars; {crossbar.cell.name} cells are not")
    v, batched = as_batch(voltages, crossbar.rows)
    grad = as_finite_array(grad_outputs, "grad_outputs")
    grad = grad if grad.ndim == 2 else grad.reshape(-1, 1)
    if grad.shape != (crossbar.cols, v.shape[1]):
        raise InputError(
            f"grad_outputs must have the shape of the output currents, {(crossbar.cols, v.shape[1])}, "
            f"got {np.shape(grad_outputs)}"
        )
    if solution is not None:
        if solution.outputs_only:
            raise InputError("solution must be a full solution (outputs_only=False): the adjoint needs node voltages")
        if solution.crossbar is not crossbar or not np.array_equal(np.reshape(solution.voltages, v.shape), v):
            raise InputError("solution must be the solution of this crossbar at these voltages")
        device_voltages = solution.device_voltages.reshape(*crossbar.shape, -1)

    if crossbar.device.linear:
        system = CrossbarSystem.build(crossbar)
        if device_voltages is None:
            u = system.circuit.known_voltages(v, np.zeros((crossbar.cols, v.shape[1])), None)
            x = system.solve(-(system.s @ u)) if system.n else np.zeros((0, v.shape[1]))
            nodes = np.concatenate([x, u])
            v_dev = nodes[system.circuit.w_node] - nodes[system.circuit.b_node]
        else:
            v_dev = device_voltages
        dpsi, lam = _adjoint_node_voltages(system, grad)
        grad_g = -np.einsum("ijb,ijb->ij", v_dev, dpsi)
        grad_v = _input_gradient(system, grad, lam)
        system.free()
    else:
        if device_voltages is None:
            from memxbar.simulate import simulate

            device_voltages = simulate(crossbar, v).device_voltages.reshape(*crossbar.shape, -1)
        v_dev = device_voltages
        slope = crossbar.device.slope(v_dev, crossbar.conductances)
        per_g = _current_per_conductance(crossbar, v_dev)
        grad_g = np.zeros(crossbar.shape)
        grad_v = np.empty_like(v)
        for k in range(v.shape[1]):
            system = _linearised(crossbar, slope[..., k])
            dpsi, lam = _adjoint_node_voltages(system, grad[:, k:k + 1])
            grad_g -= dpsi[..., 0] * per_g[..., k]
            grad_v[:, k] = _input_gradient(system, grad[:, k:k + 1], lam)[:, 0]
            system.free()
    return grad_g, (grad_v if batched else grad_v[:, 0])
