"""Sample quantiles: the nine definitions of Hyndman & Fan (1996), exactly as R's ``quantile()``."""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import numpy.typing as npt

from crucible_core.errors import ValidationError
from crucible_core.stats._validate import as_float_array, first_nonfinite

__all__ = ["quantile", "quantile_sorted"]

_FUZZ = 4.0 * np.finfo(np.float64).eps
# (a, b) of the continuous types: p_k = (k - a) / (n + 1 - a - b)  (Hyndman & Fan 1996, section 2)
_CONTINUOUS = {
    4: (0.0, 1.0),
    5: (0.5, 0.5),
    6: (0.0, 0.0),
    7: (1.0, 1.0),
    8: (1.0 / 3.0, 1.0 / 3.0),
    9: (3.0 / 8.0, 3.0 / 8.0),
}


def _check_type(type: Any) -> int:
    if isinstance(type, bool) or not isinstance(type, int | np.integer) or not 1 <= type <= 9:
        raise ValidationError(
            f"type must be an integer from 1 to 9 (Hyndman & Fan's definitions, as in R); got {type!r}. "
            f"Use type=7 (R's and numpy's default) unless you need another.",
            argument="type",
            value=repr(type),
        )
    return int(type)


def _check_probs(q: Any) -> npt.NDArray[np.float64]:
    try:
        probs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"q must be a number or a sequence of numbers in [0, 1]; got {q!r}.", argument="q"
        ) from exc
    if probs.ndim != 1:
        raise ValidationError(
            f"q must be a number or a flat sequence; got shape {probs.shape}.", argument="q"
        )
    bad = first_nonfinite(probs)
    if bad is None:
        outside = np.flatnonzero((probs < 0.0) | (probs > 1.0))
        bad = int(outside[0]) if outside.size else None
    if bad is not None:
        raise ValidationError(
            f"q[{bad}] is {float(probs[bad])!r}; probabilities must be in [0, 1] (0.5 is the median).",
            argument="q",
            index=bad,
            value=float(probs[bad]),
        )
    return probs


def quantile_sorted(
    x: npt.NDArray[np.float64], probs: npt.NDArray[np.float64], type: int = 7
) -> npt.NDArray[np.float64]:
    """Quantiles of already sorted, finite, non-empty ``x`` (no validation; see :func:`quantile`)."""
    n = x.size
    if type == 7:
        # R special-cases type 7 for back-compatibility: index = 1 + (n - 1) p, interpolate lo..hi.
        index = (n - 1) * probs  # 0-based
        lo = np.floor(index).astype(np.intp)
        hi = np.ceil(index).astype(np.intp)
        out = x[lo].copy()
        h = index - lo
        interp = (index > lo) & (x[hi] != out)
        out[interp] = ((1.0 - h) * out + h * x[hi])[interp]
        return out
    if type <= 3:
        nppm = n * probs - 0.5 if type == 3 else n * probs
        j = np.floor(nppm)
        if type == 1:
            h = (nppm > j).astype(np.float64)
        elif type == 2:
            h = ((nppm > j).astype(np.float64) + 1.0) / 2.0
        else:
            h = ((nppm != j) | (np.mod(j, 2.0) == 1.0)).astype(np.float64)
    else:
        a, b = _CONTINUOUS[type]
        nppm = a + probs * (n + 1 - a - b)
        j = np.floor(nppm + _FUZZ)
        h = nppm - j
        h[np.abs(h) < _FUZZ] = 0.0
    # R pads the order statistics: c(x[1], x[1], x, x[n], x[n]); x[j + 2] is the j-th order statistic.
    padded = np.concatenate([x[:1], x[:1], x, x[-1:], x[-1:]])
    jj = j.astype(np.intp)
    lower = padded[jj + 1]
    upper = padded[jj + 2]
    out = lower.copy()
    out[h == 1.0] = upper[h == 1.0]
    other = (h > 0.0) & (h < 1.0) & (lower != upper)
    out[other] = ((1.0 - h) * lower + h * upper)[other]
    return out


@overload
def quantile(data: npt.ArrayLike, q: float, *, type: int = 7) -> float: ...
@overload
def quantile(
    data: npt.ArrayLike, q: list[float] | tuple[float, ...] | npt.NDArray[Any], *, type: int = 7
) -> npt.NDArray[np.float64]: ...
def quantile(data: npt.ArrayLike, q: Any, *, type: int = 7) -> float | npt.NDArray[np.float64]:
    """Sample quantile(s) of ``data`` by one of Hyndman & Fan's nine definitions, as R's ``quantile``.

    Every type is a weighted average of consecutive order statistics,
    ``Q(p) = (1 - h) x[j] + h x[j+1]``, with ``j`` and ``h`` fixed by ``n p + m``:

    ====  ========================================================  ==============================
    type  definition (Hyndman & Fan 1996)                           also known as
    ====  ========================================================  ==============================
    1     inverse of the empirical CDF                               SAS 3, numpy ``inverted_cdf``
    2     as 1, averaging at discontinuities                         SAS 5
    3     nearest even order statistic                               SAS 2
    4     linear interpolation of the empirical CDF, p_k = k/n       California / SAS 1
    5     piecewise linear, p_k = (k - 1/2)/n                        Hazen
    6     p_k = k/(n + 1)                                            Weibull, SPSS, Minitab
    7     p_k = (k - 1)/(n - 1)                                      R / numpy / Excel default
    8     p_k = (k - 1/3)/(n + 1/3), median-unbiased                 recommended by H & F
    9     p_k = (k - 3/8)/(n + 1/4), unbiased for normal data        Blom
    ====  ========================================================  ==============================

    The arithmetic (including R's ``4 * .Machine$double.eps`` fuzz for types 4–9 and its
    special-cased type 7) follows ``stats:::quantile.default`` of R 4.2 line for line; the values are
    verified against R in the tests (``tests/data/r_reference.R``). R >= 4.4 adds the fuzz to types
    1–3 too, which changes a result only when ``n * q`` falls within a few ulps of an integer.

    ``q`` may be a number (a float is returned) or a sequence (a float64 array is returned).

        >>> quantile([1, 2, 3, 4, 10], 0.5)
        3.0
        >>> quantile([1, 2, 3, 4, 10], [0.25, 0.75], type=6).tolist()
        [1.5, 7.0]

    Reference: R. J. Hyndman and Y. Fan (1996), "Sample quantiles in statistical packages",
    The American Statistician 50(4), 361–365.
    """
    kind = _check_type(type)
    probs = _check_probs(q)
    x = np.sort(as_float_array(data, argument="data"))
    out = quantile_sorted(x, probs, kind)
    if np.ndim(q) == 0:
        return float(out[0])
    return out
