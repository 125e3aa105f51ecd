"""Dynamic device models: ngspice against SciPy, bounds, crossbar reads, Verilog-A sources, bad input."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import memxbar
from memxbar.devices import MODELS, get_model
from memxbar.errors import InputError
from memxbar.iv.sweep import DYNAMIC_MODELS, iv_sweep, osdi_current_difference
from memxbar.osdi.compiler import find_compiler


@pytest.mark.parametrize("name", [n for n in DYNAMIC_MODELS if n != "stanford-pku"])
def test_ngspice_and_scipy_trajectories_agree(name):
    sweep = iv_sweep(name, cycles=1.0)
    moved = sweep.state_numpy.max(axis=1) - sweep.state_numpy.min(axis=1)
    assert moved.max() > 0.02, f"{name}: the default sweep hardly changes the state"
    assert sweep.agrees
    assert sweep.max_state_difference < 1e-4
    assert sweep.current_difference < 1e-4


def test_stanford_pku_set_and_reset_agree_at_equal_times():
    """The SET is a thermal runaway: x falls from 0.5 to 0 in ~20 ns at up to 1.2e8 /s, 1.19 ms into
    the default sweep. Starting in the high-resistance state puts a SET and a RESET in one period."""
    sweep = iv_sweep(get_model("stanford-pku", x0=1.0), cycles=1.0)
    x = sweep.state_numpy[0]
    assert x.min() < 1e-6 and x.max() == pytest.approx(1.0, abs=1e-6)
    assert sweep.agrees
    assert sweep.max_state_difference < 3e-3
    assert sweep.current_difference < 1e-2


def test_unwindowed_drift_stops_at_the_bounds_in_both_backends():
    model = get_model("hp", x0=0.5, mu_v=1e-12)  # 100 times faster than the default: saturates quickly
    sweep = iv_sweep(model, amplitude=1.0, frequency=1.0, cycles=1.0)
    for states in (sweep.state_numpy, sweep.state_spice):
        assert states.max() == pytest.approx(1.0, abs=2e-3) and states.max() <= 1.0 + 1e-6
        assert states.min() == pytest.approx(0.0, abs=2e-3) and states.min() >= -1e-6
    # As R falls 160-fold the drift accelerates towards x = 1, which amplifies ngspice's error (measured 5e-4).
    assert sweep.agrees and sweep.max_state_difference < 2e-3


def test_transient_netlist_mirrors_each_state():
    model = get_model("volatile-stp", w0=0.25)
    cards = model.spice_transient_cards(np.array("d"), np.array("p"), np.array("0"), model.initial_state())
    text = "\n".join(str(card) for card in cards)
    for k, (x, y) in enumerate(((0.25, 0.75), (0.0, 1.0))):
        assert f"Bxd_{k} yd_{k} xd_{k} I=" in text
        assert f"Cxd_{k} xd_{k} 0 1 IC={x}" in text and f"Cyd_{k} yd_{k} 0 1 IC={y}" in text
        assert f"Ryd_{k} yd_{k} 0 " in text


def test_short_term_state_relaxes_with_tau():
    model = get_model("volatile-stp", s0=0.6, tau=0.2)
    rate = model.state_derivative(np.array(0.0), np.array([0.3, 0.6]))
    np.testing.assert_allclose(rate, [0.0, -0.6 / 0.2])


@pytest.mark.parametrize("name", DYNAMIC_MODELS)
def test_state_and_conductance_round_trip(name):
    model = get_model(name)
    state = np.stack([np.linspace(0.05, 0.95, 7), np.zeros(7)])[: len(model.states)]
    g = model.conductance(state)
    np.testing.assert_allclose(model.conductance(model.state_from_conductance(g)), g, rtol=1e-12)
    with pytest.raises(InputError, match="outside the range"):
        model.state_from_conductance(np.array([g.max() * 10]))


def test_crossbar_read_at_given_states_agrees_in_both_backends(rng):
    for name in ("hp-biolek", "yakopcic", "stanford-pku", "volatile-stp"):
        model = get_model(name)
        state = rng.uniform(0.05, 0.95, (len(model.states), 5, 4))
        crossbar = memxbar.Crossbar(model.conductance(state), r_wl=2.5, r_bl=2.5, device=model)
        comparison = memxbar.compare(crossbar, rng.uniform(-0.6, 0.6, (5, 2)))
        assert comparison.max_rel_error < 1e-6, name
        # At zero line resistance each device sees its input voltage: the model's own current.
        ideal = memxbar.Crossbar(model.conductance(state), device=model)
        v = rng.uniform(-0.6, 0.6, 5)
        expected = model.state_current(np.broadcast_to(v[:, None], (5, 4)), state).sum(axis=0)
        np.testing.assert_allclose(memxbar.simulate(ideal, v).output_currents, expected, rtol=1e-9)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("hp", {"r_off": 50.0}, "r_off of model hp must exceed r_on"),
        ("vteam", {"v_on": 0.1}, "v_on of model vteam must be < 0"),
        ("yakopcic", {"eta": 0.0}, "eta of model yakopcic must be"),
        ("stanford-pku", {"gap_max": 0.1e-9}, "gap_max of model stanford-pku must exceed gap_min"),
        ("volatile-stp", {"tau": 0.0}, "tau of model volatile-stp must be > 0"),
        ("hp-joglekar", {"p": 1.5}, "p of model hp-joglekar must be a whole number"),
        ("hp", {"x0": 1.5}, "x0 of model hp must be <= 1"),
    ],
)
def test_bad_parameters_are_named(name, params, message):
    with pytest.raises(InputError, match=message):
        get_model(name, **params)


def test_sweep_rejects_static_models_and_bad_stimuli():
    with pytest.raises(InputError, match="has no state to sweep"):
        iv_sweep("sinh")
    with pytest.raises(InputError, match="frequency of the stimulus must be a positive number"):
        iv_sweep("hp", frequency=-1.0)
    with pytest.raises(InputError, match="waveform must be one of"):
        iv_sweep("hp", waveform="square")


@pytest.mark.skipif(importlib.util.find_spec("openvaf_py") is None, reason="openvaf-py (dev extra) not installed")
def test_verilog_a_sources_compile_and_match_numpy():
    """OpenVAF's front end (openvaf-py) compiles every .va; its residuals equal the NumPy forms."""
    import openvaf_py

    compiled = {}
    for name, cls in MODELS.items():
        model = cls()
        path = str(cls.verilog_a_path())
        module = compiled.setdefault(path, openvaf_py.compile_va(path)[0])
        values = {k: float(v) for k, v in model.values.items()}
        for v in (-1.3, -0.4, 0.05, 0.3, 1.2):
            args = {"V(te,be)": v, "mfactor": 1.0, **values}
            if not model.dynamic:
                residuals = module.run_init_eval({**args, "G": 1e-4})[0]
                assert residuals[0][0] == pytest.approx(float(model.current(np.array(v), 1e-4)), rel=1e-12), name
                continue
            args.update(model.verilog_a_selectors)
            for x in (0.05, 0.5, 0.93):
                state = np.full(len(model.states), x)
                residuals = module.run_init_eval({**args, **{f"V({s.name})": x for s in model.states}})[0]
                assert residuals[0][0] == pytest.approx(float(model.state_current(np.array(v), state)), rel=1e-12)
                leak = np.array([(x - values[f"{s.name}0"]) / 1e15 for s in model.states])
                rates = -(np.array([r[0] for r in residuals[2:]]) - leak)
                np.testing.assert_allclose(rates, model.state_derivative(np.array(v), state), rtol=1e-12, atol=1e-300)


@pytest.mark.skipif(find_compiler() is None, reason="no Verilog-A compiler: pip install 'memxbar[verilog-a]'")
@pytest.mark.parametrize("name", ["hp-biolek", "yakopcic", "volatile-stp"])
def test_osdi_model_matches_the_behavioural_one(name):
    assert osdi_current_difference(name) < 1e-4
