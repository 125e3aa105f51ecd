"""Reading arrays from user files and writing result files without overwriting or losing any by accident."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from memxbar.errors import InputError

ARRAY_SUFFIXES = (".npy", ".csv")


def read_text(path: str | Path, what: str) -> str:
    """The text of a UTF-8 file (a leading byte-order mark is dropped).

    Raises:
        InputError: If the file cannot be read or is not UTF-8 text, naming ``what`` and the file.
    """
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what}: {p} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{what}: cannot read {p}: {exc.strerror or exc}") from None


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Non-empty, non-comment lines split into cells: by ``;`` if every line has one, else by ``,``,
    else by tabs or runs of spaces, as spreadsheets write them."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    content = [line for _, line in lines]
    if content and all(";" in line for line in content):
        delimiter = ";"
    elif any("," in line for line in content):
        delimiter = ","
    else:
        return [(n, line.split()) for n, line in lines]
    cells = csv.reader(content, delimiter=delimiter)
    return [(n, [cell.strip() for cell in row]) for (n, _), row in zip(lines, cells, strict=True)]


def _is_number(cell: str) -> bool:
    """Whether a CSV cell is a number, also with a decimal comma (which is then reported, not taken as a name)."""
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return False
    return True


def _parse_csv(text: str, what: str, p: Path) -> np.ndarray:
    rows = _csv_rows(text)
    if not rows:
        raise InputError(f"{what}: {p} holds no numbers")

    def numbers(line: int, cells: list[str]) -> list[float]:
        values = []
        for column, cell in enumerate(cells, 1):
            try:
                values.append(float(cell))
            except ValueError:
                hint = " (use a decimal point, not a comma)" if "," in cell else ""
                raise InputError(
                    f"{what}: {p} line {line}, value {column}: expected a number, got {cell!r}{hint}"
                ) from None
        return values

    first_line, first = rows[0]
    if len(rows) > 1 and not any(_is_number(cell) for cell in first):
        table = []  # a header row of column names (a row with any number in it is data)
    else:
        table = [numbers(first_line, first)]
    table += [numbers(line, cells) for line, cells in rows[1:]]
    width = len(table[0])
    for (line, _), values in zip(rows[len(rows) - len(table):], table, strict=True):
        if len(values) != width:
            raise InputError(f"{what}: {p} line {line} has {len(values)} value(s), the rows above have {width}")
    return np.array(table, dtype=np.float64)


def read_array(path: str | Path, what: str) -> np.ndarray:
    """Read a numeric array from a ``.npy`` or ``.csv`` file.

    Args:
        path: File to read. A CSV file holds one row per line, its values separated by commas,
            semicolons (if every line has one), tabs or spaces; it may start with a byte-order
            mark and a header row of names; empty lines and lines starting with ``#`` are skipped.
        what: What the file holds, for error messages (e.g. ``"--conductances"``).

    Returns:
        The array as float64; a CSV file always gives a 2-D array (see :func:`as_vector`).

    Raises:
        InputError: If the file is missing, unreadable, of another type or malformed (naming the
            line and value), or holds non-real numbers.
    """
    p = Path(path)
    if p.suffix.lower() not in ARRAY_SUFFIXES:
        raise InputError(f"{what}: {p} is neither .npy nor .csv; save the array with numpy.save or as CSV")
    if not p.is_file():
        raise InputError(f"{what}: file {p} does not exist")
    if p.suffix.lower() == ".csv":
        return _parse_csv(read_text(p, what), what, p)
    try:
        with p.open("rb") as file:
            magic = file.read(6)
    except OSError as exc:
        raise InputError(f"{what}: cannot read {p}: {exc.strerror or exc}") from None
    if magic != b"\x93NUMPY":
        raise InputError(f"{what}: {p} is not a .npy file (numpy.save writes one); for text use a .csv name")
    try:
        array = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise InputError(f"{what}: cannot read {p} as a numeric array ({reason})") from None
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        kind = array.dtype if isinstance(array, np.ndarray) else "several arrays"
        raise InputError(f"{what}: {p} holds {kind}; an array of real numbers is needed")
    if array.size == 0:
        raise InputError(f"{what}: {p} holds no numbers")
    return np.asarray(array, dtype=np.float64)


def as_vector(array: np.ndarray) -> np.ndarray:
    """A single row or column (as a one-line or one-column CSV file gives) as a 1-D array."""
    return array.ravel() if array.ndim == 2 and 1 in array.shape else array


def check_writable(path: str | Path, force: bool, what: str) -> Path:
    """Check, before any work is done, that a result file can be written where it is asked for.

    Args:
        path: File that is about to be written.
        force: Whether overwriting an existing file was explicitly allowed.
        what: The option that named the file, for error messages (e.g. ``"--json"``).

    Returns:
        The path.

    Raises:
        InputError: If the file exists and ``force`` is false, is a folder, or its folder is
            missing or not writable.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what}: {p} is a folder; give a file name")
    if p.exists() and not force:
        raise InputError(f"{what}: {p} already exists; pass --force to overwrite it or choose another name")
    if not p.parent.is_dir():
        raise InputError(f"{what}: folder {p.parent} does not exist; create it first")
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(f"{what}: {p} is not writable; choose another name")
    if not p.exists() and not os.access(p.parent, os.W_OK | os.X_OK):
        raise InputError(f"{what}: folder {p.parent} is not writable; choose another folder")
    return p


def check_image(path: Path, what: str) -> Path:
    """Check that an image file's name ends in a format matplotlib writes (else it would add ``.png``).

    Raises:
        InputError: Listing the formats, if the suffix is missing or unknown.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix.lower().lstrip(".") not in formats:
        listed = ", ".join(f".{name}" for name in sorted(formats))
        found = f"ends in {path.suffix}" if path.suffix else "has no suffix"
        raise InputError(f"{what}: {path} {found}; an image needs one of {listed}")
    return path


def check_distinct(paths: Mapping[str, Path | None]) -> None:
    """Refuse two outputs of one command written to the same file (one would replace the other).

    Args:
        paths: Option → its path (None when not given).
    """
    seen: dict[Path, str] = {}
    for option, path in paths.items():
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            raise InputError(f"{seen[key]} and {option} name the same file {path}; give each output its own file")
        seen[key] = option


def write_output(path: Path, what: str, write: Callable[[Path], None]) -> None:
    """Write a result file in one piece: to a temporary file beside it, then renamed into place,
    so that a failure (a full disk) leaves neither a torn file nor the loss of an older one.

    Args:
        path: The file (a special file such as ``/dev/null`` is written directly).
        what: The option that named the file, for error messages.
        write: Writes the content to the path it is given.

    Raises:
        InputError: Naming ``what`` and the file, if it cannot be written.
    """
    direct = path.exists() and not path.is_file()
    target = path if direct else path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(target)
        if not direct:
            os.replace(target, path)
    except OSError as exc:
        if not direct:
            target.unlink(missing_ok=True)
        raise InputError(f"{what}: cannot write {path}: {exc.strerror or exc}") from None
