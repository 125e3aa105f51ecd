"""Reading arrays from user files and writing result files without overwriting by accident."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from memxbar.errors import InputError

ARRAY_SUFFIXES = (".npy", ".csv")


def read_array(path: str | Path, what: str) -> np.ndarray:
    """Read a numeric array from a ``.npy`` or ``.csv`` file.

    Args:
        path: File to read. CSV files are comma-separated numbers, one row per line.
        what: What the file holds, for error messages (e.g. ``"--conductances"``).

    Returns:
        The array as float64; a CSV file always gives a 2-D array (see :func:`as_vector`).

    Raises:
        InputError: If the file is missing, unreadable, of another type or malformed.
    """
    p = Path(path)
    if p.suffix.lower() not in ARRAY_SUFFIXES:
        raise InputError(f"{what}: {p} is neither .npy nor .csv; save the array with numpy.save or as CSV")
    if not p.is_file():
        raise InputError(f"{what}: file {p} does not exist")
    try:
        if p.suffix.lower() == ".npy":
            array = np.load(p, allow_pickle=False)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                array = np.loadtxt(p, delimiter=",", ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise InputError(f"{what}: cannot read {p} as a numeric array ({reason})") from None
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"{what}: {p} holds {array.dtype} values; real numbers are needed")
    if array.size == 0:
        raise InputError(f"{what}: {p} holds no numbers")
    return np.asarray(array, dtype=np.float64)


def as_vector(array: np.ndarray) -> np.ndarray:
    """A single row or column (as a one-line or one-column CSV file gives) as a 1-D array."""
    return array.ravel() if array.ndim == 2 and 1 in array.shape else array


def check_writable(path: str | Path, force: bool, what: str) -> Path:
    """Refuse to overwrite an existing file unless ``force``; check the folder exists.

    Args:
        path: File that is about to be written.
        force: Whether overwriting an existing file was explicitly allowed.
        what: The option that named the file, for error messages (e.g. ``"--json"``).

    Returns:
        The path.

    Raises:
        InputError: If the file exists and ``force`` is false, or its folder is missing.
    """
    p = Path(path)
    if p.exists() and not force:
        raise InputError(f"{what}: {p} already exists; pass --force to overwrite it or choose another name")
    if p.is_dir():
        raise InputError(f"{what}: {p} is a folder; give a file name")
    if not p.parent.is_dir():
        raise InputError(f"{what}: folder {p.parent} does not exist; create it first")
    return p
