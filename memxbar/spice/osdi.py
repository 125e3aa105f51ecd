"""Verilog-A device models in ngspice through OSDI, when the OpenVAF compiler is installed.

OpenVAF (``openvaf``, not packaged by Debian or PyPI) compiles a ``.va`` file into an ``.osdi``
shared object, which ngspice 46 loads with its ``osdi FILE`` command. Without OpenVAF, memxbar
uses each model's behavioural (B-source) subcircuit, which implements the same equations.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from memxbar.spice.ngspice import NgspiceError, session

COMPILERS = ("openvaf", "openvaf-r")
"""Names under which the OpenVAF compiler is looked for on PATH."""


def find_openvaf() -> str | None:
    """Path of the OpenVAF compiler, or None."""
    for name in COMPILERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def verilog_a_status() -> str:
    """One line for ``memxbar doctor``: how device models reach ngspice on this machine."""
    compiler = find_openvaf()
    if compiler is None:
        return "openvaf not found: device models run as behavioural (B-source) subcircuits"
    return f"openvaf at {compiler}: Verilog-A device models can be compiled and loaded through OSDI"


def cache_directory() -> Path:
    """Where compiled ``.osdi`` files are kept (``$XDG_CACHE_HOME/memxbar/osdi``)."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "memxbar" / "osdi"


def compile_verilog_a(source: Path) -> Path:
    """Compile a Verilog-A file with OpenVAF, once per content, and return the ``.osdi`` path.

    Raises:
        NgspiceError: If OpenVAF is missing or rejects the file.
    """
    compiler = find_openvaf()
    if compiler is None:
        raise NgspiceError(f"cannot compile {source.name}: no OpenVAF compiler ({' or '.join(COMPILERS)}) on PATH")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = cache_directory() / f"{source.stem}-{digest}.osdi"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([compiler, str(source), "-o", str(target)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            message = " ".join((result.stderr or result.stdout).split())[:300]
            raise NgspiceError(f"openvaf failed on {source.name}: {message}")
    return target


def load_osdi(library: Path) -> None:
    """Load a compiled model into the ngspice session (ngspice's ``osdi`` command).

    Raises:
        NgspiceError: If this ngspice cannot load OSDI models.
    """
    ng = session()
    if not ng.info.osdi:
        raise NgspiceError(f"ngspice {ng.info.version} at {ng.info.library} cannot load OSDI models")
    ng.command(f"osdi {library}")
