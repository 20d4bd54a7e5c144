"""Input checks shared by the finance modules: messages name the input, the value and the rule."""

from __future__ import annotations

import difflib

import numpy as np
import numpy.typing as npt

from hashpivot.errors import SpecError, UnknownNameError

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

MONTHS_PER_YEAR = 12
"""Months per year [months/yr]."""


class MissingInputError(SpecError):
    """A computation needs a number that nobody gave; it is never taken as zero.

    The message names the subject, the field, what it is needed for and where to add it,
    e.g. ``IREN: shares_outstanding is required to compute equity value per share; add it
    to the company file (as of a date, with its source)``.
    """

    def __init__(
        self, subject: str, field: str, purpose: str, where: str = "the company file"
    ) -> None:
        self.subject = subject
        self.field = field
        self.purpose = purpose
        msg = (
            f"{subject}: {field} is required to {purpose}; add it to {where} "
            "(as of a date, with its source)"
        )
        super().__init__([msg])
        self.message = msg

    def __str__(self) -> str:
        return self.message


def _bad(msg: str) -> SpecError:
    return SpecError([msg])


def _as_float(name: str, value: ArrayLike) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        msg = f"{name}: {_show(arr, ~np.isfinite(arr))} — must be finite (no NaN or inf)"
        raise _bad(msg)
    return arr


def _rate(name: str, value: ArrayLike) -> FloatArray:
    arr = _as_float(name, value)
    if np.any(arr <= -1.0):
        msg = f"{name}: {_show(arr, arr <= -1.0)} — must be greater than -1 (-100 %)"
        raise _bad(msg)
    return arr


def _nonneg(name: str, value: ArrayLike) -> FloatArray:
    arr = _as_float(name, value)
    if np.any(arr < 0):
        msg = f"{name}: {_show(arr, arr < 0)} — must be >= 0"
        raise _bad(msg)
    return arr


def _count(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        msg = f"{name}: {value!r} — must be a whole number >= {minimum}"
        raise _bad(msg)
    return int(value)


def _show(arr: FloatArray, bad: npt.NDArray[np.bool_]) -> str:
    """The first offending value, and where it is when the input is an array."""
    first = float(arr[bad].ravel()[0])
    if arr.ndim == 0:
        return f"{first:g}"
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{first:g} at index {index if len(index) > 1 else index[0]}"


def _choose(kind: str, name: str, valid: tuple[str, ...]) -> str:
    if name not in valid:
        close = difflib.get_close_matches(name, list(valid), n=2, cutoff=0.4)
        raise UnknownNameError(kind, name, list(valid), close)
    return name


def _periods(name: str, value: ArrayLike) -> FloatArray:
    n = _as_float(name, value)
    bad = (n < 1) | (n != np.round(n))
    if np.any(bad):
        msg = f"{name}: {_show(n, bad)} — must be a whole number >= 1"
        raise _bad(msg)
    return n
