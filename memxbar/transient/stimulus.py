"""Stimuli of a transient analysis: a voltage waveform (or an open terminal) on every line terminal.

Each waveform is evaluated in NumPy (``voltage(t)``), lists the times where it has a corner
(``corners``: an integrator restarts there) and writes the matching ngspice source (``spice()``), so
both backends apply the same voltages:

- :class:`Dc`: a constant;
- :class:`Pulse`: ngspice's ``PULSE(v1 v2 delay rise fall width period)``: v1 until ``delay``, a linear
  rise to v2 in ``rise``, v2 for ``width``, a linear fall back in ``fall``, repeated every ``period``;
- :class:`Pwl`: piecewise linear through (time, voltage) points, constant before the first and after the last;
- :class:`Sine`: ngspice's ``SIN(offset amplitude frequency delay)``: the offset until ``delay``, then
  offset + amplitude·sin(2π·frequency·(t − delay)).

A :class:`Stimulus` holds one waveform per word line and per bit line, ``None`` for a floating
(open) terminal, as in :mod:`memxbar.circuit.bias`. :func:`read_pulse` and :func:`write_pulse` build the
usual ones; :func:`load_stimulus` reads a TOML file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from memxbar.errors import InputError
from memxbar.inputs import MAX_VOLTS


def _number(value: object, name: str, *, positive: bool = False, non_negative: bool = False) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) and not (name.endswith("period") and number == math.inf):
        raise InputError(f"{name} must be finite, got {value!r}")
    if positive and not number > 0:
        raise InputError(f"{name} must be > 0, got {number!r}")
    if non_negative and number < 0:
        raise InputError(f"{name} must be >= 0, got {number!r}")
    return number


@dataclass(frozen=True)
class Dc:
    """A constant voltage."""

    value: float = 0.0
    """Voltage (V)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _number(self.value, "dc value"))

    def voltage(self, t: np.ndarray) -> np.ndarray:
        """Voltages (V) at times t (s)."""
        return np.full(np.shape(t), self.value)

    def corners(self, t_stop: float) -> np.ndarray:
        """Times (s) in (0, t_stop) where the waveform has a corner."""
        return np.zeros(0)

    def spice(self, t_stop: float) -> str:
        """The ngspice source specification."""
        return f"DC {self.value!r}"

    @property
    def peak(self) -> float:
        """Largest |voltage| (V)."""
        return abs(self.value)


@dataclass(frozen=True)
class Pulse:
    """A trapezoidal pulse, or a train of them, as ngspice's ``PULSE`` source."""

    v1: float = 0.0
    """Initial (base) voltage (V)."""
    v2: float = 1.0
    """Pulsed voltage (V)."""
    delay: float = 0.0
    """Time before the first rise starts (s), >= 0."""
    rise: float = 1e-10
    """Rise time (s), > 0 (ngspice would replace 0 by its time step)."""
    fall: float = 1e-10
    """Fall time (s), > 0."""
    width: float = 1e-9
    """Time at v2 (s), > 0."""
    period: float = math.inf
    """Repetition period (s), >= rise + width + fall; infinite for a single pulse."""

    def __post_init__(self) -> None:
        for f in fields(self):
            positive = f.name in ("rise", "fall", "width", "period")
            object.__setattr__(self, f.name, _number(getattr(self, f.name), f"pulse {f.name}", positive=positive,
                                                     non_negative=f.name == "delay"))
        if self.period < self.rise + self.width + self.fall:
            raise InputError(f"pulse period {self.period!r} s is shorter than rise + width + fall "
                             f"({self.rise + self.width + self.fall!r} s); lengthen it")

    def _phase(self, t: np.ndarray) -> np.ndarray:
        local = np.asarray(t, dtype=np.float64) - self.delay
        if math.isfinite(self.period):
            local = np.where(local >= 0, np.mod(local, self.period), local)
        return local

    def voltage(self, t: np.ndarray) -> np.ndarray:
        local = self._phase(t)
        up = np.clip(local / self.rise, 0.0, 1.0)
        down = np.clip((local - self.rise - self.width) / self.fall, 0.0, 1.0)
        shape = np.where(local < 0, 0.0, up - down)
        return self.v1 + (self.v2 - self.v1) * shape

    def corners(self, t_stop: float) -> np.ndarray:
        one = np.array([0.0, self.rise, self.rise + self.width, self.rise + self.width + self.fall])
        count = 1 if not math.isfinite(self.period) else int(np.ceil((t_stop - self.delay) / self.period)) + 1
        times = self.delay + (np.arange(max(count, 1))[:, None] * (self.period if count > 1 else 0.0) + one).ravel()
        return times[(times > 0) & (times < t_stop)]

    def spice(self, t_stop: float) -> str:
        period = self.period if math.isfinite(self.period) else self.delay + self.rise + self.width + self.fall + t_stop
        values = (self.v1, self.v2, self.delay, self.rise, self.fall, self.width, period)
        return f"DC {self.v1!r} PULSE(" + " ".join(repr(float(v)) for v in values) + ")"

    @property
    def peak(self) -> float:
        return max(abs(self.v1), abs(self.v2))


@dataclass(frozen=True)
class Pwl:
    """A piecewise-linear voltage through (time, voltage) points."""

    times: tuple[float, ...] = (0.0,)
    """Increasing times (s), >= 0."""
    values: tuple[float, ...] = (0.0,)
    """Voltages (V) at those times."""

    def __post_init__(self) -> None:
        t = np.asarray(self.times, dtype=np.float64).ravel()
        v = np.asarray(self.values, dtype=np.float64).ravel()
        if t.size == 0 or t.shape != v.shape:
            raise InputError(f"pwl times and values must be non-empty and of one length, got {t.size} and {v.size}")
        if not (np.isfinite(t).all() and np.isfinite(v).all()) or t[0] < 0 or np.any(np.diff(t) <= 0):
            raise InputError("pwl times must be finite, >= 0 and strictly increasing, and values finite")
        object.__setattr__(self, "times", tuple(t.tolist()))
        object.__setattr__(self, "values", tuple(v.tolist()))

    def voltage(self, t: np.ndarray) -> np.ndarray:
        return np.interp(t, self.times, self.values)

    def corners(self, t_stop: float) -> np.ndarray:
        t = np.asarray(self.times)
        return t[(t > 0) & (t < t_stop)]

    def spice(self, t_stop: float) -> str:
        points = " ".join(f"{t!r} {v!r}" for t, v in zip(self.times, self.values, strict=True))
        return f"DC {self.values[0]!r} PWL({points})"

    @property
    def peak(self) -> float:
        return float(np.abs(self.values).max())


@dataclass(frozen=True)
class Sine:
    """A sine wave after a delay, as ngspice's ``SIN`` source (no damping, no phase)."""

    offset: float = 0.0
    """Offset (V)."""
    amplitude: float = 1.0
    """Amplitude (V)."""
    frequency: float = 1e6
    """Frequency (Hz), > 0."""
    delay: float = 0.0
    """Time before the sine starts (s), >= 0."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _number(getattr(self, f.name), f"sine {f.name}",
                                                     positive=f.name == "frequency", non_negative=f.name == "delay"))

    def voltage(self, t: np.ndarray) -> np.ndarray:
        local = np.asarray(t, dtype=np.float64) - self.delay
        return self.offset + np.where(local < 0, 0.0, self.amplitude * np.sin(2 * np.pi * self.frequency * local))

    def corners(self, t_stop: float) -> np.ndarray:
        return np.array([self.delay]) if 0 < self.delay < t_stop else np.zeros(0)

    def spice(self, t_stop: float) -> str:
        return f"DC {self.offset!r} SIN({self.offset!r} {self.amplitude!r} {self.frequency!r} {self.delay!r})"

    @property
    def peak(self) -> float:
        return abs(self.offset) + abs(self.amplitude)


Waveform = Dc | Pulse | Pwl | Sine
"""A terminal's voltage waveform."""

KINDS: Mapping[str, type] = {"dc": Dc, "pulse": Pulse, "pwl": Pwl, "sine": Sine}
"""Waveform types by their name in a stimulus file."""


@dataclass(frozen=True)
class Stimulus:
    """The waveform on every word-line (M) and bit-line (N) terminal; ``None`` leaves a terminal open."""

    wl: tuple[Waveform | None, ...]
    """(M,) word-line terminal waveforms."""
    bl: tuple[Waveform | None, ...]
    """(N,) bit-line terminal waveforms (0 V DC is a sense amplifier's virtual ground)."""
    unique: tuple[Waveform, ...] = field(init=False, repr=False)
    _wl_rows: np.ndarray = field(init=False, repr=False, compare=False)
    _bl_rows: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, items in (("wl", self.wl), ("bl", self.bl)):
            for item in items:
                if item is not None and not isinstance(item, tuple(KINDS.values())):
                    raise InputError(f"stimulus {name} entries must be waveforms (Dc, Pulse, Pwl, Sine) or None, "
                                     f"got {type(item).__name__}")
        object.__setattr__(self, "unique", tuple(dict.fromkeys(w for w in self.wl + self.bl if w is not None)))
        # Row of each terminal's waveform in the table of unique ones (−1: the zero row of an open terminal).
        position = {w: k for k, w in enumerate(self.unique)}
        for name, items in (("_wl_rows", self.wl), ("_bl_rows", self.bl)):
            object.__setattr__(self, name, np.array([-1 if w is None else position[w] for w in items], dtype=np.int64))
        if self.peak > MAX_VOLTS:
            raise InputError(f"the stimulus reaches {self.peak:.3g} V, above {MAX_VOLTS:.0e} V; voltages are in volts: "
                             "check the units")

    @property
    def shape(self) -> tuple[int, int]:
        """(M, N) the crossbar shape this stimulus fits."""
        return len(self.wl), len(self.bl)

    @property
    def floating_wl(self) -> np.ndarray:
        """(M,) whether each word-line terminal is open."""
        return np.array([w is None for w in self.wl], dtype=bool)

    @property
    def floating_bl(self) -> np.ndarray:
        """(N,) whether each bit-line terminal is open."""
        return np.array([w is None for w in self.bl], dtype=bool)

    def voltages(self, t: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(M, T) word-line and (N, T) bit-line terminal voltages (V) at times t (T,) (s); 0 where open."""
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        table = np.stack([*(w.voltage(t) for w in self.unique), np.zeros(t.size)])
        return table[self._wl_rows], table[self._bl_rows]

    def corners(self, t_stop: float) -> np.ndarray:
        """Sorted times (s) in (0, t_stop) where some waveform has a corner."""
        parts = [w.corners(t_stop) for w in self.unique]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0)

    @property
    def peak(self) -> float:
        """Largest |voltage| of any terminal (V)."""
        return max((w.peak for w in self.unique), default=0.0)


def _per_line(value: Waveform | None | Sequence[Waveform | None], size: int, name: str) -> tuple:
    if value is None or isinstance(value, tuple(KINDS.values())):
        return (value,) * size
    items = tuple(value)
    if len(items) != size:
        raise InputError(f"{name} must be one waveform or {size} of them (one per line), got {len(items)}")
    return items


def make_stimulus(shape: tuple[int, int], wl: Any = None, bl: Any = None) -> Stimulus:
    """A :class:`Stimulus` from one waveform per line type or one per line.

    Args:
        shape: (M, N) of the crossbar.
        wl: A waveform for every word line, or M waveforms (None: floating); default 0 V.
        bl: A waveform for every bit line, or N of them; default 0 V (virtual ground).

    Raises:
        InputError: If a sequence has the wrong length or holds something else than waveforms.
    """
    m, n = shape
    return Stimulus(_per_line(Dc(0.0) if wl is None else wl, m, "wl"),
                    _per_line(Dc(0.0) if bl is None else bl, n, "bl"))


def _edges(width: float, rise: float | None) -> tuple[float, float]:
    """(delay, rise) of the shortcut pulses: edges of a tenth of the width unless given, delay one edge."""
    edge = 0.1 * width if rise is None else rise
    return edge, edge


def read_pulse(shape: tuple[int, int], v: float | np.ndarray, width: float, rise: float | None = None) -> Stimulus:
    """Every word line pulsed from 0 V to ``v`` (one value or (M,)) for ``width`` seconds, bit lines at 0 V.

    Rise and fall take ``rise`` (default a tenth of the width), after a delay of one rise time.
    """
    width = _number(width, "read pulse width", positive=True)
    delay, edge = _edges(width, rise)
    amplitudes = np.broadcast_to(np.asarray(v, dtype=np.float64), (shape[0],))
    cache: dict[float, Pulse] = {}
    wl = tuple(cache.setdefault(float(a), Pulse(0.0, float(a), delay, edge, edge, width)) for a in amplitudes)
    return make_stimulus(shape, wl)


def write_pulse(shape: tuple[int, int], v: float, width: float, scheme: str, select: tuple[int, int],
                rise: float | None = None) -> Stimulus:
    """A programming pulse on one cell with the V/2 or V/3 scheme (see :mod:`memxbar.circuit.bias`).

    The selected word line goes to ``v``, the selected bit line stays at 0 V; in ``v2`` every other line
    goes to v/2; in ``v3`` other word lines to v/3 and other bit lines to 2v/3. All pulses share one
    timing: a delay and rise/fall of ``rise`` (default a tenth of the width).

    Raises:
        InputError: If the scheme is unknown or the selected cell is outside the array.
    """
    m, n = shape
    i, j = select
    if not (0 <= i < m and 0 <= j < n):
        raise InputError(f"select ({i}, {j}) is outside the {m}x{n} array; give 0 <= I < {m}, 0 <= J < {n}")
    if scheme not in ("v2", "v3"):
        raise InputError(f"scheme must be 'v2' or 'v3' for a write pulse, got {scheme!r}")
    width = _number(width, "write pulse width", positive=True)
    v = _number(v, "write pulse voltage")
    delay, edge = _edges(width, rise)
    wl_other, bl_other = (v / 2, v / 2) if scheme == "v2" else (v / 3, 2 * v / 3)

    def pulse(level: float) -> Waveform:
        return Dc(0.0) if level == 0 else Pulse(0.0, level, delay, edge, edge, width)

    selected, wl_half, bl_half = pulse(v), pulse(wl_other), pulse(bl_other)
    wl = tuple(selected if r == i else wl_half for r in range(m))
    bl = tuple(Dc(0.0) if c == j else bl_half for c in range(n))
    return Stimulus(wl, bl)


def _waveform(entry: Mapping[str, Any], where: str) -> Waveform | None:
    kind = entry.get("type")
    if kind == "float":
        return None
    if kind not in KINDS:
        raise InputError(f"{where}: type must be one of {', '.join([*KINDS, 'float'])}, got {kind!r}")
    cls = KINDS[kind]
    known = {f.name for f in fields(cls) if f.init}
    params = {k: v for k, v in entry.items() if k not in ("type", "lines", "index")}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(f"{where}: {unknown[0]!r} is not a parameter of a {kind} waveform; it takes "
                         f"{', '.join(sorted(known))}")
    if kind == "pwl":
        params = {k: tuple(v) for k, v in params.items()}
    return cls(**params)


def load_stimulus(path: str | Path, shape: tuple[int, int]) -> Stimulus:
    """Read a stimulus from a TOML file of ``[[source]]`` tables, later tables overriding earlier ones.

    Each table has ``lines = "wl"`` or ``"bl"``, optionally ``index`` (a line number or a list; default
    every line of that type), ``type`` (``dc``, ``pulse``, ``pwl``, ``sine`` or ``float``) and the
    waveform's parameters in SI units, e.g.::

        [[source]]
        lines = "wl"
        type = "pulse"
        v2 = 0.3
        width = 2e-9

    Lines no table names are held at 0 V.

    Raises:
        InputError: If the file cannot be read or parsed, or an entry is invalid (the message says which).
    """
    import tomllib

    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"--stimulus {path}: cannot read it as TOML: {exc}") from None
    sources = data.get("source")
    if not isinstance(sources, list) or not sources:
        raise InputError(f"--stimulus {path}: no [[source]] tables; see `memxbar transient --help`")
    m, n = shape
    lines: dict[str, list[Waveform | None]] = {"wl": [Dc(0.0)] * m, "bl": [Dc(0.0)] * n}
    for k, entry in enumerate(sources):
        where = f"--stimulus {path}, source {k + 1}"
        kind = entry.get("lines")
        if kind not in lines:
            raise InputError(f"{where}: lines must be 'wl' or 'bl', got {kind!r}")
        size = len(lines[kind])
        index = entry.get("index", list(range(size)))
        index = [index] if isinstance(index, int) else list(index)
        if not all(isinstance(i, int) and 0 <= i < size for i in index):
            raise InputError(f"{where}: index must be line numbers from 0 to {size - 1}, got {entry.get('index')!r}")
        try:
            waveform = _waveform(entry, where)
        except InputError as exc:
            message = str(exc)
            raise InputError(message if message.startswith(where) else f"{where}: {message}") from None
        for i in index:
            lines[kind][i] = waveform
    return Stimulus(tuple(lines["wl"]), tuple(lines["bl"]))
