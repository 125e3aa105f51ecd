"""Parameter sweeps: the full product of parameter lists, run in parallel on Dask, resumable.

The pipeline runs one way: a configuration (:mod:`.config`) or a base experiment and a grid
(:mod:`.grid`) → points → tasks (:mod:`.tasks`) → workers (:mod:`.execute`, :mod:`.runner`) →
rows appended to the results file (:mod:`.store`) → a pandas DataFrame, and figures
(:mod:`.plots`). A point is of one kind (:mod:`.kinds`): a random crossbar (:mod:`.spec`,
:mod:`.crossbar`, :mod:`.metrics`) or a neural network on crossbars (:mod:`.network`).
"""

from memxbar.sweeps.api import Plan, plan_sweep, run_sweep, sweep
from memxbar.sweeps.config import SweepConfig, load_config
from memxbar.sweeps.kinds import KINDS
from memxbar.sweeps.metrics import METRICS
from memxbar.sweeps.network import NetworkExperiment
from memxbar.sweeps.spec import Experiment
from memxbar.sweeps.store import read_results

__all__ = [
    "METRICS",
    "Experiment",
    "KINDS",
    "NetworkExperiment",
    "Plan",
    "SweepConfig",
    "load_config",
    "plan_sweep",
    "read_results",
    "run_sweep",
    "sweep",
]
