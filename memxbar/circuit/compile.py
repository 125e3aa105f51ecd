"""Compile a crossbar and its terminal conditions into a circuit: numbered nodes and typed element arrays.

Every physical point of the array is first given a *position*: along word line i, 0 its terminal
(the source), 1 the driver output and 2 + j the word-line node W[i, j]; along bit line j, i the
bit-line node B[i, j], M the sense node and M + 1 its terminal; then the cells' internal nodes, the
per-row select lines and the 0 V ground. Consecutive positions of a line are joined by the driver
resistance, the N word-line segments (or the M bit-line segments and the sense resistance); a
zero-resistance segment merges its two positions into one node, named after the first of its run.
A floating terminal is cut off from its line (its driver or sense resistance carries no current).

Nodes are numbered for nodal analysis: unknown nodes first (word-line positions line by line, then
bit-line positions, then the cells' internal nodes), then the known ones: the driven word-line
terminals, the driven bit-line terminals, the select lines and the ground. Both backends start from
the same :class:`Circuit`, so they simulate the same circuit by construction.

When no terminal floats and every word- and bit-line segment has resistance (the usual case), that
numbering follows from counting and is computed in closed form (:func:`_compile_unmerged`); otherwise
the positions are merged, the touched ones numbered and the circuit checked for floating islands
(:func:`_compile_general`). Both give the same circuit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, partial

import numpy as np

from memxbar.cards import indices, join
from memxbar.circuit.cells import CellNodes
from memxbar.circuit.elements import ElementGroup, Resistors
from memxbar.crossbar import Crossbar
from memxbar.errors import InputError

GROUND_NAME = "0"
"""SPICE name of the ground node."""


def chain_representatives(segments: np.ndarray) -> np.ndarray:
    """Representative position of every position in a set of resistor chains.

    Args:
        segments: (K, L) resistances in ohms of K chains of L segments each; segment k
            joins positions k and k + 1 (0 merges them; > 0, including ∞ for an open one, does not).

    Returns:
        (K, L + 1) integer array: for each position, the first position of the run of
        zero-resistance segments it belongs to.
    """
    k, length = segments.shape
    start = np.zeros((k, length + 1), dtype=np.int64)
    start[:, 1:] = np.where(segments > 0, np.arange(1, length + 1), 0)
    return np.maximum.accumulate(start, axis=1)


@dataclass(frozen=True, eq=False)
class Sources:
    """Ideal voltage sources from known nodes to ground: the driven terminals and select lines."""

    node: np.ndarray
    """(S,) node index each source holds."""
    naming: Callable[[], np.ndarray]
    """Makes the (S,) SPICE names when a netlist or the ngspice backend needs them."""

    @cached_property
    def names(self) -> np.ndarray:
        """(S,) SPICE names, e.g. ``Vin3``, ``Vout0``, ``Vsel2``."""
        return self.naming()


@dataclass(frozen=True, eq=False)
class Circuit:
    """A compiled crossbar: node numbering, element groups, sources and the grid geometry.

    Node indices run over ``0 … n_unknown − 1`` (unknown voltages) and then ``n_unknown …
    n_nodes − 1`` (known voltages, in the order of :meth:`known_voltages`).
    """

    shape: tuple[int, int]
    """(M, N) word lines and bit lines."""
    n_unknown: int
    """Number of nodes whose voltage is unknown."""
    n_known: int
    """Number of nodes whose voltage is set by a source (including the ground)."""
    groups: tuple[ElementGroup, ...]
    """Element groups, in netlist order."""
    wl_sources: Sources
    """Sources of the driven word-line terminals."""
    bl_sources: Sources
    """Sources of the driven bit-line terminals."""
    select_sources: Sources
    """Sources of the select lines (cells with a gate), else empty."""
    driven_wl: np.ndarray
    """(M,) whether each word-line terminal is driven."""
    driven_bl: np.ndarray
    """(N,) whether each bit-line terminal is driven."""
    wl_node: np.ndarray
    """(M, N + 2) node index of each word-line position (−1 for a cut-off terminal)."""
    bl_node: np.ndarray
    """(N, M + 2) node index of each bit-line position (−1 for a cut-off terminal)."""
    cell_node: np.ndarray
    """(M, N, C) internal nodes of each cell (−1 where the cell is open)."""
    devices: ElementGroup
    """The memristors (also one of ``groups``)."""
    ground: int
    """Index of the 0 V node, or −1 if no element needs it."""

    @property
    def n_nodes(self) -> int:
        """Number of nodes, unknown and known."""
        return self.n_unknown + self.n_known

    @property
    def linear(self) -> bool:
        """Whether every element is linear (the fast backend then solves without Newton)."""
        return all(group.linear for group in self.groups)

    @property
    def plain_grid(self) -> bool:
        """Whether the circuit is two line grids with one two-terminal element per crosspoint (no cell
        internals): the structure the line-preconditioned conjugate gradients rely on."""
        return self.cell_node.shape[2] == 0

    @property
    def w_node(self) -> np.ndarray:
        """(M, N) node of each word-line point W[i, j]."""
        return self.wl_node[:, 2:]

    @property
    def b_node(self) -> np.ndarray:
        """(M, N) node of each bit-line point B[i, j]."""
        m = self.shape[0]
        return self.bl_node[:, :m].T

    @property
    def wl_terminal(self) -> np.ndarray:
        """(M,) node of each word-line terminal."""
        return self.wl_node[:, 0]

    @property
    def bl_terminal(self) -> np.ndarray:
        """(N,) node of each bit-line terminal."""
        return self.bl_node[:, -1]

    @cached_property
    def _all_driven(self) -> bool:
        """Whether every word- and bit-line terminal is driven."""
        return bool(self.driven_wl.all() and self.driven_bl.all())

    def known_voltages(self, wl: np.ndarray, bl: np.ndarray, gates: np.ndarray | None) -> np.ndarray:
        """(n_known, B) voltages of the known nodes (V) from the (M, B) word-line and (N, B) bit-line
        terminal voltages and the (M, B) select-line voltages."""
        parts = [wl, bl] if self._all_driven else [wl[self.driven_wl], bl[self.driven_bl]]
        if self.select_sources.node.size:
            parts.append(gates)
        if self.ground >= 0:
            parts.append(np.zeros((1, wl.shape[1])))
        return np.concatenate(parts, axis=0)

    @cached_property
    def node_names(self) -> np.ndarray:
        """(n_nodes,) SPICE name of every node."""
        names = np.empty(self.n_nodes, dtype=object)
        wl, bl, cells, select = _position_names(*self.shape, self.cell_node.shape[2])
        for index, label in ((self.wl_node, wl), (self.bl_node, bl), (self.cell_node, cells)):
            keep = index >= 0
            # The first position of a merged run names the node: assign in reverse so it is written last.
            names[index[keep][::-1]] = label[keep][::-1]
        if self.select_sources.node.size:
            names[self.select_sources.node] = select
        if self.ground >= 0:
            names[self.ground] = GROUND_NAME
        return names.astype(str)

    def describe(self, node: int) -> str:
        """Human-readable place of a node, e.g. ``W[3, 7]`` or ``sense node of bit line 2``."""
        m = self.shape[0]
        found = np.argwhere(self.wl_node == node)
        if found.size:
            i, pos = found[0]
            return ("terminal of word line" if pos == 0 else "driver output of word line") + f" {i}" if pos < 2 \
                else f"W[{i}, {pos - 2}]"
        found = np.argwhere(self.bl_node == node)
        if found.size:
            j, pos = found[0]
            return f"B[{pos}, {j}]" if pos < m else ("sense node" if pos == m else "terminal") + f" of bit line {j}"
        found = np.argwhere(self.cell_node == node)
        if found.size:
            i, j, _ = found[0]
            return f"internal node of cell [{i}, {j}]"
        return "ground" if node == self.ground else f"node {node}"


def compiler(crossbar: Crossbar, floating_wl: np.ndarray | None = None,
             floating_bl: np.ndarray | None = None) -> Callable[[], Circuit]:
    """A function that compiles ``crossbar`` with these floating terminals when first called and returns
    the same :class:`Circuit` after that: for solvers that may not need the circuit at all (the line
    solver's outputs) and for solutions that compile it only when asked."""
    return cache(partial(compile_circuit, crossbar, floating_wl, floating_bl))


def compile_circuit(crossbar: Crossbar, floating_wl: np.ndarray | None = None,
                    floating_bl: np.ndarray | None = None) -> Circuit:
    """Compile ``crossbar`` with the given floating terminals into a :class:`Circuit`.

    Args:
        crossbar: The crossbar specification (with its cell).
        floating_wl: (M,) boolean mask of word lines whose terminal is open, or None for none.
        floating_bl: (N,) boolean mask of bit lines whose terminal is open, or None for none.

    Returns:
        The compiled circuit.

    Raises:
        InputError: If some node reaches no driven terminal (a floating island whose voltage is undefined).
    """
    m, n = crossbar.shape
    fw = np.zeros(m, dtype=bool) if floating_wl is None else np.asarray(floating_wl, dtype=bool)
    fb = np.zeros(n, dtype=bool) if floating_bl is None else np.asarray(floating_bl, dtype=bool)
    if not (fw.any() or fb.any()) and crossbar.r_wl.min() > 0 and crossbar.r_bl.min() > 0:
        circuit = _compile_unmerged(crossbar, ~fw, ~fb)
        if circuit is not None:
            return circuit
    return _compile_general(crossbar, fw, fb)


def _compile_general(crossbar: Crossbar, fw: np.ndarray, fb: np.ndarray) -> Circuit:
    """:func:`compile_circuit` for any crossbar and (M,), (N,) floating masks: every position gets a raw id,
    elements are made on raw ids, and the ids the elements touch are numbered as the module docstring says."""
    m, n = crossbar.shape
    cell = crossbar.cell
    wl_seg = np.column_stack([np.where(fw, np.inf, crossbar.r_driver), crossbar.r_wl])
    bl_seg = np.column_stack([crossbar.r_bl.T, np.where(fb, np.inf, crossbar.r_sense)])
    wl_rep = chain_representatives(wl_seg)
    bl_rep = chain_representatives(bl_seg)

    # Raw ids: word-line positions, bit-line positions, cell internals, select lines, ground.
    n_int = cell.internal_nodes
    closed = crossbar.conductances > 0 if n_int else np.ones((m, n), dtype=bool)
    cells = np.flatnonzero(closed)
    bl_base = m * (n + 2)
    cell_base = bl_base + n * (m + 2)
    sel_base = cell_base + cells.size * n_int
    gnd_raw = sel_base + (m if cell.gated else 0)
    n_raw = gnd_raw + 1
    wl_raw = np.arange(m)[:, None] * (n + 2) + wl_rep
    bl_raw = bl_base + np.arange(n)[:, None] * (m + 2) + bl_rep
    int_raw = cell_base + np.arange(cells.size * n_int).reshape(cells.size, n_int)
    sel_raw = sel_base + np.arange(m if cell.gated else 0)

    # Elements on raw ids; renumbered below. Names are made only when a netlist is written.
    cell_nodes = _cell_nodes(cells, wl_raw, bl_raw, int_raw, sel_raw, gnd_raw, cell.gated)
    cell_groups = cell.elements(crossbar.device, crossbar.conductances, cell_nodes)
    groups_raw = [_line_resistors(wl_raw[:, :-1], wl_raw[:, 1:], wl_seg, lambda: _wl_names(m, n)), *cell_groups,
                  _line_resistors(bl_raw[:, :-1], bl_raw[:, 1:], bl_seg, lambda: _bl_names(m, n))]

    # Known raw nodes, in the order of Circuit.known_voltages.
    uses_ground = _uses(cell_groups, gnd_raw)
    known_raw = np.concatenate([wl_raw[~fw, 0], bl_raw[~fb, -1], sel_raw, [gnd_raw] if uses_ground else []])
    known_raw = known_raw.astype(np.int64)
    touched = np.zeros(n_raw, dtype=bool)
    for group in groups_raw:
        touched[group.nodes.ravel()] = True
    touched[known_raw] = False
    unknown_raw = np.flatnonzero(touched)
    index = np.full(n_raw, -1, dtype=np.int64)
    index[unknown_raw] = np.arange(unknown_raw.size)
    n_unknown = unknown_raw.size
    index[known_raw] = n_unknown + np.arange(known_raw.size)

    circuit = _circuit(
        (m, n), int(n_unknown), int(known_raw.size), tuple(_renumbered(group, index) for group in groups_raw),
        index[wl_raw[~fw, 0]], index[bl_raw[~fb, -1]], index[sel_raw], ~fw, ~fb, index[wl_raw], index[bl_raw],
        _cell_grid(index[int_raw], cells, (m, n)), int(index[gnd_raw]) if uses_ground else -1,
    )
    # Without floating terminals every line position is joined to a driven terminal through its line, so
    # only cell-internal nodes (numbered last among the unknown) can float.
    line_nodes = int(np.count_nonzero(touched[:cell_base]))
    if fw.any() or fb.any() or (n_int and not _joined_to_outside(circuit.groups, line_nodes, circuit.n_unknown)):
        _check_connected(circuit)
    return circuit


def _compile_unmerged(crossbar: Crossbar, driven_wl: np.ndarray, driven_bl: np.ndarray) -> Circuit | None:
    """:func:`compile_circuit` in closed form when every terminal is driven and every word- and bit-line
    segment has resistance (> 0 Ω; only a driver or sense resistance of 0 Ω merges two positions).

    Then every line position is a node of its own, except a terminal behind a 0 Ω driver or sense resistance
    (merged with the driver output or the sense node), and every node is joined to a driven terminal through
    finite resistances, so the numbering of :func:`_compile_general` follows from counting: the unknown nodes
    of each line are consecutive, and its segments join them one after the other to its terminal. Gives the
    same :class:`Circuit` (the same arrays, element for element), or None if some cell-internal node shares
    no conducting element with a line or a known node (then :func:`_compile_general` numbers it and checks
    that it is connected).

    Args:
        crossbar: The crossbar (every ``r_wl`` and ``r_bl`` > 0).
        driven_wl: (M,) all True.
        driven_bl: (N,) all True.
    """
    m, n = crossbar.shape
    cell = crossbar.cell
    n_int = cell.internal_nodes
    n_sel = m if cell.gated else 0
    cells = np.flatnonzero(crossbar.conductances > 0) if n_int else np.arange(m * n)
    own_driver = crossbar.r_driver > 0
    own_sense = crossbar.r_sense > 0
    n_drivers = int(np.count_nonzero(own_driver))
    n_senses = int(np.count_nonzero(own_sense))
    n_wl = m * n + n_drivers
    n_bl = n * m + n_senses
    n_lines = n_wl + n_bl
    n_unknown = n_lines + cells.size * n_int
    known = n_unknown + np.arange(m + n + n_sel)
    wl_terminal, bl_terminal, select = known[:m], known[m:m + n], known[m + n:]
    ground = n_unknown + m + n + n_sel

    # Unknown nodes line by line: [driver output,] W[i, 0..N-1]; then B[0..M-1, j][, sense node].
    row_start = _line_starts(0, n, own_driver, n_drivers)
    col_start = _line_starts(n_wl, m, own_sense, n_senses)
    wl_node = np.empty((m, n + 2), dtype=np.int64)
    wl_node[:, 0] = wl_terminal
    wl_node[:, 1] = np.where(own_driver, row_start, wl_terminal)
    np.add((row_start + own_driver)[:, None], np.arange(n), out=wl_node[:, 2:])
    bl_node = np.empty((n, m + 2), dtype=np.int64)
    np.add(col_start[:, None], np.arange(m), out=bl_node[:, :m])
    bl_node[:, m] = np.where(own_sense, col_start + m, bl_terminal)
    bl_node[:, m + 1] = bl_terminal

    # Line resistors: every segment but a driver or sense resistance of 0 Ω.
    wl_res = _chain_resistors(wl_node, crossbar.r_wl, crossbar.r_driver, True, n_drivers, lambda: _wl_names(m, n))
    bl_res = _chain_resistors(bl_node, crossbar.r_bl.T, crossbar.r_sense, False, n_senses, lambda: _bl_names(m, n))

    internal = n_lines + np.arange(cells.size * n_int).reshape(cells.size, n_int)
    cell_nodes = _cell_nodes(cells, wl_node, bl_node, internal, select, ground, cell.gated)
    cell_groups = cell.elements(crossbar.device, crossbar.conductances, cell_nodes)
    if n_int and not _joined_to_outside(cell_groups, n_lines, n_unknown):
        return None
    uses_ground = _uses(cell_groups, ground)
    return _circuit(
        (m, n), n_unknown, m + n + n_sel + uses_ground, (wl_res, *cell_groups, bl_res), wl_terminal, bl_terminal,
        select, driven_wl, driven_bl, wl_node, bl_node, _cell_grid(internal, cells, (m, n)),
        ground if uses_ground else -1,
    )


def _line_starts(first: int, length: int, own_end: np.ndarray, n_own: int) -> np.ndarray:
    """(K,) first node of each of K lines numbered one after the other from ``first``, line k having
    ``length`` nodes and one more where ``own_end[k]`` (``n_own`` of them)."""
    k = own_end.size
    if n_own in (0, k):
        step = length + (n_own > 0)
        return np.arange(first, first + k * step, step)
    return first + np.arange(0, k * length, length) + (np.cumsum(own_end) - own_end)


def _chain_resistors(node: np.ndarray, segments: np.ndarray, end: np.ndarray, first: bool, n_own: int,
                     naming: Callable[[], np.ndarray]) -> Resistors:
    """The resistors of K chains of L + 2 positions (``node``, (K, L + 2)): L segments (``segments``, (K, L),
    > 0 Ω) and, first or last, an end resistance (``end``, (K,), ≥ 0 Ω, ``n_own`` of them > 0; one of 0 Ω
    merges its two positions and is left out). ``naming`` makes the (K, L + 1) names in chain order."""
    k, length = segments.shape
    if n_own == 0:
        inner = node[:, 1:] if first else node[:, :-1]
        pairs = np.empty((k, length, 2), dtype=np.int64)
        pairs[..., 0] = inner[:, :-1]
        pairs[..., 1] = inner[:, 1:]
        return Resistors(pairs.reshape(-1, 2), segments.ravel(),
                         lambda: (naming()[:, 1:] if first else naming()[:, :-1]).ravel())
    seg = np.empty((k, length + 1))
    if first:
        seg[:, 0], seg[:, 1:] = end, segments
    else:
        seg[:, :-1], seg[:, -1] = segments, end
    if n_own == k:
        pairs = np.empty((k, length + 1, 2), dtype=np.int64)
        pairs[..., 0] = node[:, :-1]
        pairs[..., 1] = node[:, 1:]
        return Resistors(pairs.reshape(-1, 2), seg.ravel(), lambda: naming().ravel())
    keep = seg > 0
    return Resistors(np.column_stack([node[:, :-1][keep], node[:, 1:][keep]]), seg[keep],
                     lambda: naming()[keep])


def _uses(groups: list[ElementGroup], node: int) -> bool:
    """Whether some element of ``groups`` has a terminal on ``node``, the highest node index of the circuit."""
    return any(group.nodes.max(initial=-1) == node for group in groups)


def _cell_nodes(cells: np.ndarray, wl: np.ndarray, bl: np.ndarray, internal: np.ndarray, select: np.ndarray,
                ground: int, gated: bool) -> CellNodes:
    """The nodes of the (C,) ``cells`` (flat indices; every cell when there are no internal nodes) from the
    (M, N + 2) word-line and (N, M + 2) bit-line position ids, the (C, n_int) internal ids, the (M,)
    select-line ids and the ground's."""
    m, n = wl.shape[0], bl.shape[0]
    w = wl[:, 2:].ravel()
    b = bl[:, :m].T.ravel()
    some = internal.shape[1] > 0
    return CellNodes(
        cell=cells,
        w=w[cells] if some else w,
        b=b[cells] if some else b,
        internal=internal,
        select=select[cells // n] if gated else np.zeros(0, dtype=np.int64),
        ground=ground,
        labels=lambda: _cell_labels(cells, n),
    )


def _joined_to_outside(groups: list[ElementGroup], low: int, high: int) -> bool:
    """Whether every node in ``low … high − 1`` is a terminal of some conducting element that also has a
    terminal outside that range."""
    joined = np.zeros(high - low, dtype=bool)
    for group in groups:
        terminals = list(group.nodes.T)
        inside = [(node >= low) & (node < high) for node in terminals]
        reaching = group.conducting() & ~np.logical_and.reduce(inside)
        for node, on in zip(terminals, inside, strict=True):
            joined[node[on & reaching] - low] = True
    return bool(joined.all())


def _circuit(shape: tuple[int, int], n_unknown: int, n_known: int, groups: tuple[ElementGroup, ...],
             wl_sources: np.ndarray, bl_sources: np.ndarray, select_sources: np.ndarray, driven_wl: np.ndarray,
             driven_bl: np.ndarray, wl_node: np.ndarray, bl_node: np.ndarray, cell_node: np.ndarray,
             ground: int) -> Circuit:
    """The :class:`Circuit` with sources on the given nodes, named after their lines."""
    return Circuit(
        shape=shape,
        n_unknown=n_unknown,
        n_known=n_known,
        groups=groups,
        wl_sources=Sources(wl_sources, lambda: join("Vin", np.flatnonzero(driven_wl).astype(str))),
        bl_sources=Sources(bl_sources, lambda: join("Vout", np.flatnonzero(driven_bl).astype(str))),
        select_sources=Sources(select_sources, lambda: join("Vsel", np.arange(select_sources.size).astype(str))
                               if select_sources.size else np.zeros(0, dtype=str)),
        driven_wl=driven_wl,
        driven_bl=driven_bl,
        wl_node=wl_node,
        bl_node=bl_node,
        cell_node=cell_node,
        devices=groups[-2],
        ground=ground,
    )


def _line_resistors(nodes_a: np.ndarray, nodes_b: np.ndarray, r: np.ndarray,
                    naming: Callable[[], np.ndarray]) -> Resistors:
    """The resistors of line segments with (K, L) resistances (Ω) between (K, L) nodes a and b; segments of
    0 Ω (merged) or ∞ (cut off) are left out."""
    keep = (r > 0) & np.isfinite(r)
    return Resistors(np.column_stack([nodes_a[keep], nodes_b[keep]]), r[keep], lambda: naming()[keep])


def _wl_names(m: int, n: int) -> np.ndarray:
    """(M, N + 1) names of the word-line resistors: driver, then segments."""
    rows, cols = indices((m, n))
    return np.column_stack([join("Rdrv", rows[:, 0]), join("Rw", rows, "_", cols)])


def _bl_names(m: int, n: int) -> np.ndarray:
    """(N, M + 1) names of the bit-line resistors: segments, then sense."""
    rows, cols = indices((m, n))
    return np.column_stack([join("Rb", rows, "_", cols).T, join("Rsen", cols[0])])


def _cell_labels(cells: np.ndarray, n: int) -> np.ndarray:
    """(K,) ``{i}_{j}`` of each cell's flat index."""
    i_cell, j_cell = np.divmod(cells, n)
    return join(i_cell.astype(str), "_", j_cell.astype(str))


def _renumbered(group: ElementGroup, index: np.ndarray) -> ElementGroup:
    """A copy of ``group`` with its raw node ids replaced by node indices."""
    copy = object.__new__(type(group))
    copy.__dict__.update(group.__dict__)
    object.__setattr__(copy, "nodes", index[group.nodes])
    return copy


def _cell_grid(internal: np.ndarray, cells: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    grid = np.full((shape[0] * shape[1], internal.shape[1]), -1, dtype=np.int64)
    if internal.size:
        grid[cells] = internal
    return grid.reshape(*shape, internal.shape[1])


def _position_names(m: int, n: int, n_int: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = indices((m, n))
    wl = np.empty((m, n + 2), dtype=object)
    wl[:, 0] = join("in", rows[:, 0])
    wl[:, 1] = join("d", rows[:, 0])
    wl[:, 2:] = join("w", rows, "_", cols)
    bl = np.empty((n, m + 2), dtype=object)
    bl[:, :m] = join("b", rows, "_", cols).T
    bl[:, m] = join("s", cols[0])
    bl[:, m + 1] = join("g", cols[0])
    cells = np.stack([join("c", rows, "_", cols, f"_{k}" if n_int > 1 else "") for k in range(n_int)], axis=-1) \
        if n_int else np.zeros((m, n, 0), dtype=object)
    return wl, bl, np.asarray(cells, dtype=object), join("sel", rows[:, 0])


def _check_connected(circuit: Circuit) -> None:
    """Raise :class:`InputError` if some unknown node reaches no known node through any element.

    The nodes of a line are joined through its segments, all finite (a floating terminal is cut off and is
    no node), so each line is one vertex of the graph searched, whose edges are the other elements."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    size = circuit.n_nodes
    if not size:
        raise InputError("every word line and bit line floats and no cell conducts: no voltage is defined; drive a "
                         "line (floating_wl / floating_bl)")
    vertex = np.arange(size)
    for node in (circuit.wl_node, circuit.bl_node):
        on = node >= 0
        vertex[node[on]] = np.repeat(node.max(axis=1), np.count_nonzero(on, axis=1))
    a, b = [], []
    for group in circuit.groups:
        conducting = group.conducting()
        first = vertex[group.nodes[:, 0]]
        for k in range(1, group.nodes.shape[1]):
            other = vertex[group.nodes[:, k]]
            joins = conducting & (first != other)
            a.append(first[joins])
            b.append(other[joins])
    a, b = np.concatenate(a), np.concatenate(b)
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    label = label[vertex]
    anchored = np.zeros(label.max() + 1, dtype=bool)
    anchored[label[circuit.n_unknown:]] = True
    loose = np.flatnonzero(~anchored[label[: circuit.n_unknown]])
    if loose.size:
        raise InputError(
            f"{circuit.describe(int(loose[0]))} connects to no driven terminal ({loose.size} node(s) float): its "
            "voltage is undefined; drive one of its lines (floating_wl / floating_bl) or close a device on it"
        )
