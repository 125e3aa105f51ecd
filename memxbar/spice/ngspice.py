"""The ngspice shared library, driven through PySpice: the only module that knows about PySpice.

It finds libngspice, checks its version and its KLU solver, loads a circuit once, changes
source values between runs and reads result vectors back into NumPy.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_VERSION = 42
"""Oldest ngspice accepted: KLU became usable for large circuits in ngspice 42."""

INSTALL_HINT = (
    "on Debian 12 run `make setup` (ngspice and libngspice0 from bookworm-backports); "
    "elsewhere install ngspice >= 42 built with KLU and set NGSPICE_LIBRARY_PATH to its libngspice.so"
)

_LIBRARY_GLOBS = (
    "/usr/lib/*/libngspice.so*",
    "/usr/lib/libngspice.so*",
    "/usr/lib64/libngspice.so*",
    "/usr/local/lib/libngspice.so*",
    "/opt/homebrew/lib/libngspice*.dylib",
    "/usr/local/lib/libngspice*.dylib",
)


_ABORTED = re.compile(r"simulation\(s\) aborted|could not be simulated", re.IGNORECASE)
"""What ngspice writes to stderr when an analysis fails (as opposed to warnings and notes)."""


class NgspiceError(RuntimeError):
    """ngspice is missing, unsuitable, or failed to simulate a circuit."""


def find_library() -> str | None:
    """Path of the ngspice shared library, or None if none is found.

    ``NGSPICE_LIBRARY_PATH`` wins when set; otherwise the conda prefix and the usual
    system directories are searched, preferring the plain ``libngspice.so`` name.
    """
    explicit = os.environ.get("NGSPICE_LIBRARY_PATH")
    if explicit:
        return explicit
    patterns = list(_LIBRARY_GLOBS)
    if os.environ.get("CONDA_PREFIX"):
        patterns.insert(0, os.path.join(os.environ["CONDA_PREFIX"], "lib", "libngspice.so*"))
    found = sorted({p for pattern in patterns for p in glob.glob(pattern)}, key=len)
    return found[0] if found else None


@dataclass(frozen=True)
class NgspiceInfo:
    """What the loaded ngspice library reports about itself."""

    library: str
    """Path of the shared library in use."""
    version: int
    """Major version number, e.g. 46."""
    klu: bool
    """Whether it was compiled with the KLU sparse solver."""
    osdi: bool
    """Whether it can load compiled Verilog-A models (OSDI)."""
    banner: str
    """The full ``version -f`` text."""


def check_suitable(info: NgspiceInfo, klu: bool = True) -> None:
    """Raise :class:`NgspiceError`, naming the version found and the fix, if ngspice is too old or lacks KLU."""
    if info.version < MIN_VERSION:
        raise NgspiceError(f"ngspice {info.version} found at {info.library}, need >= {MIN_VERSION}; {INSTALL_HINT}")
    if klu and not info.klu:
        raise NgspiceError(f"ngspice {info.version} at {info.library} was built without KLU; {INSTALL_HINT}")


class NgspiceSession:
    """One libngspice instance per process (libngspice keeps global state).

    Use :func:`session` to obtain it; it is created on first use and checked then.
    """

    def __init__(self) -> None:
        library = find_library()
        if library is None:
            raise NgspiceError(f"ngspice shared library (libngspice) not found; {INSTALL_HINT}")
        os.environ["NGSPICE_LIBRARY_PATH"] = library
        logging.getLogger("PySpice").setLevel(logging.CRITICAL)
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared

        try:
            self._ng = NgSpiceShared.new_instance()
        except OSError as exc:
            raise NgspiceError(f"cannot load ngspice library {library}: {exc}; {INSTALL_HINT}") from None
        banner = self._ng.exec_command("version -f")
        match = re.search(r"ngspice-(\d+)", banner)
        version = int(match.group(1)) if match else 0
        self.info = NgspiceInfo(
            library=library,
            version=version,
            klu="KLU" in banner,
            osdi=self._has_command("osdi"),
            banner=banner,
        )

    def _has_command(self, name: str) -> bool:
        self._ng.clear_output()
        self._ng._ngspice_shared.ngSpice_Command(name.encode("ascii"))
        output = " ".join(self._ng._stdout + self._ng._stderr)
        return "no such command" not in output

    def require(self, klu: bool = True) -> None:
        """Raise :class:`NgspiceError` if this ngspice is unsuitable (see :func:`check_suitable`)."""
        check_suitable(self.info, klu)

    def command(self, text: str) -> str:
        """Run one ngspice command and return its standard output."""
        try:
            return self._ng.exec_command(text)
        except Exception as exc:
            raise NgspiceError(f"ngspice command {text!r} failed: {self._messages()}") from exc

    def _messages(self) -> str:
        lines = [line.strip() for line in self._ng._stdout + self._ng._stderr if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        return "; ".join((errors or lines)[-3:]) or "no message"

    def remove_circuit(self) -> None:
        """Free every plot and remove the loaded circuit, if any (also before loading OSDI models)."""
        self.command("destroy all")
        self._ng._ngspice_shared.ngSpice_Command(b"remcirc")

    def load(self, netlist: str) -> float:
        """Replace the current circuit by ``netlist`` and free earlier results.

        Returns:
            The time ngspice took to parse the circuit, in seconds (s).
        """
        from PySpice.Spice.NgSpice.Shared import ffi

        self.remove_circuit()
        # ngSpice_Circ takes a NULL-terminated array of lines, ending with an empty one. One
        # buffer holds every line, NUL-terminated; the pointers are computed with NumPy.
        lines = [line for line in netlist.splitlines() if line] + [""]
        data = "\0".join(lines).encode("utf8") + b"\0"
        buffer = ffi.from_buffer(data)
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
        starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.uint64)
        pointers = np.append(starts + np.uint64(int(ffi.cast("uintptr_t", buffer))), np.uint64(0))
        self._ng.clear_output()
        start = time.perf_counter()
        rc = self._ng._ngspice_shared.ngSpice_Circ(ffi.cast("char **", ffi.from_buffer(pointers)))
        parse = time.perf_counter() - start
        if rc or self._ng._error_in_stdout:
            raise NgspiceError(f"ngspice rejected the netlist: {self._messages()}")
        return parse

    def run(self) -> str:
        """Run the analysis of the loaded circuit; return the name of the new plot.

        A run that ngspice finished is read back even if it wrote warnings or notes to
        stderr (as it does after gmin or source stepping, which PySpice takes for failure);
        only an aborted run raises, with ngspice's own reason.
        """
        self._ng.clear_output()
        rc = self._ng._ngspice_shared.ngSpice_Command(b"run")
        plot = self._ng.last_plot
        if rc or plot == "const" or any(_ABORTED.search(line) for line in self._ng._stderr):
            raise NgspiceError(f"ngspice could not solve the circuit: {self._messages()}")
        return plot

    def alter(self, names: Sequence[str], values: np.ndarray) -> None:
        """Set the DC value of the named independent sources."""
        for name, value in zip(names, np.asarray(values, dtype=np.float64), strict=False):
            self.command(f"alter {name} dc={float(value)!r}")

    def vectors(self, plot: str, names: Sequence[str]) -> np.ndarray:
        """Read real vectors of one plot into a (len(names), length) array.

        Args:
            plot: Plot name returned by :meth:`run`.
            names: Vector names as ngspice knows them (lower case), e.g. ``vout0#branch``.
        """
        get = self._ng._ngspice_shared.ngGet_Vec_Info
        from PySpice.Spice.NgSpice.Shared import FFI, ffi

        rows = []
        for name in names:
            info = get(f"{plot}.{name}".encode())
            if info == FFI.NULL or info.v_realdata == FFI.NULL:
                raise NgspiceError(f"ngspice has no real vector {name!r} in plot {plot}")
            # An operating point has one value per vector: read it without a NumPy copy.
            rows.append(info.v_realdata[0] if info.v_length == 1 else
                        np.frombuffer(ffi.buffer(info.v_realdata, info.v_length * 8), dtype=np.float64).copy())
        return np.array(rows).reshape(len(rows), -1)

    def destroy(self, plot: str) -> None:
        """Free the memory of one plot."""
        self.command(f"destroy {plot}")


_SESSION: NgspiceSession | None = None


def session() -> NgspiceSession:
    """The process-wide ngspice session, created on first use."""
    global _SESSION
    if _SESSION is None:
        _SESSION = NgspiceSession()
    return _SESSION
