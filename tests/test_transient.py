"""Transient analysis of whole crossbars: analytic RC responses, fast against ngspice, stimuli, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from memxbar import Crossbar, simulate
from memxbar.cli import main
from memxbar.errors import InputError
from memxbar.transient import (
    Dc,
    Pulse,
    Pwl,
    Sine,
    TransientOptions,
    compare_waveforms,
    make_stimulus,
    read_pulse,
    transient,
    write_pulse,
)
from memxbar.transient.stimulus import load_stimulus


def ramp_response(t: np.ndarray, ramp: float, tau: float) -> np.ndarray:
    """Response of a first-order low-pass (unit gain, time constant tau) to a unit ramp 0 → 1 over ``ramp``."""
    during = (t - tau * (1 - np.exp(-t / tau))) / ramp
    after = 1 - tau / ramp * (np.exp(ramp / tau) - 1) * np.exp(-t / tau)
    return np.where(t <= ramp, during, after)


def test_rc_node_follows_the_analytic_ramp_response():
    # W node: 1 kΩ word-line segment from the source, 1 mS device to the grounded bit line, 1 pF to ground.
    # Thevenin: half the source voltage behind 500 Ω, tau = 500 Ω · 1 pF = 0.5 ns.
    crossbar = Crossbar(np.array([[1e-3]]), r_wl=1e3, c_wl=1e-12)
    ramp, tau = 0.2e-9, 0.5e-9
    stimulus = make_stimulus(crossbar.shape, Pwl((0.0, ramp), (0.0, 1.0)))
    errors = []
    for rtol in (1e-6, 1e-8):
        run = transient(crossbar, stimulus, 4e-9, options=TransientOptions(points=201, rtol=rtol), probes=["w0_0"])
        errors.append(np.abs(run.probes["w0_0"] - 0.5 * ramp_response(run.time, ramp, tau)).max())
        assert np.allclose(run.output_currents[0], 1e-3 * run.probes["w0_0"], rtol=0, atol=1e-12)
    # Global error of a few tens of rtol (of the 1 V peak), falling as rtol^(2/3) (BDF2's order over 3).
    assert errors[0] < 3e-5 and errors[1] < 1.5e-6


def test_charge_into_a_capacitor_is_c_times_v():
    # An open device: the word line's only load is its capacitance, so ∫ i_in dt = C·V exactly.
    crossbar = Crossbar(np.array([[0.0, 0.0]]), r_wl=100.0, c_wl=2e-13)
    stimulus = make_stimulus(crossbar.shape, Pulse(0.0, 0.5, 1e-11, 1e-11, 1e-11, 1e-8))
    run = transient(crossbar, stimulus, 5e-9, options=TransientOptions(points=4001))
    charge = np.trapezoid(run.input_currents[0], run.time)
    assert charge == pytest.approx(2 * 2e-13 * 0.5, rel=1e-5)
    # Energy from the source: ½CV² stored plus as much again dissipated for charging through a resistor
    # (within the ramp's small saving).
    assert run.energy == pytest.approx(2 * 2e-13 * 0.25, rel=2e-2)


def test_rc_read_agrees_with_ngspice(rng):
    crossbar = Crossbar(rng.uniform(1e-5, 1e-4, (6, 5)), r_wl=2.0, r_bl=3.0, c_wl=1e-14, c_bl=2e-14, c_device=1e-15)
    stimulus = read_pulse(crossbar.shape, rng.uniform(0.1, 0.3, 6), 2e-10)
    options = TransientOptions(points=301)
    fast = transient(crossbar, stimulus, 3e-10, options=options)
    spice = transient(crossbar, stimulus, 3e-10, options=options, backend="spice")
    agreement = compare_waveforms(fast, spice)
    assert agreement["max_rel_error"] < 1e-4
    assert agreement["energy_rel_error"] < 1e-4
    # Settled at the end of the pulse: the operating point of the same crossbar.
    settled = simulate(crossbar, stimulus.voltages(2.1e-10)[0][:, 0])
    end = np.searchsorted(fast.time, 2.2e-10)
    assert np.allclose(fast.output_currents[:, end], settled.output_currents, rtol=1e-6)


def test_vteam_write_agrees_with_ngspice_and_chains_into_a_read(rng):
    g = rng.uniform(1e-3, 2e-2, (4, 4))
    g[1, 2] = 1.1e-3  # the selected device near R_OFF, with room to switch on
    crossbar = Crossbar(g, r_wl=2.0, r_bl=2.0, c_wl=1e-14, c_bl=1e-14, device="vteam")
    stimulus = write_pulse(crossbar.shape, -0.8, 4e-10, "v2", (1, 2))
    options = TransientOptions(points=201)
    fast = transient(crossbar, stimulus, 5.5e-10, options=options)
    spice = transient(crossbar, stimulus, 5.5e-10, options=options, backend="spice")
    agreement = compare_waveforms(fast, spice)
    assert agreement["max_rel_error"] < 1e-4
    assert agreement["max_state_difference"] < 1e-3
    assert agreement["energy_rel_error"] < 1e-4
    change = fast.final_states[0] - fast.initial_states[0]
    # A negative pulse beyond v_on sets the selected device (its state falls towards R_ON) most; the
    # unselected devices (0 V but for IR drops) hardly change.
    assert change[1, 2] < -0.1
    assert np.abs(change).argmax() == np.ravel_multi_index((1, 2), (4, 4))
    assert np.abs(np.delete(np.delete(change, 1, axis=0), 2, axis=1)).max() < 1e-3
    assert np.allclose(fast.final.conductances, crossbar.device.conductance(fast.final_states))
    read = simulate(fast.final, np.full(4, 0.01))
    assert np.all(np.isfinite(read.output_currents))


def test_1t1r_and_floating_line_agree_with_ngspice(rng):
    crossbar = Crossbar(rng.uniform(1e-5, 1e-4, (3, 3)), r_wl=5.0, r_bl=5.0, c_wl=2e-14, c_bl=2e-14, cell="1t1r")
    stimulus = make_stimulus(crossbar.shape, [Pulse(0.0, 0.3, 1e-11, 2e-11, 2e-11, 1e-10), None,
                                              Sine(0.0, 0.2, 5e9)])
    options = TransientOptions(points=201)
    fast = transient(crossbar, stimulus, 2e-10, options=options)
    spice = transient(crossbar, stimulus, 2e-10, options=options, backend="spice")
    agreement = compare_waveforms(fast, spice)
    assert agreement["max_rel_error"] < 1e-4 and agreement["energy_rel_error"] < 1e-4
    assert np.isnan(fast.input_currents[1]).all() and fast.energy_wl[1] == 0


def test_waveforms_and_spice_sources():
    pulse = Pulse(0.0, 1.0, delay=1.0, rise=1.0, fall=2.0, width=1.0, period=10.0)
    assert np.allclose(pulse.voltage(np.array([0.5, 1.5, 2.5, 4.0, 6.0, 11.5])), [0, 0.5, 1, 0.5, 0, 0.5])
    assert list(pulse.corners(12.0)) == [1.0, 2.0, 3.0, 5.0, 11.0]
    assert pulse.spice(12.0) == "DC 0.0 PULSE(0.0 1.0 1.0 1.0 2.0 1.0 10.0)"
    sine = Sine(0.1, 0.2, 1e6, 1e-6)
    assert np.allclose(sine.voltage(np.array([0.5e-6, 1.25e-6])), [0.1, 0.3])
    assert Pwl((0.0, 1.0), (0.0, 2.0)).voltage(np.array([0.5, 3.0])).tolist() == [1.0, 2.0]
    stimulus = make_stimulus((2, 3), [Dc(0.5), None], Dc(0.0))
    assert stimulus.floating_wl.tolist() == [False, True]
    wl, bl = stimulus.voltages(np.array([0.0, 1.0]))
    assert wl.tolist() == [[0.5, 0.5], [0.0, 0.0]] and bl.shape == (3, 2)


def test_v3_write_levels():
    stimulus = write_pulse((3, 3), 0.9, 1e-9, "v3", (0, 1))
    wl, bl = stimulus.voltages(np.array([0.5e-9]))
    assert np.allclose(wl[:, 0], [0.9, 0.3, 0.3]) and np.allclose(bl[:, 0], [0.6, 0.0, 0.6])


def test_stimulus_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[source]]\nlines = "wl"\ntype = "pulse"\nv2 = 0.3\nwidth = 2e-9\n'
                    '[[source]]\nlines = "bl"\nindex = 1\ntype = "float"\n')
    stimulus = load_stimulus(path, (2, 2))
    assert stimulus.wl[0] == Pulse(v2=0.3, width=2e-9) and stimulus.floating_bl.tolist() == [False, True]
    path.write_text('[[source]]\nlines = "wl"\ntype = "pulse"\nvolts = 1\n')
    with pytest.raises(InputError, match="'volts' is not a parameter of a pulse"):
        load_stimulus(path, (2, 2))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: Pulse(rise=0.0), "pulse rise must be > 0"),
    (lambda: Pulse(width=1.0, period=0.5), "period"),
    (lambda: Crossbar(np.ones((2, 2)), c_wl=-1e-15), "c_wl must be >= 0 F"),
    (lambda: write_pulse((2, 2), 1.0, 1e-9, "v2", (2, 0)), "outside the 2x2 array"),
    (lambda: transient(Crossbar(np.ones((2, 2))), make_stimulus((3, 2)), 1e-9), "stimulus has 3 word-line"),
    (lambda: transient(Crossbar(np.ones((2, 2))), make_stimulus((2, 2)), -1.0), "t_stop must be a positive"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_cli_read_settling(tmp_path):
    out = tmp_path / "read.json"
    result = CliRunner().invoke(main, ["transient", "--rows", "8", "--cols", "8", "--r-wl", "2", "--r-bl", "2",
                                       "--c-wl", "1e-14", "--c-bl", "1e-14", "--g-min", "1e-5", "--g-max", "1e-4",
                                       "--read-pulse", "0.2,2e-10", "--points", "201", "--json", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert 0 < record["settling_time_s"] < 2e-10 and record["energy_J"] > 0 and record["fast_seconds"] > 0


def test_cli_rejects_two_stimuli():
    result = CliRunner().invoke(main, ["transient", "--read-pulse", "0.2,1e-9", "--write-pulse", "1,1e-9"])
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_energy_is_exact_and_independent_of_output_times_and_run_length():
    """One 10 kΩ device behind 1 Ω of word line, a 0.2 V read pulse (rise and fall 0.1 ns, top 1 ns): the
    energy is V²/R·(top + 2·rise/3) = 4.26624e-15 J exactly, however many output times and however long the
    run (the fast backend was 2.9 % high with 11 points over 1 µs, ngspice 0.24 % high: trapezoids of v·i
    across the ramps). A 2×2 RC array idle for 1 s after the pulse must still take its steps (it failed at
    0.1 ms) and give the energy of the short run."""
    from memxbar.transient import TransientOptions, read_pulse

    exact = 0.2**2 / 10001.0 * (1e-9 + 2 * 1e-10 / 3)
    one = Crossbar(np.full((1, 1), 1e-4), r_wl=1.0)
    for backend in ("fast", "spice"):
        for points, t_stop in ((11, 1e-6), (1001, 3e-9)):
            run = transient(one, read_pulse((1, 1), 0.2, 1e-9), t_stop, backend=backend,
                            options=TransientOptions(points=points))
            assert run.energy == pytest.approx(exact, rel=1e-6), (backend, points, t_stop)
    rc = Crossbar(np.full((2, 2), 1e-4), r_wl=2.0, r_bl=2.0, c_wl=1e-14)
    short = transient(rc, read_pulse((2, 2), 0.2, 1e-9), 3e-9, options=TransientOptions(points=1001))
    reference = transient(rc, read_pulse((2, 2), 0.2, 1e-9), 3e-9, backend="spice",
                          options=TransientOptions(points=1001))
    assert short.energy == pytest.approx(reference.energy, rel=1e-5)
    idle = transient(rc, read_pulse((2, 2), 0.2, 1e-9), 1.0, options=TransientOptions(points=11))
    assert idle.energy == pytest.approx(short.energy, rel=1e-5)
