"""The crossbar circuit solve as a differentiable JAX operation (needs the ``nn`` extra).

``currents(g, v, n)`` returns a tile's column currents solved exactly by memxbar (line resistance
and the per-device power-law I–V nonlinearity together), through :func:`jax.pure_callback`; its
vector–Jacobian product comes from the adjoint of the nodal equations
(:func:`memxbar.solver.adjoint.vjp`): one more solve with the same factorisation for ohmic
devices, the circuit linearised at the solution for nonlinear ones (whose node voltages are kept
from the forward solve). JAX runs in 64-bit mode once this module is imported: currents of
high-resistance devices (~1e-7 A) and their gradients need double precision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.nn.devices import DeviceSet
from memxbar.simulate import simulate
from memxbar.solver.adjoint import vjp

jax.config.update("jax_enable_x64", True)


def _crossbar(g: np.ndarray, n: np.ndarray, r_line: float, devices: DeviceSet) -> Crossbar:
    return Crossbar(np.asarray(g, dtype=np.float64), r_wl=r_line, r_bl=r_line,
                    device=devices.model(np.asarray(n, dtype=np.float64)))


def circuit_currents(r_line: float, devices: DeviceSet) -> Callable[[Any, Any, Any], Any]:
    """A differentiable ``currents(g, v, n) -> i`` for tiles with segment resistance ``r_line`` (Ω).

    Args of the returned function: ``g`` (rows, cols) conductances in S, ``v`` (B, rows) read
    voltages in V, ``n`` (rows, cols) per-device nonlinearity (not differentiated). It returns the
    (B, cols) column currents in A.
    """

    def forward(g: np.ndarray, v: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xbar = _crossbar(g, n, r_line, devices)
        if xbar.device.linear:
            solution = simulate(xbar, np.asarray(v).T, outputs_only=True)
            empty = np.zeros((*xbar.shape, 0))
            return solution.output_currents.T, empty, empty
        solution = simulate(xbar, np.asarray(v).T)
        return solution.output_currents.T, solution.wl_voltages, solution.bl_voltages

    def backward(g: np.ndarray, v: np.ndarray, n: np.ndarray, wl: np.ndarray, bl: np.ndarray,
                 ct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xbar = _crossbar(g, n, r_line, devices)
        voltages = np.asarray(v).T
        device_voltages = None if xbar.device.linear else np.asarray(wl) - np.asarray(bl)
        grad_g, grad_v = vjp(xbar, voltages, np.asarray(ct).T, device_voltages=device_voltages)
        return grad_g, grad_v.T

    def shapes(g: Any, v: Any) -> tuple[jax.ShapeDtypeStruct, ...]:
        rows, cols = g.shape
        batch = v.shape[0]
        nodes = 0 if devices.linear else batch
        return (jax.ShapeDtypeStruct((batch, cols), jnp.float64),
                jax.ShapeDtypeStruct((rows, cols, nodes), jnp.float64),
                jax.ShapeDtypeStruct((rows, cols, nodes), jnp.float64))

    @jax.custom_vjp
    def currents(g: Any, v: Any, n: Any) -> Any:
        return jax.pure_callback(forward, shapes(g, v), g, v, n)[0]

    def currents_fwd(g: Any, v: Any, n: Any) -> tuple[Any, tuple[Any, ...]]:
        i, wl, bl = jax.pure_callback(forward, shapes(g, v), g, v, n)
        return i, (g, v, n, wl, bl)

    def currents_bwd(residuals: tuple[Any, ...], ct: Any) -> tuple[Any, Any, Any]:
        g, v, n, wl, bl = residuals
        out = (jax.ShapeDtypeStruct(g.shape, jnp.float64), jax.ShapeDtypeStruct(v.shape, jnp.float64))
        grad_g, grad_v = jax.pure_callback(backward, out, g, v, n, wl, bl, ct)
        return grad_g, grad_v, jnp.zeros_like(n)

    currents.defvjp(currents_fwd, currents_bwd)
    return currents
