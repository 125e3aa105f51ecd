"""SPICE netlist of a whole crossbar, built with vectorised NumPy string operations.

Node names follow the chain positions of :mod:`memxbar.topology`: ``in{i}`` source,
``d{i}`` driver output, ``w{i}_{j}`` word-line node, ``b{i}_{j}`` bit-line node,
``s{j}`` sense node and ``g{j}`` virtual ground. Merged positions take the name of their
representative. Each virtual ground is a 0 V source ``Vout{j}`` to ground, so its branch
current is the output current I_j; each input is a source ``Vin{i}``. Numbers are
written with the shortest decimal form that round-trips to the same float64.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.netlist.text import indices as _indices
from memxbar.netlist.text import join as _join
from memxbar.netlist.text import numbers as _numbers
from memxbar.topology import Topology, bit_line_segments, build_topology, word_line_segments

DEFAULT_OPTIONS: Mapping[str, str | None] = {"klu": None, "reltol": "1e-9", "abstol": "1e-15", "vntol": "1e-12"}
"""Simulator options: KLU, which ngspice does not use unless asked (see NOTES.md), and Newton
tolerances far tighter than ngspice's defaults (reltol 1e-3, abstol 1 pA, vntol 1 µV), so that
nonlinear devices are solved as exactly as the fast backend solves them: relative 1e-9, 1 fA,
1 pV. With the defaults, strongly nonlinear 32×32 arrays differed from the fast backend by up
to 1e-7 relative; with these, by about 1e-11. Linear 64×64 arrays take the same 3 iterations either
way, sinh ones 6 instead of 5."""


@dataclass(frozen=True, eq=False)
class Netlist:
    """A crossbar netlist and the names a backend needs to read its results."""

    text: str
    """The complete netlist, runnable by ``ngspice -b``."""
    wl_nodes: np.ndarray
    """(M, N) name of the node at each word-line point W[i, j]."""
    bl_nodes: np.ndarray
    """(M, N) name of the node at each bit-line point B[i, j]."""
    sources: np.ndarray
    """(M,) names of the input voltage sources."""
    ammeters: np.ndarray
    """(N,) names of the 0 V sources whose branch currents are the output currents."""
    nodes: np.ndarray
    """Distinct names among ``wl_nodes`` and ``bl_nodes``, sorted."""
    point_node: np.ndarray
    """(2, M, N) index into ``nodes`` of each word-line (0) and bit-line (1) point."""


def _chain_names(topology: Topology, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Node name of every word-line (M, N+2) and bit-line (N, M+2) chain position."""
    rows, cols = _indices((m, n))
    wl_pos = np.empty((m, n + 2), dtype=object)
    wl_pos[:, 0] = _join("in", rows[:, 0])
    wl_pos[:, 1] = _join("d", rows[:, 0])
    wl_pos[:, 2:] = _join("w", rows, "_", cols)
    bl_pos = np.empty((n, m + 2), dtype=object)
    bl_pos[:, :m] = _join("b", rows, "_", cols).T
    bl_pos[:, m] = _join("s", cols[0])
    bl_pos[:, m + 1] = _join("g", cols[0])
    wl = np.take_along_axis(wl_pos, topology.wl_rep, axis=1).astype(str)
    bl = np.take_along_axis(bl_pos, topology.bl_rep, axis=1).astype(str)
    return wl, bl


def _resistor_lines(prefix: np.ndarray, a: np.ndarray, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Resistor cards for the entries with r > 0 (zero-resistance segments are merged nodes)."""
    keep = r > 0
    return _join(prefix[keep], " ", a[keep], " ", b[keep], " ", _numbers(r[keep]))


def _cards(keyword: str, items: Sequence[str], per_line: int = 8) -> list[str]:
    """Control cards listing ``items`` a few per line, keeping lines short."""
    return [f"{keyword} " + " ".join(items[k : k + per_line]) for k in range(0, len(items), per_line)]


def crossbar_netlist(
    crossbar: Crossbar,
    voltages: np.ndarray,
    *,
    title: str = "memxbar crossbar",
    save_nodes: bool = False,
    options: Mapping[str, str | None] = DEFAULT_OPTIONS,
) -> Netlist:
    """Write the SPICE netlist of a crossbar driven by one input vector.

    Args:
        crossbar: The crossbar specification.
        voltages: (M,) input voltages in volts (V).
        title: First (title) line of the netlist.
        save_nodes: Keep every node voltage and source current (ngspice's default when
            there is no ``.save`` card) instead of only the output currents. Listing tens of
            thousands of nodes in ``.save`` cards instead costs ngspice time quadratic in
            their number (128×128: 8 s instead of 0.4 s per run).
        options: ``.options`` entries, a value of ``None`` meaning a flag.

    Returns:
        The :class:`Netlist`. It ends with ``.op`` and a ``.print`` of every output current.
    """
    m, n = crossbar.shape
    v = np.asarray(voltages, dtype=np.float64)
    if v.shape != (m,):
        raise InputError(f"voltages must have shape ({m},) for a netlist, got {v.shape}")
    topology = build_topology(crossbar)
    wl, bl = _chain_names(topology, m, n)
    rows, cols = _indices((m, n))
    row, col = rows[:, 0], cols[0]
    sources = _join("Vin", row)
    ammeters = _join("Vout", col)

    wl_seg = word_line_segments(crossbar)
    bl_seg = bit_line_segments(crossbar)
    wl_prefix = np.column_stack([_join("Rdrv", row), _join("Rw", rows, "_", cols)])
    bl_prefix = np.column_stack([_join("Rb", rows, "_", cols).T, _join("Rsen", col)])
    g = crossbar.conductances
    w_nodes, b_nodes = wl[:, 2:], bl[:, :m].T
    present = g > 0
    device_cards = crossbar.device.spice_cards(_join("m", rows, "_", cols), w_nodes, b_nodes, g)
    nodes, where = np.unique(np.stack([w_nodes, b_nodes]), return_inverse=True)

    option_text = " ".join(k if val is None else f"{k}={val}" for k, val in options.items())
    outputs = [f"i({a})" for a in ammeters]
    sections = [
        [f"* {title}", f"* {m} word lines x {n} bit lines, SI units, devices {crossbar.device!r}"],
        [f".options {option_text}"] if option_text else [],
        crossbar.device.spice_preamble(),
        _join(sources, " ", wl[:, 0], " 0 DC ", _numbers(v)),
        _resistor_lines(wl_prefix, wl[:, :-1], wl[:, 1:], wl_seg),
        *(np.broadcast_to(cards, (m, n))[present] for cards in device_cards),
        _resistor_lines(bl_prefix, bl[:, :-1], bl[:, 1:], bl_seg),
        _join(ammeters, " ", bl[:, -1], " 0 DC 0"),
        [] if save_nodes else _cards(".save", outputs),
        [".op"],
        _cards(".print op", outputs),
        [".end"],
    ]
    text = "\n".join("\n".join(np.asarray(section, dtype=str).ravel().tolist()) for section in sections
                     if len(section)) + "\n"
    return Netlist(
        text=text,
        wl_nodes=w_nodes,
        bl_nodes=b_nodes,
        sources=sources,
        ammeters=ammeters,
        nodes=nodes,
        point_node=where.reshape(2, m, n),
    )
