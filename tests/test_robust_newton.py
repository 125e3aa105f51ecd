"""Strongly nonlinear and ill-posed cases (issue 13): the right value, or a clear and true error.

References are computed here independently of both backends: a single device in series with
its lines is one scalar equation, solved by a bracketing root finder in 50-digit arithmetic.
"""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
from click.testing import CliRunner

import memxbar
from memxbar.cli import main
from memxbar.devices import get_model
from memxbar.errors import ConvergenceError
from memxbar.solver import newton
from memxbar.spice.ngspice import NgspiceError


def sinh_series_current(v_in: float, r_series: float, g: float, v0: float) -> tuple[float, float]:
    """Current (A) and device voltage (V) of I = g·v0·sinh(v/v0) in series with r_series, 50 digits."""
    mpmath.mp.dps = 50
    v_dev = mpmath.findroot(lambda v: v_in - v - r_series * g * v0 * mpmath.sinh(v / v0), (0, v_in),
                            solver="anderson")
    return float(g * v0 * mpmath.sinh(v_dev / v0)), float(v_dev)


STRONG = memxbar.Crossbar([[1e-4]], r_wl=1, r_bl=1, device=get_model("sinh", v0=0.1))


def test_reference_of_the_issue():
    current, v_dev = sinh_series_current(5.0, 2.0, 1e-4, 0.1)
    assert current == pytest.approx(1.858702, abs=1e-6)
    assert v_dev == pytest.approx(1.28260, abs=1e-5)


@pytest.mark.parametrize("backend", ["fast", "spice"])
def test_strong_sinh_in_series_converges_to_the_root(backend):
    current, v_dev = sinh_series_current(5.0, 2.0, 1e-4, 0.1)
    solution = memxbar.simulate(STRONG, np.array([5.0]), backend)
    assert solution.output_currents[0] == pytest.approx(current, rel=1e-12 if backend == "fast" else 1e-9)
    assert solution.device_voltages[0, 0] == pytest.approx(v_dev, rel=1e-12 if backend == "fast" else 1e-9)


def test_strong_sinh_in_the_cli_prints_the_current(tmp_path):
    g = tmp_path / "g.csv"
    v = tmp_path / "v.csv"
    g.write_text("1e-4\n")
    v.write_text("5\n")
    result = CliRunner().invoke(main, ["simulate", "--conductances", str(g), "--inputs", str(v), "--r-wl", "1",
                                       "--r-bl", "1", "--device", "sinh", "--device-param", "v0=0.1",
                                       "--json", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out.json").read_text())
    assert record["output_currents"][0] == pytest.approx(1.858702, abs=1e-6)
    assert record["kcl_residual"] <= 1e-10


def test_source_stepping_rescues_a_stalled_newton(monkeypatch):
    monkeypatch.setattr(newton, "MAX_ITERATIONS", 3)
    result = newton.newton_solve(STRONG, np.array([[5.0]]), batched=False)
    assert result.method[0] == "source stepping"
    assert result.unknown.shape == (2, 1)
    current, _ = sinh_series_current(5.0, 2.0, 1e-4, 0.1)
    assert memxbar.simulate(STRONG, np.array([5.0])).output_currents[0] == pytest.approx(current, rel=1e-12)


def test_8x8_strong_sinh_at_several_volts_agrees_with_ngspice():
    rng = np.random.default_rng(13)
    xbar = memxbar.Crossbar(rng.uniform(1e-6, 1e-4, (8, 8)), r_wl=1, r_bl=1, device=get_model("sinh", v0=0.1))
    v = rng.uniform(2.0, 6.0, (8, 3))
    fast = memxbar.simulate(xbar, v)
    assert np.abs(fast.device_voltages).max() < 2.0
    assert np.all(fast.kcl_residual <= 1e-10)
    for k in range(3):
        spice = memxbar.simulate(xbar, v[:, k], "spice")
        np.testing.assert_allclose(fast.output_currents[:, k], spice.output_currents, rtol=1e-9)


OVERFLOW = memxbar.Crossbar([[1e-4]], device=get_model("sinh", v0=0.05))


def test_overflow_is_an_error_naming_device_and_voltage():
    """I = 1e-4·0.05·sinh(40/0.05) = 5e-6·sinh(800) ≈ 1e342 A: beyond double precision."""
    assert mpmath.mpf("5e-6") * mpmath.sinh(800) > mpmath.mpf(np.finfo(np.float64).max)
    with pytest.raises(ConvergenceError, match=r"device \[0, 0\] current overflows .* at 40 V"):
        memxbar.simulate(OVERFLOW, np.array([40.0]))
    with pytest.raises(NgspiceError, match="out of range for sinh"):
        memxbar.simulate(OVERFLOW, np.array([40.0]), "spice")


def test_overflow_in_the_cli_is_one_line_and_exit_1(tmp_path):
    g = tmp_path / "g.csv"
    g.write_text("1e-4\n")
    v = tmp_path / "v.csv"
    v.write_text("40\n")
    result = CliRunner().invoke(main, ["simulate", "--conductances", str(g), "--inputs", str(v), "--device", "sinh",
                                       "--device-param", "v0=0.05"])
    assert result.exit_code == 1
    assert "overflows double precision" in result.output
    assert "Traceback" not in result.output
