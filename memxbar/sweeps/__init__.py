"""Parameter sweeps: the full product of parameter lists, run in parallel on Dask, resumable.

The pipeline runs one way: a configuration (:mod:`.config`) or a base experiment and a grid
(:mod:`.spec`, :mod:`.grid`) → points → tasks (:mod:`.tasks`) → workers (:mod:`.execute`,
:mod:`.runner`, :mod:`.metrics`) → rows appended to the results file (:mod:`.store`) → a pandas
DataFrame, and figures (:mod:`.plots`).
"""

from memxbar.sweeps.api import Plan, plan_sweep, run_sweep, sweep
from memxbar.sweeps.config import SweepConfig, load_config
from memxbar.sweeps.metrics import METRICS
from memxbar.sweeps.spec import Experiment
from memxbar.sweeps.store import read_results

__all__ = [
    "METRICS",
    "Experiment",
    "Plan",
    "SweepConfig",
    "load_config",
    "plan_sweep",
    "read_results",
    "run_sweep",
    "sweep",
]
