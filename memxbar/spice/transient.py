"""Transient analyses in ngspice: run a ``.tran`` netlist and read its vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from memxbar.spice.ngspice import session


def run_transient(netlist: str, names: Sequence[str]) -> np.ndarray:
    """Run a netlist ending in ``.tran`` and return the named vectors.

    Args:
        netlist: The complete netlist.
        names: Vector names as ngspice knows them (lower case), e.g. ``time`` or ``vin#branch``.

    Returns:
        (len(names), T) array over ngspice's accepted time points.

    Raises:
        memxbar.spice.ngspice.NgspiceError: If ngspice is missing, unsuitable or fails.
    """
    ng = session()
    ng.require()
    ng.load(netlist)
    plot = ng.run()
    try:
        return ng.vectors(plot, names)
    finally:
        ng.destroy(plot)
