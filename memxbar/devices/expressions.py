"""Vectorised ngspice expressions from templates, so each equation reads the same in NumPy and in SPICE."""

from __future__ import annotations

import re

import numpy as np

from memxbar.cards import join, numbers

_FIELD = re.compile(r"\{(\w+)\}")


def fill(template: str, **fields: np.ndarray | float | str) -> np.ndarray:
    """Element-wise ``str.format`` for arrays: each ``{name}`` is replaced by ``fields[name]``.

    String fields (e.g. ``V(w0_0,b0_0)``) are inserted as they are; numbers are written in
    their shortest exact decimal form. Arrays broadcast against each other, so one template
    serves every device of a crossbar at once.

    Args:
        template: The expression with ``{name}`` placeholders.
        fields: The values to insert, by placeholder name.

    Returns:
        An array of expressions, of the broadcast shape of the fields.
    """
    parts = _FIELD.split(template)
    pieces: list[np.ndarray | str] = []
    for k, part in enumerate(parts):
        if k % 2 == 0:
            pieces.append(part)
            continue
        value = fields[part]
        text = np.asarray(value)
        pieces.append(text.astype(str) if text.dtype.kind in "US" else numbers(text))
    return join(*pieces)
