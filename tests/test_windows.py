"""Window functions and the smooth state bound, against values worked out by hand and in ngspice."""

from __future__ import annotations

import numpy as np
import pytest

from memxbar.devices.windows import (
    biolek,
    biolek_spice,
    bounded_rate,
    bounded_rate_spice,
    joglekar,
    joglekar_spice,
    prodromakis,
    prodromakis_spice,
)
from memxbar.spice.ngspice import session


def test_joglekar_by_hand():
    # 1 - (2x-1)^(2p): x = 0.25 -> 1 - 0.5^2 = 0.75 (p = 1), 1 - 0.5^4 = 0.9375 (p = 2); zero at both edges.
    np.testing.assert_allclose(joglekar(np.array([0.25, 0.5, 0.0, 1.0]), 1), [0.75, 1.0, 0.0, 0.0], atol=1e-15)
    assert joglekar(np.array(0.25), 2) == pytest.approx(0.9375)


def test_biolek_depends_on_the_current_direction():
    # 1 - (x - stp(-i))^(2p): positive current -> 1 - x^2, negative -> 1 - (x-1)^2 (p = 1).
    x = np.array([0.25, 1.0, 0.0])
    np.testing.assert_allclose(biolek(x, np.ones(3), 1), [0.9375, 0.0, 1.0])
    np.testing.assert_allclose(biolek(x, -np.ones(3), 1), [0.4375, 1.0, 0.0])
    assert biolek(np.array(0.5), np.array(1.0), 2) == pytest.approx(1 - 0.5**4)


def test_prodromakis_by_hand():
    # j(1 - ((x-0.5)^2 + 0.75)^p): x = 0.5 -> 0.25 (p = j = 1); x = 0.25, p = j = 2 -> 2(1 - 0.8125^2).
    np.testing.assert_allclose(prodromakis(np.array([0.5, 0.0, 1.0]), 1, 1), [0.25, 0.0, 0.0], atol=1e-15)
    assert prodromakis(np.array(0.25), 2, 2) == pytest.approx(2 * (1 - 0.8125**2))


def test_bounded_rate_clamps_smoothly():
    width = 0.01
    x = np.array([0.5, 1.0, 0.995, 0.0, 0.005, 1.0])
    rate = bounded_rate(np.array([2.0, 2.0, 2.0, -2.0, -2.0, -2.0]), x, width)
    # Inside: unchanged; at the edge it heads for: 0; half-way into the band: S(0.5) = 0.5; leaving an edge: free.
    np.testing.assert_allclose(rate, [2.0, 0.0, 1.0, 0.0, -1.0, -2.0])
    assert bounded_rate(np.array(3.0), np.array(1.2), width) == 0.0


def test_spice_forms_evaluate_to_the_numpy_values():
    x = np.array([0.0, 0.1, 0.37, 0.5, 0.93, 1.0])
    i = np.array([1e-3, -2e-4, 5e-5, -1e-6, 3e-3, -7e-4])
    rate = np.array([5.0, -3.0, 2.0, -1.0, 4.0, -6.0])
    xs = np.array([f"V(x{k})" for k in range(x.size)])
    cs = np.array([f"V(i{k})" for k in range(x.size)])
    rs = np.array([f"V(r{k})" for k in range(x.size)])
    expressions = {
        "jog": (joglekar_spice(xs, 2), joglekar(x, 2)),
        "bio": (biolek_spice(xs, cs, 1), biolek(x, i, 1)),
        "pro": (prodromakis_spice(xs, 1.5, 0.8), prodromakis(x, 1.5, 0.8)),
        "bnd": (bounded_rate_spice(rs, xs, 0.2), bounded_rate(rate, x, 0.2)),
    }
    lines = ["* windows"]
    for k in range(x.size):
        for node, value in (("x", x[k]), ("i", i[k]), ("r", rate[k])):
            lines.append(f"V{node}{k} {node}{k} 0 DC {float(value)!r}")
    for name, (spice, _) in expressions.items():
        lines += [f"B{name}{k} {name}{k} 0 V={spice[k]}" for k in range(x.size)]
    ng = session()
    ng.load("\n".join([*lines, ".op", ".end"]) + "\n")
    plot = ng.run()
    for name, (_, expected) in expressions.items():
        got = ng.vectors(plot, [f"{name}{k}" for k in range(x.size)])[:, 0]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=name)
    ng.destroy(plot)
