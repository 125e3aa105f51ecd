"""How much memory a solve will need, estimated before it starts, so that an impossible request is
refused at once with the figure and the alternatives instead of failing after minutes.

The estimates are rough upper bounds from measurements on the 2-core development machine
(README, "Benchmark"): a sparse factorisation of the nodal matrix in nested-dissection order took
1.7 GiB for 1024×1024 devices (2²¹ nodes) and grows as n·log n; conjugate gradients took 0.79 GiB
there and grow as n; a full solution keeps three (M, N, B) float64 arrays (word-line and bit-line
voltages, device currents) and derives a fourth (device voltages); ngspice keeps every node vector.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from memxbar.errors import InputError

FACTOR_BYTES_PER_NODE_LOG = 1.7 * 2**30 / (2**21 * 21)
"""Bytes per node and per log2(nodes) of a nested-dissection factorisation (1024×1024: 1.7 GiB)."""
ITERATIVE_BYTES_PER_NODE = 0.79 * 2**30 / 2**21
"""Bytes per node of the conjugate-gradient solver's work arrays (1024×1024: 0.79 GiB)."""
FULL_ARRAYS = 4
"""(M, N, B) float64 arrays a full solution holds or derives."""
SPICE_BYTES_PER_DEVICE = 1.7e9 / 512**2
"""ngspice's memory per device (512×512 with KLU: 1.7 GB, NOTES.md)."""


def estimate_bytes(
    shape: tuple[int, int], linear: bool, batch: int, backend: str, outputs_only: bool, method: str
) -> float:
    """Rough peak memory of a solve, in bytes.

    Args:
        shape: (M, N), word and bit lines.
        linear: Whether the devices are linear (ohmic); nonlinear ones are always factorised.
        batch: Number of input vectors B.
        backend: ``"fast"`` or ``"spice"``.
        outputs_only: Whether only port currents are kept.
        method: The fast backend's method (``"iterative"`` needs no factorisation; ``"auto"`` falls
            back to it for linear devices when a factorisation would not fit).
    """
    m, n = shape
    nodes = 2 * m * n
    results = 0 if outputs_only else FULL_ARRAYS * 8.0 * m * n * batch
    if backend == "spice":
        return SPICE_BYTES_PER_DEVICE * m * n + results
    iterative = ITERATIVE_BYTES_PER_NODE * nodes
    factor = FACTOR_BYTES_PER_NODE_LOG * nodes * math.log2(max(nodes, 2))
    solver = {"iterative": iterative, "auto": min(iterative, factor) if linear else factor}.get(method, factor)
    return solver + results + 8.0 * (m + n) * batch * 2


def available_bytes() -> float:
    """Memory the system can give this process now, in bytes."""
    import psutil

    return float(psutil.virtual_memory().available)


ALWAYS_AVAILABLE = 64 * 2**20
"""Estimates up to this many bytes are not checked against the available memory (reading it
costs a tenth of a millisecond, as much as a whole small solve's set-up)."""

CLI_REMEDIES = {
    "outputs_only": "--outputs-only (no node voltages)",
    "iterative": "--method iterative (no factorisation)",
    "fast": "--backend fast",
}
"""How the command line names the ways out of a memory shortage."""

API_REMEDIES = {
    "outputs_only": "outputs_only=True (no node voltages)",
    "iterative": "method='iterative' (no factorisation)",
    "fast": "backend='fast'",
}
"""How the Python API names them."""


def check_memory(
    shape: tuple[int, int],
    linear: bool,
    batch: int,
    backend: str,
    outputs_only: bool,
    method: str,
    remedies: Mapping[str, str] = API_REMEDIES,
) -> None:
    """Refuse a solve whose estimated memory exceeds what is available, with the figure and what to do.

    Args:
        shape, linear, batch, backend, outputs_only, method: As for :func:`estimate_bytes`.
        remedies: How the caller names the alternatives it offers (:data:`API_REMEDIES`, :data:`CLI_REMEDIES`,
            or a part of them: a command without ``--outputs-only`` leaves that key out).

    Raises:
        InputError: Giving the estimate, the available memory and the alternatives.
    """
    need = estimate_bytes(shape, linear, batch, backend, outputs_only, method)
    if need <= ALWAYS_AVAILABLE:
        return
    have = available_bytes()
    if need <= have:
        return
    m, n = shape
    options = []
    if not outputs_only and "outputs_only" in remedies:
        options.append(remedies["outputs_only"])
    if backend == "fast" and method == "direct" and linear and "iterative" in remedies:
        options.append(remedies["iterative"])
    if batch > 1:
        options.append("fewer input vectors per run")
    if backend == "spice" and "fast" in remedies:
        options.append(remedies["fast"])
    raise InputError(
        f"a {m}x{n} crossbar with {batch} input vector(s) needs about {need / 2**30:.3g} GiB, "
        f"{have / 2**30:.3g} GiB is available; try {', or '.join([*options, 'a smaller crossbar'])}"
    )


def check_transient_memory(
    shape: tuple[int, int], states: int, points: int, probes: int, save_states: bool, backend: str
) -> None:
    """Refuse a transient analysis whose circuit and waveforms would not fit in memory.

    The circuit needs what one operating point needs (:func:`estimate_bytes`, nonlinear: factorised);
    the waveforms keep, per output time, every terminal current, each probe and, with ``save_states``,
    every device state (float64).

    Args:
        shape: (M, N), word and bit lines.
        states: State variables per device (0 for static devices).
        points: Output times.
        probes: Probed nodes.
        save_states: Whether states are kept at every output time (else first and last only).
        backend: ``"fast"`` or ``"spice"``.

    Raises:
        InputError: Giving the estimate, the available memory and what to lower.
    """
    m, n = shape
    kept = m + n + probes + (states * m * n if save_states else 0)
    need = estimate_bytes(shape, False, 1, backend, True, "direct") + 8.0 * points * kept
    if need <= ALWAYS_AVAILABLE:
        return
    have = available_bytes()
    if need > have:
        raise InputError(
            f"a transient analysis of a {m}x{n} crossbar at {points} output times needs about "
            f"{need / 2**30:.3g} GiB, {have / 2**30:.3g} GiB is available; try fewer output times (points) "
            "or a smaller crossbar"
        )
