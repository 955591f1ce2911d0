"""Multiple-testing corrections with R's ``p.adjust`` semantics."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crucible_bench._validate import check_choice
from crucible_core.errors import ValidationError

__all__ = ["P_ADJUST_METHODS", "p_adjust"]

PAdjustMethod = Literal["bonferroni", "holm", "hochberg", "hommel", "BH", "fdr", "BY", "sidak", "none"]
P_ADJUST_METHODS: tuple[str, ...] = (
    "bonferroni",
    "holm",
    "hochberg",
    "hommel",
    "BH",
    "fdr",
    "BY",
    "sidak",
    "none",
)


def _hommel(p: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    lp = p.size
    if n > lp:
        p = np.concatenate([p, np.ones(n - lp)])
    o = np.argsort(p, kind="stable")
    ps = p[o]
    ro = np.empty(n, dtype=np.intp)
    ro[o] = np.arange(n)
    idx = np.arange(1, n + 1, dtype=np.float64)
    q = np.full(n, float(np.min(n * ps / idx)))
    pa = q.copy()
    for m in range(n - 1, 1, -1):
        i1 = slice(0, n - m + 1)
        i2 = slice(n - m + 1, n)
        q1 = float(np.min(m * ps[i2] / np.arange(2, m + 1)))
        q[i1] = np.minimum(m * ps[i1], q1)
        q[i2] = q[n - m]
        pa = np.maximum(pa, q)
    return np.maximum(pa, ps)[ro][:lp]


def p_adjust(
    p_values: ArrayLike, method: PAdjustMethod = "holm", *, n: int | None = None
) -> NDArray[np.float64]:
    """Adjust p-values for multiple comparisons, exactly as R's ``p.adjust(p, method, n)``.

    With the ``m`` non-missing p-values sorted ascending, ``p_(1) <= … <= p_(m)``, and ``n`` comparisons
    (default ``m``; NaN entries are passed through and not counted, as in R)::

        bonferroni  min(1, n·p)
        holm        min(1, max_{j<=i} (n − j + 1)·p_(j))                   (Holm 1979)
        hochberg    min(1, min_{j>=i} (n − j + 1)·p_(j))                   (Hochberg 1988)
        hommel      R's algorithm                                           (Hommel 1988)
        BH / fdr    min(1, min_{j>=i} n/j·p_(j))                           (Benjamini & Hochberg 1995)
        BY          min(1, min_{j>=i} n·H_n/j·p_(j)), H_n = Σ 1/k           (Benjamini & Yekutieli 2001)
        sidak       1 − (1 − p)^n                                           (Šidák 1967; not in R)

    Returns an array of the same shape. ``n`` larger than ``m`` treats the unobserved p-values as 1
    (R's convention). Ties keep R's results (the adjusted value depends only on the p-value).

        >>> p_adjust([0.01, 0.02, 0.03, 0.04, 0.05], "holm").round(3).tolist()
        [0.05, 0.08, 0.09, 0.09, 0.09]
    """
    check_choice(method, "method", P_ADJUST_METHODS)
    p = np.asarray(p_values, dtype=np.float64)
    shape = p.shape
    p = p.ravel()
    nan = np.isnan(p)
    has_nan = bool(nan.any())
    pv = p[~nan] if has_nan else p
    bad = (pv < 0) | (pv > 1)
    if bad.any():
        i = int(np.flatnonzero(~nan)[np.flatnonzero(bad)[0]]) if has_nan else int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"p_values[{i}] is {float(p[i])!r}; p-values must lie in [0, 1] (NaN is passed through).",
            argument="p_values",
            index=i,
            value=float(p[i]),
        )
    lp = pv.size
    total = lp if n is None else int(n)
    if total < lp:
        raise ValidationError(
            f"n must be at least the number of non-missing p-values ({lp}); got {n}.", argument="n", value=n
        )
    if total <= 1 or method == "none" or lp == 0:
        adj = pv.copy()
    elif method == "bonferroni":
        adj = np.minimum(1.0, total * pv)
    elif method == "sidak":
        with np.errstate(divide="ignore"):  # p = 1 gives log1p(-1) = -inf, hence exactly 1: intended
            adj = -np.expm1(total * np.log1p(-pv))
    elif method == "hommel" and total > 2:
        adj = _hommel(pv, total)
    else:
        adj = _step(pv, "hochberg" if method == "hommel" else method, total)
    if has_nan:
        out = np.full(p.size, np.nan)
        out[~nan] = adj
        return out.reshape(shape)
    return adj.reshape(shape)


def _step(pv: NDArray[np.float64], method: str, n: int) -> NDArray[np.float64]:
    lp = pv.size
    if method == "holm":
        o = np.argsort(pv)
        adj_sorted = np.maximum.accumulate((n - np.arange(lp, dtype=np.float64)) * pv[o])
        np.minimum(adj_sorted, 1.0, out=adj_sorted)
    else:
        o = np.argsort(pv)[::-1]  # decreasing
        i = np.arange(lp, 0, -1, dtype=np.float64)
        if method == "hochberg":
            mult = n - i + 1
        elif method in ("BH", "fdr"):
            mult = n / i
        else:  # BY
            harmonic = float(np.sum(1.0 / np.arange(1, n + 1)))
            mult = harmonic * n / i
        adj_sorted = np.minimum.accumulate(mult * pv[o])
        np.minimum(adj_sorted, 1.0, out=adj_sorted)
    out = np.empty(lp)
    out[o] = adj_sorted
    return out
