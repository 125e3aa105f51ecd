"""What memxbar reads from a Verilog-A file's text: parameter ranges, and constructs it refuses.

OSDI descriptors carry parameter names, units and descriptions but not the declared ranges, which
:func:`parameter_ranges` takes from the ``parameter ... from [a:b)`` declarations. :func:`check`
refuses, before anything is simulated, what a compiled model cannot run faithfully in memxbar,
naming the construct, the line and a fix:

- ``$random``, ``$arandom``, ``$rdist_*``: a different number at each evaluation (Newton
  iterations, time steps) in OSDI, not one draw per device;
- ``@(cross(...))``, ``@(timer(...))``, ``@(above(...))``: events, unsupported by OSDI simulators;
- a module named like an ngspice built-in model type (e.g. ``memristor``), which ngspice resolves
  to its own model;
- a variable read in the analog block before it is assigned: state kept in a variable across time
  steps, which OSDI does not persist (the state must be a node voltage driven through ``ddt()``).

The scan is textual (comments removed, line numbers kept): the first read of a variable before
its first assignment in the text of the analog block.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from memxbar.errors import InputError

NGSPICE_BUILTINS = frozenset(
    "r c l k sw csw urc ltra txl cpl d npn pnp njf pjf nmos pmos nmf pmf hfet1 hfet2 vdmos memristor "
    "res cap ind".split()
)
"""ngspice's own ``.model`` type names (lower case), which a Verilog-A module must not take."""

_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_NUMBER = r"[-+]?(?:inf|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_PARAMETER = re.compile(
    rf"parameter\s+(?:real|integer)\s+(?P<name>\w+)\s*=\s*[^;]*?\s+from\s*(?P<low>[\[(])\s*(?P<min>{_NUMBER})\s*:"
    rf"\s*(?P<max>{_NUMBER})\s*(?P<high>[\])])"
)
_REFUSED = (
    (re.compile(r"\$(?:a?random|rdist_\w+)\b"), "random numbers change at every evaluation under OSDI",
     "draw per-device values in Python and pass them as (M, N) instance parameters"),
    (re.compile(r"@\s*\(\s*(?:cross|timer|above)\b"), "events are not supported by OSDI simulators",
     "express the switching as a smooth function of a state node driven through ddt()"),
)


@dataclass(frozen=True)
class Range:
    """A parameter's declared range ``from [min:max]`` (brackets) or ``(min:max)`` (open)."""

    minimum: float = -math.inf
    maximum: float = math.inf
    minimum_open: bool = False
    maximum_open: bool = False


def strip_comments(text: str) -> str:
    """The text with comments blanked out, line breaks kept (so line numbers stay right)."""
    return _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def parameter_ranges(text: str) -> dict[str, Range]:
    """Declared ranges of the parameters that have a ``from`` clause, by name."""
    ranges = {}
    for m in _PARAMETER.finditer(strip_comments(text)):
        ranges[m["name"]] = Range(float(m["min"]), float(m["max"]), m["low"] == "(", m["high"] == ")")
    return ranges


def _analog_block(text: str) -> tuple[int, str]:
    """Start offset and text of the (first) analog block, up to ``endmodule``."""
    match = re.search(r"\banalog\s+begin\b", text)
    if match is None:
        return 0, ""
    end = text.find("endmodule", match.end())
    return match.end(), text[match.end() : end if end >= 0 else len(text)]


def _read_before_assignment(text: str) -> tuple[str, int] | None:
    """The first variable read before it is assigned in the analog block, and the offset of the read."""
    text = re.sub(r'"[^"\n]*"', lambda m: " " * len(m.group(0)), text)
    text = re.sub(r"analog\s+function.*?endfunction", lambda m: " " * len(m.group(0)), text, flags=re.DOTALL)
    text = re.sub(r"\bparameter\s+(?:real|integer)\b[^;]*;", lambda m: " " * len(m.group(0)), text)
    declared = set()
    for m in re.finditer(r"\b(?:real|integer)\s+([^;]+);", text):
        declared.update(re.findall(r"\b([A-Za-z_]\w*)\b(?:\s*=[^,;]*)?", m.group(1)))
    start, block = _analog_block(text)
    for name in sorted(declared):
        words = [m for m in re.finditer(rf"(?<![\w$.]){re.escape(name)}\b", block)]
        for m in words:
            rest = block[m.end() :].lstrip()
            assigned = rest.startswith("=") and not rest.startswith("==")
            if assigned:
                statement_end = block.find(";", m.end())
                if re.search(rf"(?<![\w$.]){re.escape(name)}\b", block[m.end() + 1 : statement_end]):
                    return name, start + m.start()
                break
            return name, start + m.start()
    return None


def check(path: Path, text: str | None = None) -> None:
    """Refuse a Verilog-A file that uses what memxbar cannot simulate faithfully through OSDI.

    Raises:
        InputError: ``file:line: construct: why; fix: how``, for the first refused construct.
    """
    from memxbar.io import read_text

    raw = read_text(path, "Verilog-A file") if text is None else text
    body = strip_comments(raw)
    for pattern, why, fix in _REFUSED:
        m = pattern.search(body)
        if m:
            raise InputError(f"{path}:{_line(body, m.start())}: {m.group(0).strip()}: {why}; fix: {fix}")
    for m in re.finditer(r"\bmodule\s+(\w+)", body):
        if m.group(1).lower() in NGSPICE_BUILTINS:
            raise InputError(
                f"{path}:{_line(body, m.start())}: module {m.group(1)}: ngspice has a built-in model of that name "
                f"and would not use this one; fix: rename the module (e.g. {m.group(1)}_va)"
            )
    found = _read_before_assignment(body)
    if found:
        name, position = found
        raise InputError(
            f"{path}:{_line(body, position)}: variable {name} is read before it is assigned in the analog block, "
            "i.e. it carries state from one time step to the next, which OSDI does not keep; fix: hold the state "
            "on an internal node, e.g. `electrical x; ... I(x) <+ ddt(V(x)) - rate;`"
        )
