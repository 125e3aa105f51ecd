"""memxbar: circuit-level simulation of memristor crossbar arrays, in ngspice and in an exact fast solver."""

from memxbar.compare import Comparison, compare
from memxbar.crossbar import Crossbar
from memxbar.iv.sweep import IVSweep, iv_sweep
from memxbar.simulate import BACKENDS, simulate
from memxbar.solution import Solution
from memxbar.solver.direct import effective_weights
from memxbar.sweeps import Experiment, sweep
from memxbar.transient import Waveforms, transient  # the function shadows the package name; import from it

__all__ = [
    "BACKENDS",
    "Comparison",
    "Crossbar",
    "Experiment",
    "IVSweep",
    "Solution",
    "Waveforms",
    "compare",
    "effective_weights",
    "iv_sweep",
    "simulate",
    "sweep",
    "transient",
]
__version__ = "0.1.0"
