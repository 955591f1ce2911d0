"""Rank tests for two samples: Wilcoxon rank-sum (Mann–Whitney), Wilcoxon signed-rank and the sign test."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crucible_bench._effect_sizes import rank_biserial_effect
from crucible_bench._exact import rank_sum_cdf, rank_sum_sf, signed_rank_cdf, signed_rank_sf
from crucible_bench._hodges_lehmann import hl_one_sample, hl_two_sample
from crucible_bench._ranks import rankdata, tie_sizes
from crucible_bench._results import Alternative, TestResult
from crucible_bench._validate import (
    NanPolicy,
    as_pair,
    as_sample,
    check_alternative,
    check_choice,
    check_confidence,
    check_number,
)

__all__ = ["mann_whitney", "normal_p_value", "sign_test", "wilcoxon"]


def normal_p_value(z: float, alternative: str) -> float:
    """p-value of a standard-normal statistic for ``alternative``."""
    if alternative == "less":
        return float(special.ndtr(z))
    if alternative == "greater":
        return float(special.ndtr(-z))
    return float(min(1.0, 2.0 * special.ndtr(-abs(z))))


def _exact_p(stat: float, centre: float, cdf: float, sf_minus: float, alternative: str) -> float:
    # cdf = P(S <= stat), sf_minus = P(S >= stat) = P(S > stat - 1)
    if alternative == "less":
        return cdf
    if alternative == "greater":
        return sf_minus
    return min(1.0, 2.0 * (sf_minus if stat > centre else cdf))


def _continuity(z: float, alternative: str, correction: bool) -> float:
    if not correction:
        return 0.0
    if alternative == "two-sided":
        return 0.5 * float(np.sign(z))
    return 0.5 if alternative == "greater" else -0.5


def mann_whitney(
    x: ArrayLike,
    y: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
    mu: float = 0.0,
    exact: bool | None = None,
    correction: bool = True,
    conf_int: bool = False,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> TestResult:
    """Wilcoxon rank-sum / Mann–Whitney U test, as R's ``wilcox.test(x, y)``.

    ``statistic`` is R's ``W = Σ rank(x − mu) − n_x(n_x + 1)/2`` (the U of ``x``). The exact null
    distribution is used when ``exact`` is True, or by default when both samples have fewer than 50
    values — unless there are ties, where (as in R) the normal approximation with the tie-corrected
    variance ``σ² = n_x n_y/12 · ((N + 1) − Σ(t³ − t)/(N(N − 1)))`` and a continuity correction of ½
    (``correction``) is used and a note says so.

    ``conf_int=True`` adds the Hodges–Lehmann shift estimate and its interval
    (:mod:`crucible_bench._hodges_lehmann`). The effect size is the rank-biserial correlation
    ``2W/(n_x n_y) − 1`` with its Fisher-z interval.

    Reference: R ``stats::wilcox.test``; Mann & Whitney (1947); Hollander, Wolfe & Chicken (2014) §4.1.
    """
    check_alternative(alternative)
    level = check_confidence(confidence)
    mu = check_number(mu, "mu")
    a = as_sample(x, "x", nan_policy=nan_policy, min_n=1)
    b = as_sample(y, "y", nan_policy=nan_policy, min_n=1)
    n1, n2 = a.size, b.size
    pooled = np.concatenate([a - mu, b])
    ranks = rankdata(pooled)
    w = float(ranks[:n1].sum()) - n1 * (n1 + 1) / 2.0
    ties = tie_sizes(pooled)
    has_ties = bool((ties > 1).any())
    want_exact = (n1 < 50 and n2 < 50) if exact is None else exact
    notes: list[str] = []
    centre = n1 * n2 / 2.0
    if want_exact and not has_ties:
        test = "mann_whitney[exact]"
        p = _exact_p(w, centre, rank_sum_cdf(w, n1, n2), rank_sum_sf(w - 1, n1, n2), alternative)
        use_exact = True
    else:
        if want_exact:
            notes.append("ties present: the exact p-value is unavailable, normal approximation used (as R)")
        n = n1 + n2
        sigma = math.sqrt((n1 * n2 / 12.0) * ((n + 1) - float((ties**3 - ties).sum()) / (n * (n - 1))))
        z = w - centre
        corr = _continuity(z, alternative, correction)
        if sigma == 0.0:
            p = 1.0
            notes.append("all values are tied: no evidence of a shift (p = 1)")
        else:
            p = normal_p_value((z - corr) / sigma, alternative)
        test = "mann_whitney[normal,continuity]" if correction else "mann_whitney[normal]"
        use_exact = False
    r = 2.0 * w / (n1 * n2) - 1.0
    effect = rank_biserial_effect(r, math.sqrt((n1 + n2 + 1) / (3.0 * n1 * n2)), level, alternative)
    est: float | None = None
    ci: tuple[float, float] | None = None
    if conf_int:
        est, ci = hl_two_sample(a, b, level, alternative, use_exact)
    return TestResult(
        test=test,
        method="Wilcoxon rank-sum (Mann–Whitney) test",
        statistic=w,
        statistic_name="W",
        p_value=p,
        ci=ci,
        confidence=level if ci is not None else None,
        estimate=est,
        estimate_name="location shift (Hodges–Lehmann)" if conf_int else None,
        alternative=alternative,
        effect_size=effect,
        n=n1 + n2,
        details={
            "n_x": float(n1),
            "n_y": float(n2),
            "median_x": float(np.median(a)),
            "median_y": float(np.median(b)),
        },
        notes=tuple(notes),
    )


def _signed_rank_stats(
    d: NDArray[np.float64], zero_method: str
) -> tuple[float, float, float, int, bool, bool, float, float]:
    """``(V, mean, variance, n_used, has_ties, has_zeros, rank_total, null_sd)`` of the signed-rank statistic.

    ``rank_total = T+ + T−`` is the sum of the ranks actually used (zeros contribute to neither sum) and
    ``null_sd`` the standard deviation of ``V`` under H0 without the tie correction.
    """
    zeros = d == 0.0
    has_zeros = bool(zeros.any())
    if zero_method == "pratt":
        ranks_all = rankdata(np.abs(d))
        n_all, n0 = d.size, int(zeros.sum())
        ranks = ranks_all[~zeros]
        nz = d[~zeros]
        v = float(ranks[nz > 0].sum())
        mean = (n_all * (n_all + 1) - n0 * (n0 + 1)) / 4.0
        var = (n_all * (n_all + 1) * (2 * n_all + 1) - n0 * (n0 + 1) * (2 * n0 + 1)) / 24.0
        untied = var
        t = tie_sizes(ranks)
        var -= float((t**3 - t).sum()) / 48.0
        total = float(ranks.sum())
        return v, mean, var, nz.size, bool((t > 1).any()), has_zeros, total, math.sqrt(max(untied, 0.0))
    nz = d[~zeros]
    n = nz.size
    ranks = rankdata(np.abs(nz))
    v = float(ranks[nz > 0].sum())
    t = tie_sizes(ranks)
    var = n * (n + 1) * (2 * n + 1) / 24.0 - float((t**3 - t).sum()) / 48.0
    sd = math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
    return v, n * (n + 1) / 4.0, var, n, bool((t > 1).any()), has_zeros, n * (n + 1) / 2.0, sd


def wilcoxon(
    x: ArrayLike,
    y: ArrayLike | None = None,
    *,
    mu: float = 0.0,
    alternative: Alternative = "two-sided",
    exact: bool | None = None,
    correction: bool = True,
    zero_method: Literal["wilcox", "pratt"] = "wilcox",
    conf_int: bool = False,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> TestResult:
    """Wilcoxon signed-rank test (one sample, or paired ``x − y``), as R's ``wilcox.test(..., paired=TRUE)``.

    ``statistic`` is R's ``V``, the sum of the ranks of ``|d|`` over the positive ``d = x − y − mu``.
    ``zero_method="wilcox"`` (R) drops zero differences before ranking; ``"pratt"`` ranks them and then
    drops their ranks (Pratt 1959; the normal approximation is adjusted as in scipy). The exact
    distribution is used when requested or by default for n < 50, unless there are ties or zeros (then
    the normal approximation with tie correction ``Σ(t³ − t)/48`` and continuity correction, and a note).

    ``conf_int=True`` adds the Hodges–Lehmann pseudo-median and its interval. Effect size: matched-pairs
    rank-biserial correlation ``r = (T+ − T−)/(T+ + T−)`` — ``(T+ − T−)/(n(n+1)/2)`` for ``"wilcox"``; for
    ``"pratt"`` the sums run over the ranks of the non-zero differences only, so ``|r| <= 1`` — with its
    Fisher-z interval.

    Reference: R ``stats::wilcox.test``; Wilcoxon (1945); Hollander, Wolfe & Chicken (2014) §3.1.
    """
    check_alternative(alternative)
    check_choice(zero_method, "zero_method", ("wilcox", "pratt"))
    level = check_confidence(confidence)
    mu = check_number(mu, "mu")
    if y is None:
        d = as_sample(x, "x", nan_policy=nan_policy, min_n=1) - mu
    else:
        a, b = as_pair(x, y, nan_policy=nan_policy, min_n=1)
        d = a - b - mu
    v, mean, var, n, has_ties, has_zeros, total, null_sd = _signed_rank_stats(d, zero_method)
    want_exact = (n < 50) if exact is None else exact
    notes: list[str] = []
    use_exact = want_exact and not has_ties and not has_zeros and n > 0
    if use_exact:
        test = "wilcoxon[exact]"
        p = _exact_p(v, n * (n + 1) / 4.0, signed_rank_cdf(v, n), signed_rank_sf(v - 1, n), alternative)
    else:
        if want_exact and has_ties:
            notes.append("ties present: the exact p-value is unavailable, normal approximation used (as R)")
        if want_exact and has_zeros:
            notes.append(
                "zero differences present: exact p-value unavailable, normal approximation used (as R)"
            )
        z = v - mean
        corr = _continuity(z, alternative, correction)
        if var <= 0.0:
            p = 1.0
            notes.append("every difference is zero: no evidence of a shift (p = 1)")
        else:
            p = normal_p_value((z - corr) / math.sqrt(var), alternative)
        test = "wilcoxon[normal,continuity]" if correction else "wilcoxon[normal]"
        if zero_method == "pratt":
            test = test.replace("wilcoxon[", "wilcoxon[pratt,")
    nz = d[d != 0.0]
    # matched-pairs rank-biserial r = (T+ − T−)/(T+ + T−) over the ranks used (so |r| <= 1 with Pratt's
    # zero ranks too); its SE is that of 2V/(T+ + T−) under H0 (no tie correction, as effectsize)
    r = (2.0 * v - total) / total if n > 0 else 0.0
    se = 2.0 * null_sd / total if n > 0 else math.inf
    effect = rank_biserial_effect(r, se, level, alternative)
    est: float | None = None
    ci: tuple[float, float] | None = None
    if conf_int and nz.size > 0:
        est, ci = hl_one_sample(nz + mu, level, alternative, use_exact)
    return TestResult(
        test=test,
        method="Wilcoxon signed-rank test",
        statistic=v,
        statistic_name="V",
        p_value=p,
        ci=ci,
        confidence=level if ci is not None else None,
        estimate=est,
        estimate_name="pseudo-median (Hodges–Lehmann)" if ci is not None else None,
        alternative=alternative,
        effect_size=effect,
        n=int(d.size),
        details={"n_nonzero": float(nz.size), "median_difference": float(np.median(d + mu))},
        notes=tuple(notes),
    )


def sign_test(
    x: ArrayLike,
    y: ArrayLike | None = None,
    *,
    mu: float = 0.0,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> TestResult:
    """Sign test of the median of ``x − y`` (or of ``x``) against ``mu``.

    Differences equal to ``mu`` are dropped; ``statistic`` is the number of positive differences ``S`` out
    of the ``n`` non-zero ones, tested with the exact binomial test at p = ½ (R:
    ``binom.test(sum(d > 0), sum(d != 0))``). ``estimate`` is the median of the differences and ``ci`` the
    distribution-free order-statistic interval ``(d_(k), d_(n−k+1))`` with ``k = qbinom(α/2, n, ½)``
    (Hollander, Wolfe & Chicken 2014, §3.6), whose achieved confidence (at least ``confidence``) is in
    ``details["achieved_confidence"]``.
    """
    from crucible_bench._binomial import binomial_p_value

    check_alternative(alternative)
    level = check_confidence(confidence)
    mu = check_number(mu, "mu")
    if y is None:
        d = as_sample(x, "x", nan_policy=nan_policy, min_n=1)
    else:
        a, b = as_pair(x, y, nan_policy=nan_policy, min_n=1)
        d = a - b
    centred = d - mu
    n = int((centred != 0).sum())
    s = int((centred > 0).sum())
    p = binomial_p_value(s, n, 0.5, alternative) if n > 0 else 1.0
    alpha = 1.0 - level
    a_tail = alpha / 2.0 if alternative == "two-sided" else alpha
    m = d.size
    cdf = special.bdtr(np.arange(m + 1), m, 0.5)
    k = int((cdf <= a_tail * (1 + 1e-12)).sum())  # largest k with coverage 1 - P(B <= k-1)·tails >= level
    notes: tuple[str, ...] = ()
    if k == 0:
        k = 1
        notes = (f"n = {m} is too small for a {level:.0%} interval; the range of the data is reported",)
    srt = np.sort(d)
    lo, hi = float(srt[k - 1]), float(srt[m - k])
    tail = float(special.bdtr(k - 1, m, 0.5)) if k > 0 else 0.0
    achieved = 1.0 - (2.0 * tail if alternative == "two-sided" else tail)
    ci = (
        (lo, math.inf) if alternative == "greater" else (-math.inf, hi) if alternative == "less" else (lo, hi)
    )
    return TestResult(
        test="sign_test[exact]",
        method="sign test",
        statistic=float(s),
        statistic_name="S",
        p_value=p,
        ci=ci,
        confidence=level,
        estimate=float(np.median(d)),
        estimate_name="median difference" if y is not None else "median",
        alternative=alternative,
        n=n,
        details={
            "n_positive": float(s),
            "n_negative": float(n - s),
            "n_zero": float(m - n),
            "achieved_confidence": achieved,
        },
        notes=notes,
    )
