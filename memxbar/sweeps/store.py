"""The results file of a sweep: a CSV file that only ever grows, one row per finished point.

CSV rather than Parquet because a CSV file can be appended to: each finished task adds its rows
with one ``write`` followed by ``fsync``, so a sweep killed at any moment keeps every row it had
written, and at worst a torn last line, which is cut off when the sweep resumes. A Parquet file
is immutable once written (its index is at its end), so keeping it current would mean rewriting
the whole file, or a folder of fragments, for every finished task. Floats are written with
``repr`` and so read back exactly.

A point can appear more than once (a failed point is tried again on the next run); its last row
is the one that counts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from memxbar.errors import InputError
from memxbar.sweeps.kinds import CROSSBAR, ERROR_COLUMN, ID_COLUMN, Kind, kind_of_columns
from memxbar.sweeps.spec import DEVICE_PARAMS, DEVICE_PREFIX

COMMENT = "#"
"""Start of the provenance lines a results file may begin with (how the sweep was started)."""


def _complete_text(path: Path) -> str:
    """The file's text up to its last newline: a line torn by a kill is left out.

    Raises:
        InputError: If the file is not UTF-8 text (not a results file).
    """
    try:
        text = path.read_text(encoding="utf8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not a results file: not UTF-8 text (byte {exc.start})") from None
    text = text[: text.rfind("\n") + 1]
    while text.startswith(COMMENT):  # provenance lines before the header
        text = text[text.find("\n") + 1 :] if "\n" in text else ""
    return text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def finished(row: dict[str, str], kind: Kind) -> bool:
    """Whether a results row (as text) of ``kind`` is a finished point: no error, and every metric a number (or NaN)."""
    return row[ERROR_COLUMN] == "" and all(_number(row[name]) for name in kind.metrics)


def _encode(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([row[name] for name in columns] for row in rows)
    return buffer.getvalue()


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def backup_name(path: Path) -> Path:
    """The first free name ``<stem>.backup-<n><suffix>`` next to ``path``."""
    n = 1
    while (candidate := path.with_name(f"{path.stem}.backup-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def latest_rows(path: Path, kind: Kind) -> dict[str, dict[str, str]]:
    """The last row of every point in a results file, as text, keyed by point id.

    Args:
        path: The results file.
        kind: The kind of point the file should hold (its columns are those this version writes).

    Raises:
        InputError: If the file is not a results file of ``kind`` with exactly its columns.
    """
    columns = kind.columns()
    reader = csv.reader(io.StringIO(_complete_text(path)))
    header = next(reader, None)
    other = kind_of_columns(header or ())
    if other is not None and other is not kind:
        raise InputError(f"{path} holds a {other.name} sweep, not a {kind.name} sweep; write to another file")
    if header != list(columns):
        found = set(header or ())
        missing = [c for c in columns if c not in found]
        unexpected = [c for c in header or () if c not in set(columns)]
        detail = f"missing {', '.join(missing) or '-'}; unexpected {', '.join(unexpected) or '-'}"
        raise InputError(
            f"{path} is not a results file of this memxbar version ({detail}); write to another file, "
            "or start afresh with --force (the old file is kept as a backup)"
        )
    rows = {}
    for line in reader:
        if len(line) == len(columns):
            row = dict(zip(columns, line, strict=True))
            rows[row[ID_COLUMN]] = row
    return rows


def start(path: Path, columns: Sequence[str], origin: Mapping[str, Any] | None = None) -> None:
    """Create a results file holding only the header (written aside, then renamed into place),
    after ``origin`` (a provenance record), if given, as ``#`` comment lines."""
    partial = path.with_name(f".{path.name}.partial")
    comments = "".join(f"{COMMENT} {key}: {json.dumps(value)}\n" for key, value in (origin or {}).items())
    partial.write_text(comments + _encode([dict(zip(columns, columns, strict=True))], columns), encoding="utf8")
    os.replace(partial, path)


def repair(path: Path) -> None:
    """Cut off a torn last line left by a killed sweep, so that appended rows start on a new line."""
    with path.open("rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        handle.seek(0)
        data = handle.read()
        handle.truncate(data.rfind(b"\n") + 1)


def append_rows(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Append rows to the file and force them to disk before returning."""
    if rows:
        _append(path, _encode(rows, columns))


def read_results(path: str | Path) -> Any:
    """Read a results file into a pandas DataFrame, keeping the last row of each point.

    Args:
        path: The results file (CSV with a header).

    Returns:
        The DataFrame, one row per point in file order; ``error`` is empty for a point that
        succeeded.

    Raises:
        InputError: If the file is missing or not a results file.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(f"results file {p} does not exist")
    text = _complete_text(p)
    header = next(csv.reader(io.StringIO(text)), [])
    kind = kind_of_columns(header) or CROSSBAR
    texts = (ID_COLUMN, *kind.text_columns, ERROR_COLUMN)
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype={c: str for c in texts},
            keep_default_na=False,
            na_values=["nan", ""],
            **exact,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read {p} as a sweep results file ({' '.join(str(exc).split())[:160]})") from None
    if ID_COLUMN not in frame.columns or ERROR_COLUMN not in frame.columns:
        raise InputError(f"{p} is not a sweep results file: it has no {ID_COLUMN} and {ERROR_COLUMN} columns")
    for name in texts:
        if name in frame.columns:
            frame[name] = frame[name].fillna("")
    for name in kind.metrics:
        if name in frame.columns and not pd.api.types.is_numeric_dtype(frame[name]):
            values = pd.to_numeric(frame[name], errors="coerce")
            bad = values.isna() & frame[name].notna()
            frame.loc[bad & (frame[ERROR_COLUMN] == ""), ERROR_COLUMN] = f"results file: {name} is not a number"
            frame[name] = values
    frame = frame.drop_duplicates(ID_COLUMN, keep="last").reset_index(drop=True)
    return _with_device_columns(frame)


def _with_device_columns(frame: Any) -> Any:
    """Add a float column ``device_<name>`` for each device parameter in the ``device_params`` text (NaN
    where absent)."""
    if DEVICE_PARAMS not in frame.columns:
        return frame
    texts = frame[DEVICE_PARAMS].fillna("")
    frame[DEVICE_PARAMS] = texts
    parsed = [
        {DEVICE_PREFIX + name: value for name, _, value in (pair.partition("=") for pair in text.split(";") if pair)}
        for text in texts
    ]
    names = list(dict.fromkeys(name for values in parsed for name in values))
    for name in names:
        if name not in frame.columns:
            frame[name] = [float(values[name]) if name in values else float("nan") for values in parsed]
    return frame


LOCK_SUFFIX = ".lock"
"""Suffix of the lock file next to a results file, held while a sweep writes to it."""


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock of a results file (``NAME.lock``, with the holder's process in ``NAME.lock.owner``).

    Raises:
        InputError: If another process holds it, naming that process.
    """
    from filelock import FileLock, Timeout

    lock_path = path.with_name(path.name + LOCK_SUFFIX)
    owner = lock_path.with_name(lock_path.name + ".owner")
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            holder = owner.read_text(encoding="utf8").strip()
        except OSError:
            holder = "another process"
        raise InputError(
            f"{path} is being written by {holder}; wait for it to finish, or write to another file"
        ) from None
    try:
        owner.write_text(f"process {os.getpid()} on {socket.gethostname()} (since {time.strftime('%H:%M:%S')})\n",
                         encoding="utf8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()
