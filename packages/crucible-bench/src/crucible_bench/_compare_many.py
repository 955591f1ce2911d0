"""``compare_many``: an omnibus test across k conditions plus corrected post-hoc pairs, chosen automatically."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from crucible_bench._assumptions import levene
from crucible_bench._compare import is_binary, normality_check
from crucible_bench._multiple import P_ADJUST_METHODS, PAdjustMethod, p_adjust
from crucible_bench._results import TestResult
from crucible_bench._tables import PairComparison, PostHocResult, pair_indices
from crucible_bench._validate import NanPolicy, check_alpha, check_choice
from crucible_core.errors import ValidationError

__all__ = ["compare_many"]

DEFAULT_CORRECTION = "holm"


def _load(
    data: Any,
    dv: str | None,
    group: str | None,
    subject: str | None,
    paired: bool | None,
    nan_policy: NanPolicy,
) -> tuple[list[str], list[NDArray[np.float64]], bool]:
    import polars as pl

    from crucible_bench._posthoc import groups_from_data
    from crucible_bench._rm_anova import wide_matrix

    if isinstance(data, pl.DataFrame) and subject is not None:
        if dv is None or group is None:
            raise ValidationError("long data with subject= also needs dv= and group=.", argument="dv")
        y, _, levels = wide_matrix(data, subject, group, dv, nan_policy=nan_policy)
        return levels, [y[:, j] for j in range(y.shape[1])], True
    names, arrays = groups_from_data(
        data, dv=dv, group=group, nan_policy=nan_policy, aligned=None if paired is None else paired
    )
    same = len({a.size for a in arrays}) == 1
    return names, arrays, same if paired is None else paired


def compare_many(
    data: Any,
    *,
    paired: bool | None = None,
    correction: PAdjustMethod = DEFAULT_CORRECTION,
    alpha: float = 0.05,
    dv: str | None = None,
    group: str | None = None,
    subject: str | None = None,
    nan_policy: NanPolicy = "raise",
) -> PostHocResult:
    """Compare k >= 2 conditions: an omnibus test, then every pair with multiplicity-adjusted p-values.

    ``data`` is a ``{name: scores}`` mapping, a list of arrays, a wide polars DataFrame (one column per
    condition, one row per item) or a long DataFrame with ``dv`` and ``group`` (and ``subject`` for
    repeated measures) columns. Conditions of equal length are treated as paired by item unless
    ``paired=False``.

    ========================  ==========================  ==========================================
    data                      omnibus                     pairs
    ========================  ==========================  ==========================================
    paired binary             Cochran's Q                 McNemar (exact when b + c < 25), corrected
    independent binary        chi-square (k × 2)          Fisher / chi-square per pair, corrected
    paired, normal residuals  rm ANOVA (Greenhouse–G.)    paired t-tests, corrected
    paired otherwise          Friedman                    Wilcoxon signed-rank, corrected
    independent, normal, eq.  one-way ANOVA               Tukey HSD
    independent, normal       Welch ANOVA                 Games–Howell
    independent otherwise     Kruskal–Wallis              Dunn, corrected
    ========================  ==========================  ==========================================

    Normality is Shapiro–Wilk at ``alpha`` (per group, or on the residuals of the subject + condition
    model when paired); equal variances is Brown–Forsythe at ``alpha``. The choice is in ``rationale``.

    ``correction`` adjusts the pairs' p-values (:func:`p_adjust`). Tukey HSD and Games–Howell control
    the family-wise error themselves (studentized range), so with the default ``correction="holm"``
    their ``p_adj`` is the studentized-range p-value (``correction`` reads ``"studentized range"``).
    Any other ``correction`` (``"bonferroni"``, ``"BH"``, ``"none"`` …) is applied to their unadjusted
    pairwise p-values (pooled-variance t for Tukey, Welch t for Games–Howell) instead, ``correction``
    names it, and a note says so; the intervals stay the simultaneous studentized-range intervals.
    """
    check_choice(correction, "correction", P_ADJUST_METHODS)
    alpha = check_alpha(alpha)
    names, arrays, is_paired = _load(data, dv, group, subject, paired, nan_policy)
    if is_binary(*arrays):
        return _binary(names, arrays, is_paired, correction)
    if is_paired:
        return _paired(names, arrays, correction, alpha)
    return _independent(names, arrays, correction, alpha)


def _pairs_from_tests(
    names: list[str], results: list[TestResult], correction: str, diffs: list[float]
) -> tuple[PairComparison, ...]:
    p_adj = p_adjust(np.array([r.p_value for r in results]), correction)  # type: ignore[arg-type]
    rows = []
    for j, ((a, b), r) in enumerate(zip(pair_indices(len(names)), results, strict=True)):
        rows.append(
            PairComparison(
                group_a=names[a],
                group_b=names[b],
                diff=diffs[j],
                ci_low=None if r.ci is None else r.ci[0],
                ci_high=None if r.ci is None else r.ci[1],
                statistic=r.statistic,
                df=r.df if isinstance(r.df, float) else None,
                p_value=r.p_value,
                p_adj=float(p_adj[j]),
            )
        )
    return tuple(rows)


def _binary(
    names: list[str], arrays: list[NDArray[np.float64]], paired: bool, correction: str
) -> PostHocResult:
    from crucible_bench._categorical import chi_square, cochran_q, mcnemar
    from crucible_bench._fisher import fisher_exact

    pairs = pair_indices(len(arrays))
    diffs = [float(arrays[a].mean() - arrays[b].mean()) for a, b in pairs]
    if paired:
        omnibus = cochran_q(np.column_stack(arrays))
        results = []
        for a, b in pairs:
            x, y = arrays[a], arrays[b]
            n11 = int(((x == 1) & (y == 1)).sum())
            b10, c01 = int(((x == 1) & (y == 0)).sum()), int(((x == 0) & (y == 1)).sum())
            results.append(mcnemar([[n11, b10], [c01, x.size - n11 - b10 - c01]]))
        rationale = "paired binary outcomes: Cochran's Q, then pairwise McNemar tests"
        method = "pairwise McNemar"
    else:
        table = [[int(a.sum()), int(a.size - a.sum())] for a in arrays]
        omnibus = chi_square(table, correction=False)
        results = []
        for a, b in pairs:
            t = [table[a], table[b]]
            arr = np.array(t, dtype=np.float64)
            exp_min = float((np.outer(arr.sum(1), arr.sum(0)) / arr.sum()).min()) if arr.sum(0).all() else 0.0
            results.append(fisher_exact(t) if exp_min < 5 else chi_square(t))
        rationale = "independent binary outcomes: chi-square test of the k × 2 table, then pairwise Fisher / chi-square"
        method = "pairwise tests of proportions"
    return PostHocResult(
        test="compare_many",
        method=method,
        correction=correction,
        estimate_name="difference in proportions",
        comparisons=_pairs_from_tests(names, results, correction, diffs),
        omnibus=omnibus,
        rationale=rationale,
    )


def _paired(
    names: list[str], arrays: list[NDArray[np.float64]], correction: str, alpha: float
) -> PostHocResult:
    from crucible_bench._parametric import ttest
    from crucible_bench._rank_anova import friedman
    from crucible_bench._rank_tests import wilcoxon
    from crucible_bench._rm_anova import rm_anova_matrix

    y = np.column_stack(arrays)
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    check = normality_check(resid.ravel(), "normality of residuals (subject + condition)", alpha)
    pairs = pair_indices(len(arrays))
    if check.passed is not False:
        omnibus = rm_anova_matrix(y)
        results = [ttest(arrays[a], arrays[b], paired=True) for a, b in pairs]
        rationale = f"paired continuous data with {check.summary()}: repeated-measures ANOVA (Greenhouse–Geisser), then paired t-tests"
        method, est = "pairwise paired t-tests", "mean difference"
    else:
        omnibus = friedman(y)
        results = [wilcoxon(arrays[a], arrays[b], conf_int=True) for a, b in pairs]
        rationale = (
            f"paired continuous data with {check.summary()}: Friedman test, then Wilcoxon signed-rank tests"
        )
        method, est = "pairwise Wilcoxon signed-rank tests", "pseudo-median difference"
    diffs = [r.estimate if r.estimate is not None else 0.0 for r in results]
    return PostHocResult(
        test="compare_many",
        method=method,
        correction=correction,
        estimate_name=est,
        comparisons=_pairs_from_tests(names, results, correction, diffs),
        omnibus=omnibus,
        rationale=rationale,
    )


def _independent(
    names: list[str], arrays: list[NDArray[np.float64]], correction: str, alpha: float
) -> PostHocResult:
    from crucible_bench._parametric import anova, welch_anova
    from crucible_bench._posthoc import dunn, games_howell, tukey_hsd
    from crucible_bench._rank_anova import kruskal_wallis

    checks = [normality_check(a, f"normality of {n}", alpha) for n, a in zip(names, arrays, strict=True)]
    normal = all(c.passed is not False for c in checks)
    lev = levene(*arrays)
    equal_var = lev.p_value >= alpha
    mapping = dict(zip(names, arrays, strict=True))
    if normal and equal_var:
        omnibus, post = anova(*arrays), tukey_hsd(mapping)
        rationale = "every group is consistent with normality and variances are equal (Brown–Forsythe): one-way ANOVA + Tukey HSD"
    elif normal and all(a.size >= 2 and np.var(a) > 0 for a in arrays):
        omnibus, post = welch_anova(*arrays), games_howell(mapping)
        rationale = "groups are consistent with normality but variances differ (Brown–Forsythe): Welch ANOVA + Games–Howell"
    else:
        omnibus, post = kruskal_wallis(*arrays), dunn(mapping, correction=correction)  # type: ignore[arg-type]
        bad = "; ".join(c.summary() for c in checks if c.passed is False)
        why = f"normality is rejected ({bad})" if bad else "a group has zero variance"
        rationale = f"{why}: Kruskal–Wallis + Dunn"
        return post.model_copy(update={"omnibus": omnibus, "rationale": rationale, "test": "compare_many"})
    update: dict[str, Any] = {"omnibus": omnibus, "rationale": rationale, "test": "compare_many"}
    if correction != DEFAULT_CORRECTION:
        # an explicit correction replaces the studentized-range adjustment (see the docstring)
        p_adj = p_adjust(np.array([c.p_value for c in post.comparisons]), correction)  # type: ignore[arg-type]
        update["comparisons"] = tuple(
            c.model_copy(update={"p_adj": float(p)}) for c, p in zip(post.comparisons, p_adj, strict=True)
        )
        update["correction"] = correction
        update["notes"] = (
            *post.notes,
            f"p_adj: correction={correction!r} applied to the unadjusted pairwise p-values instead of "
            f"{post.method}'s studentized-range adjustment; the intervals are still {post.method}'s.",
        )
    return post.model_copy(update=update)
