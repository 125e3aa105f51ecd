"""Property-based fuzz (hypothesis): random small arrays, both backends, any disagreement above 1e-9 flagged.

Arrays of 1–4 × 1–4 devices: ohmic, sinh or power-law; segment resistances log-uniform in
1e-6…1e4 Ω; conductances log-uniform in 1e-9…1e-1 S; inputs uniform in ±3 V. The backends must
agree to 1e-9 (the largest difference of the output currents relative to the largest output
current: the norm the KCL residual bounds; the relative error of an output 1e-6 of the largest
is not what a residual can promise), unless memxbar says why not: an
:class:`~memxbar.errors.AccuracyWarning` (conditioning), a backend whose KCL residual exceeds
1e-9 (``Comparison.inaccurate_backend``), or a clear error from a backend that cannot solve.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memxbar
from memxbar.devices import get_model
from memxbar.errors import AccuracyWarning, ConvergenceError
from memxbar.spice.ngspice import NgspiceError

DEVICES = [get_model("ohmic"), get_model("sinh"), get_model("power-law", n=2.9)]
AGREEMENT = 1e-9


@st.composite
def problems(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    device = draw(st.sampled_from(DEVICES))
    rng = np.random.default_rng(seed)
    log_uniform = lambda low, high, shape: 10.0 ** rng.uniform(np.log10(low), np.log10(high), shape)  # noqa: E731
    xbar = memxbar.Crossbar(log_uniform(1e-9, 1e-1, (m, n)), r_wl=log_uniform(1e-6, 1e4, (m, n)),
                            r_bl=log_uniform(1e-6, 1e4, (m, n)), device=device)
    return xbar, rng.uniform(-3.0, 3.0, m)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_backends_agree_or_say_why_not(problem):
    xbar, v = problem
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AccuracyWarning)
        try:
            comparison = memxbar.compare(xbar, v)
        except (ConvergenceError, NgspiceError) as error:
            assert str(error)  # a clear error is an answer too
            return
    warned = any(issubclass(w.category, AccuracyWarning) for w in caught)
    fast, spice = comparison.fast.output_currents, comparison.spice.output_currents
    disagreement = np.abs(fast - spice).max() / max(np.abs(spice).max(), np.finfo(float).tiny)
    if disagreement > AGREEMENT:
        assert warned or comparison.inaccurate_backend is not None, (
            f"undetected disagreement {disagreement:.2e}: fast KCL residual "
            f"{comparison.fast.kcl_residual:.1e}, spice {comparison.spice.kcl_residual}"
        )
