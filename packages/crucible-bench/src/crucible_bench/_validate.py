"""Input checks shared by every test: arrays, NaN policy, tables, groups and option values.

Every failure raises :class:`crucible_core.errors.ValidationError` naming the argument, the offending value
or index, and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crucible_core.errors import ValidationError

__all__ = [
    "NanPolicy",
    "as_count_table",
    "as_count_vector",
    "as_groups",
    "as_pair",
    "as_sample",
    "check_alpha",
    "check_alternative",
    "check_choice",
    "check_confidence",
    "check_nan_policy",
    "check_number",
    "check_probability",
]

NanPolicy = Literal["raise", "omit"]
FloatArray = NDArray[np.float64]


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValidationError(
            f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}.",
            argument=name,
            value=repr(value),
        )


def check_alternative(alternative: Any) -> None:
    """``alternative`` must be ``"two-sided"``, ``"less"`` or ``"greater"`` (R's names with a hyphen)."""
    check_choice(alternative, "alternative", ("two-sided", "less", "greater"))


def check_nan_policy(nan_policy: Any) -> None:
    """``nan_policy`` must be ``"raise"`` (the default) or ``"omit"`` (drop non-finite values or pairs)."""
    if nan_policy not in ("raise", "omit"):
        raise ValidationError(
            f"nan_policy must be 'raise' or 'omit'; got {nan_policy!r}. Pass nan_policy='omit' to drop "
            "missing values, or leave the default 'raise'.",
            argument="nan_policy",
            value=repr(nan_policy),
        )


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> float:
    """A finite real number (a whole number when ``integer``) within the given bounds, as a float.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open``. NaN, inf, booleans and non-numbers
    raise a :class:`ValidationError` naming ``name`` and the accepted range.
    """
    lo_txt = "-inf" if low is None else f"{low:g}"
    hi_txt = "inf" if high is None else f"{high:g}"
    bounds = f"{'(' if low is None or low_open else '['}{lo_txt}, {hi_txt}{')' if high is None or high_open else ']'}"
    what = "a whole number" if integer else "a finite number"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValidationError(
            f"{name} must be {what} in {bounds}; got {value!r}.", argument=name, value=repr(value)
        )
    v = float(value)
    ok = math.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if ok and integer:
        ok = v == round(v)
    if not ok:
        raise ValidationError(f"{name} must be {what} in {bounds}; got {value!r}.", argument=name, value=v)
    return v


def check_probability(value: Any, name: str, *, open_interval: bool = True) -> float:
    """A float strictly inside (0, 1) (or [0, 1] when ``open_interval`` is False); NaN is rejected."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number in (0, 1); got {value!r}.", argument=name) from None
    ok = (0.0 < v < 1.0) if open_interval else (0.0 <= v <= 1.0)
    if not ok:
        bounds = "(0, 1)" if open_interval else "[0, 1]"
        raise ValidationError(f"{name} must lie in {bounds}; got {value!r}.", argument=name, value=v)
    return v


def check_confidence(confidence: Any) -> float:
    """``confidence`` in (0, 1), e.g. 0.95."""
    if not isinstance(confidence, int | float) or not 0.0 < float(confidence) < 1.0:
        raise ValidationError(
            f"confidence must lie in (0, 1); got {confidence!r}. Pass e.g. confidence=0.95.",
            argument="confidence",
            value=repr(confidence),
        )
    return float(confidence)


def check_alpha(alpha: Any) -> float:
    """``alpha`` in (0, 1), e.g. 0.05."""
    if not isinstance(alpha, int | float) or not 0.0 < float(alpha) < 1.0:
        raise ValidationError(
            f"alpha must lie in (0, 1); got {alpha!r}. Pass e.g. alpha=0.05.",
            argument="alpha",
            value=repr(alpha),
        )
    return float(alpha)


def _to_float_array(x: Any, name: str) -> FloatArray:
    if isinstance(x, Mapping):
        raise ValidationError(
            f"{name} must be a sequence of numbers, not a mapping. Pass list(values) or use compare(), "
            "which aligns mappings by key.",
            argument=name,
        )
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{name} must contain numbers only ({exc}). Convert it with float() or drop non-numeric values.",
            argument=name,
        ) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValidationError(
            f"{name} must be one-dimensional; got shape {arr.shape}. Flatten it or pass one column.",
            argument=name,
            shape=str(arr.shape),
        )
    return arr


def _first_bad(arr: FloatArray) -> int:
    return int(np.flatnonzero(~np.isfinite(arr))[0])


def _check_min(n: int, min_n: int, name: str, what: str) -> None:
    if n < min_n:
        raise ValidationError(
            f"{name} needs at least {min_n} {what} for this test; got {n}.",
            argument=name,
            minimum=min_n,
            n=n,
        )


def as_sample(x: ArrayLike, name: str, *, nan_policy: NanPolicy = "raise", min_n: int = 1) -> FloatArray:
    """A 1-D float64 array with finite values; NaN/inf raise (naming the index) or are dropped with ``omit``."""
    check_nan_policy(nan_policy)
    arr = _to_float_array(x, name)
    finite = np.isfinite(arr)
    if not finite.all():
        if nan_policy == "omit":
            arr = arr[finite]
        else:
            i = _first_bad(arr)
            raise ValidationError(
                f"{name}[{i}] is {float(arr[i])!r}; every value must be finite. Remove it or pass nan_policy='omit'.",
                argument=name,
                index=i,
                value=float(arr[i]),
            )
    _check_min(arr.size, min_n, name, "finite observations")
    return arr


def as_pair(
    x: ArrayLike,
    y: ArrayLike,
    names: tuple[str, str] = ("x", "y"),
    *,
    nan_policy: NanPolicy = "raise",
    min_n: int = 1,
) -> tuple[FloatArray, FloatArray]:
    """Two aligned samples of equal length; with ``omit`` a pair is dropped when either value is not finite."""
    check_nan_policy(nan_policy)
    a = _to_float_array(x, names[0])
    b = _to_float_array(y, names[1])
    if a.size != b.size:
        raise ValidationError(
            f"paired samples must have equal length; {names[0]} has {a.size} values and {names[1]} has {b.size}. "
            "Align them per item, or pass paired=False.",
            argument=names[1],
            n_x=a.size,
            n_y=b.size,
        )
    finite = np.isfinite(a) & np.isfinite(b)
    if not finite.all():
        if nan_policy == "omit":
            a, b = a[finite], b[finite]
        else:
            bad_a = ~np.isfinite(a)
            which, arr = (names[0], a) if bad_a.any() else (names[1], b)
            i = _first_bad(arr)
            raise ValidationError(
                f"{which}[{i}] is {float(arr[i])!r}; every value must be finite. Remove the pair or pass nan_policy='omit'.",
                argument=which,
                index=i,
                value=float(arr[i]),
            )
    _check_min(a.size, min_n, names[0], "complete pairs")
    return a, b


def as_groups(
    groups: Sequence[ArrayLike],
    *,
    nan_policy: NanPolicy = "raise",
    min_groups: int = 2,
    min_n: int = 1,
    name: str = "groups",
) -> list[FloatArray]:
    """A list of 1-D float arrays, one per group, checked like :func:`as_sample`."""
    check_nan_policy(nan_policy)
    if len(groups) == 1 and isinstance(groups[0], Sequence | np.ndarray) and not isinstance(groups[0], str):
        inner = groups[0]
        if len(inner) > 0 and all(np.ndim(g) == 1 for g in inner):  # a single list of groups was passed
            groups = list(inner)
    if len(groups) < min_groups:
        raise ValidationError(
            f"{name} needs at least {min_groups} groups; got {len(groups)}. Pass each group as an argument.",
            argument=name,
            minimum=min_groups,
            n_groups=len(groups),
        )
    return [as_sample(g, f"{name}[{i}]", nan_policy=nan_policy, min_n=min_n) for i, g in enumerate(groups)]


def as_count_table(
    table: ArrayLike, name: str = "table", *, integer: bool = False, min_shape: tuple[int, int] = (2, 2)
) -> FloatArray:
    """A 2-D table of non-negative finite counts (whole numbers when ``integer``), at least ``min_shape``."""
    try:
        arr = np.asarray(table, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a 2-D table of counts.", argument=name) from None
    if arr.ndim != 2 or arr.shape[0] < min_shape[0] or arr.shape[1] < min_shape[1]:
        raise ValidationError(
            f"{name} must be a 2-D table of at least {min_shape[0]}x{min_shape[1]}; got shape {arr.shape}.",
            argument=name,
            shape=str(arr.shape),
        )
    bad = ~np.isfinite(arr) | (arr < 0)
    if integer:
        bad |= np.isfinite(arr) & (arr != np.round(arr))
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        need = "non-negative whole-number counts" if integer else "non-negative finite counts"
        raise ValidationError(
            f"{name}[{i}][{j}] is {float(arr[i, j])!r}; a contingency table holds {need}.",
            argument=name,
            index=f"[{i}][{j}]",
            value=float(arr[i, j]),
        )
    return arr


def as_count_vector(counts: ArrayLike, name: str, *, min_size: int = 2) -> FloatArray:
    """A 1-D vector of non-negative finite counts (a 1 × k table is accepted), at least ``min_size`` long."""
    try:
        arr = np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a 1-D sequence of counts.", argument=name) from None
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1 or arr.size < min_size:
        raise ValidationError(
            f"{name} must be a 1-D sequence of at least {min_size} counts; got shape {arr.shape}.",
            argument=name,
            shape=str(arr.shape),
        )
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{name}[{i}] is {float(arr[i])!r}; counts must be non-negative and finite. Fix or remove that category.",
            argument=name,
            index=i,
            value=float(arr[i]),
        )
    return arr
