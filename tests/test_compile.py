"""The closed-form compile of a crossbar with nothing floating and resistive lines gives, array for array, the
circuit of the general compile (raw ids, zero-resistance merging, numbering of the touched ids)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memxbar
from memxbar.circuit import compile as compile_module
from memxbar.circuit.cells import Cell, get_cell
from memxbar.circuit.compile import Circuit, _compile_general, _compile_unmerged, compile_circuit
from memxbar.circuit.elements import ElementGroup, Resistors
from memxbar.errors import InputError

FIELDS = ("shape", "n_unknown", "n_known", "ground", "driven_wl", "driven_bl", "wl_node", "bl_node", "cell_node")


def assert_same_array(a: object, b: object, where: str) -> None:
    assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
    assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != {b.dtype}"
    assert a.shape == b.shape, f"{where}: shape {a.shape} != {b.shape}"
    assert np.array_equal(a, b), f"{where}: {a} != {b}"


def assert_same_group(a: ElementGroup, b: ElementGroup, where: str) -> None:
    assert type(a) is type(b), where
    assert a.__dict__.keys() == b.__dict__.keys(), where
    for key, value in b.__dict__.items():
        if key == "naming":
            continue
        if isinstance(value, np.ndarray):
            assert_same_array(a.__dict__[key], value, f"{where}.{key}")
        elif key == "model":  # the same model, or an equal one made for this compile (a 1S1R selector)
            assert type(a.model) is type(value) and repr(a.model) == repr(value), f"{where}.model"
        else:
            assert a.__dict__[key] == value, f"{where}.{key}"
    assert_same_array(a.names, b.names, f"{where}.names")


def assert_same_circuit(a: Circuit, b: Circuit) -> None:
    for name in FIELDS:
        value = getattr(b, name)
        if isinstance(value, np.ndarray):
            assert_same_array(getattr(a, name), value, name)
        else:
            assert getattr(a, name) == value and type(getattr(a, name)) is type(value), name
    for name in ("wl_sources", "bl_sources", "select_sources"):
        assert_same_array(getattr(a, name).node, getattr(b, name).node, f"{name}.node")
        assert_same_array(getattr(a, name).names, getattr(b, name).names, f"{name}.names")
    assert len(a.groups) == len(b.groups)
    for k, (group_a, group_b) in enumerate(zip(a.groups, b.groups, strict=True)):
        assert_same_group(group_a, group_b, f"groups[{k}]")
    assert a.groups.index(a.devices) == b.groups.index(b.devices) == len(b.groups) - 2
    assert_same_array(a.node_names, b.node_names, "node_names")


@st.composite
def crossbars(draw):
    """A crossbar of 1×1 … 7×9 cells of any kind, some open; line resistances with or without zeros; sometimes
    floating lines."""
    m, n = draw(st.integers(1, 7)), draw(st.integers(1, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cell = draw(st.sampled_from(["1r", "1t1r", "1s1r"]))

    def resistances(shape: tuple[int, ...], zeros: float) -> np.ndarray:
        r = rng.uniform(0.5, 3.0, shape)
        r[rng.random(shape) < zeros] = 0.0
        return r

    line_zeros = draw(st.sampled_from([0.0, 0.2, 1.0]))
    g = rng.uniform(1e-6, 1e-4, (m, n))
    g[rng.random((m, n)) < draw(st.sampled_from([0.0, 0.3, 0.8]))] = 0.0
    crossbar = memxbar.Crossbar(
        g, r_wl=resistances((m, n), line_zeros), r_bl=resistances((m, n), line_zeros),
        r_driver=resistances((m,), draw(st.sampled_from([0.0, 0.5, 1.0]))),
        r_sense=resistances((n,), draw(st.sampled_from([0.0, 0.5, 1.0]))), cell=get_cell(cell),
    )
    floating = draw(st.sampled_from([0.0, 0.3, 0.8]))
    fw = rng.random(m) < floating if floating else None
    fb = rng.random(n) < floating if floating else None
    return crossbar, fw, fb


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(crossbars())
def test_compile_circuit_equals_the_general_compile_field_by_field(case) -> None:
    crossbar, fw, fb = case
    m, n = crossbar.shape
    masks = (np.zeros(m, dtype=bool) if fw is None else fw, np.zeros(n, dtype=bool) if fb is None else fb)
    try:
        expected = _compile_general(crossbar, *masks)
    except InputError as error:
        with pytest.raises(InputError) as raised:
            compile_circuit(crossbar, fw, fb)
        assert str(raised.value) == str(error)
        return
    assert_same_circuit(compile_circuit(crossbar, fw, fb), expected)


@pytest.mark.parametrize("cell", ["1r", "1t1r", "1s1r"])
@pytest.mark.parametrize(("r_driver", "r_sense"), [(0.0, 0.0), (2.0, 3.0), ([0.0, 2.0, 0.0], [1.0, 0.0, 0.0, 4.0])])
def test_the_closed_form_applies_to_resistive_lines_and_equals_the_general_compile(cell, r_driver, r_sense, rng):
    g = rng.uniform(1e-6, 1e-4, (3, 4))
    g[1, 2] = 0.0
    crossbar = memxbar.Crossbar(g, r_wl=rng.uniform(0.5, 2, (3, 4)), r_bl=1.5, r_driver=r_driver, r_sense=r_sense,
                                cell=cell)
    driven_wl, driven_bl = np.ones(3, dtype=bool), np.ones(4, dtype=bool)
    closed_form = _compile_unmerged(crossbar, driven_wl, driven_bl)
    assert closed_form is not None
    assert_same_circuit(closed_form, _compile_general(crossbar, ~driven_wl, ~driven_bl))


def test_the_closed_form_numbers_a_2x2_array_by_hand() -> None:
    """2×2, 1 Ω drivers, 0 Ω sense: W-line nodes d0 W00 W01 | d1 W10 W11 (0–5), B-line nodes B00 B10 | B01 B11
    (6–9), then the terminals in0 in1 (10, 11) and out0 out1 (12, 13), which are the merged sense nodes."""
    circuit = compile_circuit(memxbar.Crossbar(np.full((2, 2), 1e-4), r_wl=1.0, r_bl=1.0, r_driver=1.0))
    assert (circuit.n_unknown, circuit.n_known, circuit.ground) == (10, 4, -1)
    np.testing.assert_array_equal(circuit.wl_node, [[10, 0, 1, 2], [11, 3, 4, 5]])
    np.testing.assert_array_equal(circuit.bl_node, [[6, 7, 12, 12], [8, 9, 13, 13]])
    wl, devices, bl = circuit.groups
    np.testing.assert_array_equal(wl.nodes, [[10, 0], [0, 1], [1, 2], [11, 3], [3, 4], [4, 5]])
    np.testing.assert_array_equal(devices.nodes, [[1, 6], [2, 8], [4, 7], [5, 9]])
    np.testing.assert_array_equal(bl.nodes, [[6, 7], [7, 12], [8, 9], [9, 13]])
    assert list(wl.names) == ["Rdrv0", "Rw0_0", "Rw0_1", "Rdrv1", "Rw1_0", "Rw1_1"]
    assert list(bl.names) == ["Rb0_0", "Rb1_0", "Rb0_1", "Rb1_1"]
    assert list(circuit.bl_sources.names) == ["Vout0", "Vout1"]


class ChainCell(Cell):
    """A test cell: W – 100 Ω – a – 100 Ω – b – 100 Ω – c – memristor – B; node b touches no line."""

    name = "chain"
    summary = "three resistors and the memristor in series"
    citation = "-"
    internal_nodes = 3

    def elements(self, device, conductances, nodes):
        a, b, c = nodes.internal.T
        links = np.concatenate([np.column_stack(pair) for pair in ((nodes.w, a), (a, b), (b, c))])
        resistors = Resistors(links, np.full(links.shape[0], 100.0), lambda: np.arange(links.shape[0]).astype(str))
        return [resistors, self._memristors(device, conductances, c, nodes)]


def test_an_internal_node_two_elements_from_a_line_goes_to_the_general_compile(rng) -> None:
    g = rng.uniform(1e-6, 1e-4, (3, 4))
    g[0, 1] = 0.0
    crossbar = memxbar.Crossbar(g, r_wl=1.0, r_bl=1.0, cell=ChainCell())
    driven_wl, driven_bl = np.ones(3, dtype=bool), np.ones(4, dtype=bool)
    assert _compile_unmerged(crossbar, driven_wl, driven_bl) is None
    assert_same_circuit(compile_circuit(crossbar), _compile_general(crossbar, ~driven_wl, ~driven_bl))
    assert compile_circuit(crossbar).n_unknown == 3 * 4 + 4 * 3 + 11 * 3  # W, B (0 Ω drivers, sense), internals


def test_an_array_with_every_line_floating_and_every_cell_open_is_refused_in_one_line() -> None:
    """No node at all (1S1R cells all open, ideal wires, every terminal cut off): was a bare NumPy ValueError."""
    crossbar = memxbar.Crossbar(np.zeros((2, 3)), cell="1s1r")
    floating = {"floating_wl": np.ones(2, dtype=bool), "floating_bl": np.ones(3, dtype=bool)}
    with pytest.raises(InputError, match=r"^every word line and bit line floats .*floating_wl / floating_bl\)$"):
        compile_circuit(crossbar, *floating.values())
    with pytest.raises(InputError, match="every word line and bit line floats"):
        memxbar.simulate(crossbar, np.zeros(2), **floating)


def loose_nodes(circuit: Circuit) -> np.ndarray:
    """The unknown nodes that reach no known node, by a search of the whole element graph (every terminal of a
    conducting element joined to its first one)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    a, b = [], []
    for group in circuit.groups:
        nodes = group.nodes[group.conducting()]
        for k in range(1, nodes.shape[1]):
            a.append(nodes[:, 0])
            b.append(nodes[:, k])
    a, b = np.concatenate(a), np.concatenate(b)
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(circuit.n_nodes, circuit.n_nodes))
    label = connected_components(graph, directed=False)[1]
    return np.flatnonzero(~np.isin(label[:circuit.n_unknown], label[circuit.n_unknown:]))


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(crossbars())
def test_the_floating_island_check_finds_the_loose_nodes_of_the_whole_element_graph(case) -> None:
    crossbar, fw, fb = case
    m, n = crossbar.shape
    masks = (np.zeros(m, dtype=bool) if fw is None else fw, np.zeros(n, dtype=bool) if fb is None else fb)
    with mock.patch.object(compile_module, "_check_connected"):
        circuit = _compile_general(crossbar, *masks)
    if circuit.n_nodes == 0:
        with pytest.raises(InputError, match="every word line and bit line floats"):
            compile_module._check_connected(circuit)
        return
    loose = loose_nodes(circuit)
    if not loose.size:
        compile_module._check_connected(circuit)
        return
    with pytest.raises(InputError) as raised:
        compile_module._check_connected(circuit)
    assert str(raised.value).startswith(f"{circuit.describe(int(loose[0]))} connects to no driven terminal "
                                        f"({loose.size} node(s) float)")
