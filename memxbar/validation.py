"""Checks on user-supplied arrays, raising one-line ``ValueError`` messages that name the parameter."""

from __future__ import annotations

import numpy as np

from memxbar.errors import InputError

_KINDS = {"O": "object", "S": "bytes", "U": "text", "V": "structured"}
"""How error messages name the NumPy dtype kinds that are not numbers."""


def as_finite_array(value: object, name: str) -> np.ndarray:
    """Convert ``value`` to a float64 array, rejecting what would silently change its numbers.

    Args:
        value: A scalar or array-like of real numbers.
        name: Parameter name used in the error message.

    Returns:
        A new float64 array.

    Raises:
        InputError: (a ``ValueError``) If ``value`` is not numeric, holds NaN or infinite entries,
            complex numbers (the imaginary part would be dropped), booleans (True would become 1)
            or masked entries of a NumPy masked array (the mask would be ignored).
    """
    if isinstance(value, np.ma.MaskedArray):
        masked = int(np.count_nonzero(np.ma.getmaskarray(value)))
        if masked:
            raise InputError(
                f"{name} has {masked} masked entr{'y' if masked == 1 else 'ies'}; fill them "
                "(e.g. array.filled(0.0)) or give a plain array"
            )
        value = np.ma.getdata(value)
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numeric, got {type(value).__name__}") from None
    if value is None or raw.dtype.kind in "OSUV" and not _numbers_inside(raw):
        what = (f"{type(value).__name__} {value!r:.40}" if raw.ndim == 0
                else f"{type(value).__name__} of {_KINDS[raw.dtype.kind]} entries, shape {raw.shape}")
        raise InputError(f"{name} must be numbers (an array or a number), got {what}")
    if raw.dtype.kind == "b":
        raise InputError(f"{name} holds booleans (True would count as 1); give numbers, e.g. array.astype(float)")
    if raw.dtype.kind == "c":
        raise InputError(f"{name} holds complex numbers; give real numbers (e.g. the .real part, if that is meant)")
    try:
        array = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numeric, got {type(value).__name__}") from None
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise InputError(f"{name} contains {bad} NaN or infinite value(s); give finite numbers")
    return array


def _numbers_inside(raw: np.ndarray) -> bool:
    """Whether an object array holds only real numbers (a list of Python numbers and arrays may)."""
    return raw.dtype.kind == "O" and all(
        isinstance(item, (int, float, np.number)) and not isinstance(item, bool) for item in raw.ravel()
    )


def non_negative(value: object, name: str, unit: str) -> np.ndarray:
    """Like :func:`as_finite_array`, and also reject negative entries.

    Args:
        value: A scalar or array-like.
        name: Parameter name used in the error message.
        unit: SI unit of the quantity, quoted in the error message.

    Returns:
        A new float64 array with all entries >= 0.
    """
    array = as_finite_array(value, name)
    if np.any(array < 0):
        raise InputError(f"{name} must be >= 0 {unit}, got minimum {array.min():g} {unit}")
    return array


def broadcast_to_shape(array: np.ndarray, shape: tuple[int, ...], name: str, allowed: str) -> np.ndarray:
    """Broadcast a scalar or an array of exactly ``shape`` to ``shape``.

    Only a scalar or the full shape is accepted, never a partial broadcast, so that a
    transposed array is an error rather than a silently wrong circuit.

    Args:
        array: The array to broadcast.
        shape: Target shape.
        name: Parameter name used in the error message.
        allowed: Human-readable list of the accepted shapes, for the error message.

    Returns:
        A read-only array of ``shape``.
    """
    if array.ndim == 0:
        out = np.full(shape, float(array))
    elif array.shape == shape:
        out = array.copy()
    else:
        raise InputError(f"{name} has shape {array.shape}; expected {allowed}")
    out.setflags(write=False)
    return out
