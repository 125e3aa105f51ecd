"""memxbar: circuit-level simulation of memristor crossbar arrays, in ngspice and in an exact fast solver.

The public names below are imported on first use (PEP 562), so that ``import memxbar`` and the
command line start fast; ``from memxbar import simulate`` works as usual.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "BACKENDS": "memxbar.simulate",
    "Comparison": "memxbar.compare",
    "Crossbar": "memxbar.crossbar",
    "Experiment": "memxbar.sweeps",
    "IVSweep": "memxbar.iv.sweep",
    "Solution": "memxbar.solution",
    "Waveforms": "memxbar.transient",
    "compare": "memxbar.compare",
    "effective_weights": "memxbar.solver.direct",
    "iv_sweep": "memxbar.iv.sweep",
    "simulate": "memxbar.simulate",
    "sweep": "memxbar.sweeps",
    "transient": "memxbar.transient",
}
"""Public name → the module that defines it."""

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

if TYPE_CHECKING:
    from memxbar.compare import Comparison, compare
    from memxbar.crossbar import Crossbar
    from memxbar.iv.sweep import IVSweep, iv_sweep
    from memxbar.simulate import BACKENDS, simulate
    from memxbar.solution import Solution
    from memxbar.solver.direct import effective_weights
    from memxbar.sweeps import Experiment, sweep
    from memxbar.transient import Waveforms, transient


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'memxbar' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


class _Package(ModuleType):
    """The ``memxbar`` module: importing its submodules ``memxbar.simulate``, ``memxbar.compare`` and
    ``memxbar.transient`` does not replace the functions of the same names (as an eager ``from … import``
    once did)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WHERE and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
