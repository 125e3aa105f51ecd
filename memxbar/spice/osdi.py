"""Compiled Verilog-A models (OSDI) in the ngspice session.

ngspice 46 loads an ``.osdi`` file with its ``osdi FILE`` command (``pre_osdi`` in a netlist's
``.control`` block). It crashes (segmentation fault) on a later ``remcirc`` when ``osdi`` ran while
a circuit was loaded, so :func:`load_osdi` frees every plot and removes the circuit first, and
loads each file once per session. Compiling is :mod:`memxbar.osdi.compiler`'s job.
"""

from __future__ import annotations

from pathlib import Path

from memxbar.spice.ngspice import NgspiceError, session

_LOADED: set[str] = set()


def load_osdi(library: Path) -> None:
    """Load a compiled model into the ngspice session, once; the loaded circuit is removed first.

    Raises:
        NgspiceError: If this ngspice cannot load OSDI models.
    """
    key = str(Path(library).resolve())
    if key in _LOADED:
        return
    ng = session()
    if not ng.info.osdi:
        raise NgspiceError(f"ngspice {ng.info.version} at {ng.info.library} cannot load OSDI models")
    ng.remove_circuit()
    ng.command(f"osdi {key}")
    _LOADED.add(key)
