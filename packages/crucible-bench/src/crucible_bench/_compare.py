"""``compare(a, b)``: choose and run the right two-condition test, with assumptions, effect size and power."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crucible_bench._assumptions import levene, shapiro_wilk
from crucible_bench._comparison import AssumptionCheck, Comparison
from crucible_bench._effect_sizes import make_effect, one_sided_level
from crucible_bench._format import fmt_ci, fmt_num, fmt_p
from crucible_bench._results import Alternative, EffectSize, PowerResult, TestResult
from crucible_bench._validate import (
    NanPolicy,
    as_pair,
    as_sample,
    check_alpha,
    check_alternative,
    check_choice,
    check_confidence,
)
from crucible_core.errors import ValidationError

__all__ = ["align", "compare", "is_binary", "normality_check"]

Kind = Literal["auto", "binary", "continuous"]


def align(
    a: Any, b: Any, paired: bool | None, nan_policy: NanPolicy
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool, str]:
    """Arrays for ``a`` and ``b``, whether they are paired, and why."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys_a, keys_b = list(a.keys()), set(b.keys())
        common = [k for k in keys_a if k in keys_b]
        same = len(common) == len(keys_a) == len(keys_b)
        if paired is False:
            return (
                as_sample(list(a.values()), "a", nan_policy=nan_policy, min_n=2),
                as_sample(list(b.values()), "b", nan_policy=nan_policy, min_n=2),
                False,
                "paired=False was passed",
            )
        if not same:
            if paired:
                missing = next(
                    iter([k for k in keys_a if k not in keys_b] or [k for k in keys_b if k not in a])
                )
                raise ValidationError(
                    f"paired=True but item {missing!r} is in only one of a and b. Score both conditions on the "
                    "same items, or pass paired=False.",
                    argument="b",
                    item=repr(missing),
                )
            return (
                as_sample(list(a.values()), "a", nan_policy=nan_policy, min_n=2),
                as_sample(list(b.values()), "b", nan_policy=nan_policy, min_n=2),
                False,
                "a and b are scored on different items",
            )
        x, y = as_pair(
            [a[k] for k in common], [b[k] for k in common], ("a", "b"), nan_policy=nan_policy, min_n=2
        )
        return x, y, True, "a and b are scored on the same items (matched by key)"
    seq_a = cast("ArrayLike", a)
    seq_b = cast("ArrayLike", b)
    len_a, len_b = np.size(seq_a), np.size(seq_b)
    if paired is None:
        paired = len_a == len_b
        reason = (
            "a and b have the same length and are taken as aligned per item (pass paired=False for independent samples)"
            if paired
            else "a and b have different lengths"
        )
    else:
        reason = f"paired={paired} was passed"
    if paired:
        x, y = as_pair(seq_a, seq_b, ("a", "b"), nan_policy=nan_policy, min_n=2)
        return x, y, True, reason
    return (
        as_sample(seq_a, "a", nan_policy=nan_policy, min_n=2),
        as_sample(seq_b, "b", nan_policy=nan_policy, min_n=2),
        False,
        reason,
    )


def is_binary(*arrays: NDArray[np.float64]) -> bool:
    """True when every value is 0 or 1."""
    return all(bool(np.isin(arr, (0.0, 1.0)).all()) for arr in arrays)


def normality_check(values: NDArray[np.float64], name: str, alpha: float) -> AssumptionCheck:
    """Shapiro–Wilk on ``values`` (passed = not rejected at ``alpha``); undefined cases are reported as such."""
    if values.size < 3:
        return AssumptionCheck(name=name, passed=None, detail=f"n = {values.size} is too small to test")
    if values.size > 5000:
        return AssumptionCheck(name=name, passed=None, detail=f"n = {values.size} > 5000: relying on the CLT")
    if np.ptp(values) == 0:
        return AssumptionCheck(name=name, passed=False, detail="all values are identical")
    res = shapiro_wilk(values)
    return AssumptionCheck(
        name=name,
        test=res,
        passed=res.p_value >= alpha,
        detail=f"Shapiro–Wilk W = {fmt_num(res.statistic, 3)}, {fmt_p(res.p_value)}",
    )


def compare(
    a: Any,
    b: Any,
    *,
    paired: bool | None = None,
    kind: Kind = "auto",
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    labels: tuple[str, str] = ("a", "b"),
    nan_policy: NanPolicy = "raise",
    seed: int | None = None,
) -> Comparison:
    """Compare two conditions with the appropriate test, in one call.

    Decisions (each recorded in the result):

    1. **Pairing** — mappings ``{item: score}`` are matched by key; equal-length sequences are treated as
       aligned per item unless ``paired=False``.
    2. **Data kind** — binary when every value is 0/1 (``kind`` overrides).
    3. **Test** — paired binary: McNemar (exact binomial when discordant pairs < 25); independent binary:
       Fisher's exact test when an expected count is below 5, else chi-square with Yates' correction;
       paired continuous: paired t-test when Shapiro–Wilk does not reject normality of the differences
       at ``alpha``, else Wilcoxon signed-rank; independent continuous: Welch's t-test when both groups
       look normal (Welch needs no equal variances; Brown–Forsythe's test is still reported), else
       Mann–Whitney.
    4. **Estimate** (``a − b``) with CI, **effect size** with CI, the **power** for the observed effect
       and the **minimum detectable effect** at 80 % power (t-test power is used as the approximation for
       the rank tests, whose asymptotic relative efficiency is at least 0.864). All of them follow
       ``alternative``: one-sided tests get a one-sided ``confidence`` bound and one-sided power.

    How the CI of the estimate was computed is in ``ci_method``:

    - ``"t"`` — t-tests: the paired / Welch t interval of the difference in means;
    - ``"bootstrap_bca"`` — rank tests (normality rejected): the estimate is still the difference in
      means, and a t interval would lean on the normality just rejected, so its CI is a BCa bootstrap
      interval, :func:`bootstrap_diff` with 9999 resamples (pairs resampled together when paired) and
      ``seed``. A one-sided bound is the matching end of the BCa interval at ``2·confidence − 1``,
      which is exactly the one-sided BCa bound (with ``confidence <= 0.5`` the t bound is used);
    - ``"newcombe"`` — independent binary: Newcombe's hybrid score interval of the risk difference;
    - ``"agresti_min"`` — paired binary: Agresti–Min interval of the difference in proportions.

    ``seed`` only affects the bootstrap interval of the rank-test path; every other step is
    deterministic (the normal-data path never resamples). The same inputs and ``seed`` give the same
    result on every machine. ``seed=None`` uses the fixed seed ``DEFAULT_SEED = 0``, so ``compare``
    stays reproducible when no seed is passed (a logged comparison can be recomputed exactly); pass
    another seed to draw other resamples.
    """
    check_alternative(alternative)
    check_choice(kind, "kind", ("auto", "binary", "continuous"))
    alpha = check_alpha(alpha)
    confidence = check_confidence(confidence)
    if alternative != "two-sided" and confidence <= 0.5:
        raise ValidationError(
            f"a one-sided bound needs confidence > 0.5; got {confidence}. Pass e.g. confidence=0.95.",
            argument="confidence",
        )
    if (
        not isinstance(labels, tuple | list)
        or len(labels) != 2
        or not all(isinstance(label, str) for label in labels)
    ):
        raise ValidationError(
            f"labels must be a pair of strings naming a and b, e.g. labels=('new', 'old'); got {labels!r}.",
            argument="labels",
            value=repr(labels),
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise ValidationError(f"seed must be None or a non-negative int; got {seed!r}.", argument="seed")
    x, y, is_paired, reason = align(a, b, paired, nan_policy)
    binary = is_binary(x, y) if kind == "auto" else kind == "binary"
    if binary and not is_binary(x, y):
        raise ValidationError("kind='binary' but a or b holds values other than 0 and 1.", argument="kind")
    common: dict[str, Any] = {
        "label_a": labels[0],
        "label_b": labels[1],
        "paired": is_paired,
        "paired_reason": reason,
        "alpha": alpha,
        "alternative": alternative,
        "confidence": confidence,
        "n_a": int(x.size),
        "n_b": int(y.size),
        "mean_a": float(x.mean()),
        "mean_b": float(y.mean()),
    }
    if binary:
        fields = (
            _binary_paired(x, y, alternative, confidence)
            if is_paired
            else _binary_unpaired(x, y, alternative, confidence)
        )
        return Comparison(kind="binary", **common, **fields)  # type: ignore[arg-type]
    fields = (
        _continuous_paired(x, y, alpha, alternative, confidence, seed)
        if is_paired
        else _continuous_unpaired(x, y, alpha, alternative, confidence, seed)
    )
    return Comparison(kind="continuous", **common, **fields)  # type: ignore[arg-type]


def _power_t(
    n: float, d: float, kind: str, alternative: Alternative
) -> tuple[PowerResult | None, PowerResult | None]:
    from crucible_bench._power import power_ttest

    if n < 2:
        return None, None
    kind_t = "paired" if kind == "paired" else "two-sample"
    achieved = None
    if math.isfinite(d) and d != 0:
        signed = d if alternative != "two-sided" else abs(d)
        achieved = power_ttest(n=n, d=signed, power=None, kind=kind_t, alternative=alternative)  # type: ignore[arg-type]
    mde = power_ttest(n=n, d=None, power=0.8, kind=kind_t, alternative=alternative)  # type: ignore[arg-type]
    return achieved, mde


def _continuous_paired(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    alpha: float,
    alternative: Alternative,
    level: float,
    seed: int | None,
) -> dict[str, Any]:
    from crucible_bench._effect_sizes import cohens_dz
    from crucible_bench._parametric import ttest
    from crucible_bench._rank_tests import wilcoxon

    d = x - y
    check = normality_check(d, "normality of the differences", alpha)
    checks = [check]
    mean_ci: tuple[tuple[float, float], str] | None = None
    if check.passed is False:
        test = wilcoxon(x, y, alternative=alternative, conf_int=True, confidence=level)
        rationale = f"the differences are not normal ({check.detail}), so the rank-based Wilcoxon signed-rank test is used"
        dz = cohens_dz(x, y, alternative=alternative, confidence=level).value if np.std(d) > 0 else 0.0
        mean_ci = _mean_difference_ci(x, y, True, alternative, level, seed)
    else:
        test = ttest(x, y, paired=True, alternative=alternative, confidence=level)
        if check.passed:
            rationale = f"the differences are consistent with normality ({check.detail}), so the paired t-test applies"
        else:
            rationale = f"normality could not be assessed ({check.detail}), so the paired t-test is used"
        dz = test.effect_size.value if test.effect_size is not None else 0.0
    achieved, mde = _power_t(float(d.size), dz, "paired", alternative)
    return _fields(test, checks, rationale, achieved, mde, float(d.mean()), mean_ci=mean_ci)


def _continuous_unpaired(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    alpha: float,
    alternative: Alternative,
    level: float,
    seed: int | None,
) -> dict[str, Any]:
    from crucible_bench._effect_sizes import cohens_d
    from crucible_bench._parametric import ttest
    from crucible_bench._rank_tests import mann_whitney

    checks = [normality_check(x, "normality of a", alpha), normality_check(y, "normality of b", alpha)]
    lev = levene(x, y)
    checks.append(
        AssumptionCheck(
            name="equal variances",
            test=lev,
            passed=lev.p_value >= alpha,
            detail=f"Brown–Forsythe F = {fmt_num(lev.statistic)}, {fmt_p(lev.p_value)}; Welch's test does not assume it",
        )
    )
    normal = all(c.passed is not False for c in checks[:2])
    mean_ci: tuple[tuple[float, float], str] | None = None
    if normal:
        test = ttest(x, y, alternative=alternative, confidence=level)
        rationale = "both samples are consistent with normality, so Welch's t-test (robust to unequal variances) applies"
        d = test.effect_size.value if test.effect_size is not None else 0.0
    else:
        bad = "; ".join(f"{c.name}: {c.detail}" for c in checks[:2] if c.passed is False)
        test = mann_whitney(x, y, alternative=alternative, conf_int=True, confidence=level)
        rationale = f"normality is rejected ({bad}), so the rank-based Mann–Whitney test is used"
        mean_ci = _mean_difference_ci(x, y, False, alternative, level, seed)
        d = (
            cohens_d(x, y, alternative=alternative, confidence=level).value
            if np.std(np.concatenate([x, y])) > 0
            else 0.0
        )
    n_h = 2 * x.size * y.size / (x.size + y.size)
    achieved, mde = _power_t(n_h, d, "two-sample", alternative)
    return _fields(test, checks, rationale, achieved, mde, float(x.mean() - y.mean()), mean_ci=mean_ci)


BOOTSTRAP_RESAMPLES = 9999
DEFAULT_SEED = 0  # seed=None: compare() stays reproducible without a seed


def _mean_difference_ci(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    paired: bool,
    alternative: Alternative,
    level: float,
    seed: int | None,
) -> tuple[tuple[float, float], str] | None:
    """CI of the difference in means for the rank-test paths: BCa bootstrap, with its method name.

    One-sided: the matching end of the two-sided BCa interval at ``2·level − 1`` (exactly the one-sided
    BCa bound at ``level``), the other end infinite. Falls back to the t interval when the bootstrap is
    not defined (constant data, which gives a degenerate bootstrap) or ``level <= 0.5`` one-sided.
    """
    from crucible_bench._parametric import ttest
    from crucible_bench._resampling import bootstrap_diff

    if min(x.size, y.size) < 2:
        return None
    two_sided = level if alternative == "two-sided" else 2.0 * level - 1.0
    if two_sided > 0.0:
        boot = bootstrap_diff(
            x,
            y,
            paired=paired,
            confidence=two_sided,
            n_resamples=BOOTSTRAP_RESAMPLES,
            seed=DEFAULT_SEED if seed is None else seed,
        )
        if not boot.degenerate:
            low, high = float(boot.ci.low), float(boot.ci.high)
            if alternative == "greater":
                high = math.inf
            elif alternative == "less":
                low = -math.inf
            return (low, high), "bootstrap_bca"
    ci = ttest(x, y, paired=paired, alternative=alternative, confidence=level).ci
    return None if ci is None else ((float(ci[0]), float(ci[1])), "t")


def _fields(
    test: TestResult,
    checks: list[AssumptionCheck],
    rationale: str,
    achieved: PowerResult | None,
    mde: PowerResult | None,
    fallback_estimate: float,
    effect: EffectSize | None = None,
    *,
    mean_ci: tuple[tuple[float, float], str] | None = None,
    ci_method: str | None = "t",
) -> dict[str, Any]:
    if mean_ci is not None:
        # Rank tests: the p-value is the rank test's, but the reported estimate stays the difference in
        # means (what "B beat A by how much" means for scores), with its bootstrap interval; the test's
        # own Hodges–Lehmann shift and interval remain in ``test``.
        estimate, estimate_name = fallback_estimate, "difference in means"
        ci, ci_method = mean_ci
    else:
        estimate = test.estimate if test.estimate is not None else fallback_estimate
        estimate_name, ci = test.estimate_name or "difference in means", test.ci
    if ci is None:
        ci_method = None
    return {
        "test": test,
        "assumptions": tuple(checks),
        "rationale": rationale,
        "estimate": estimate,
        "estimate_name": estimate_name,
        "ci": ci,
        "ci_method": ci_method,
        "effect_size": effect if effect is not None else test.effect_size,
        "power": achieved,
        "minimum_detectable_effect": mde,
    }


def _binary_paired(
    x: NDArray[np.float64], y: NDArray[np.float64], alternative: Alternative, level: float
) -> dict[str, Any]:
    from crucible_bench._categorical import mcnemar
    from crucible_bench._power import minimum_detectable_effect, power_mcnemar

    n = x.size
    b = int(((x == 1) & (y == 0)).sum())
    c = int(((x == 0) & (y == 1)).sum())
    both = int(((x == 1) & (y == 1)).sum())
    table = [[both, b], [c, n - both - b - c]]
    test = mcnemar(table, alternative=alternative, confidence=level)
    exact = test.test == "mcnemar[exact]"
    checks = [
        AssumptionCheck(
            name="discordant pairs for the chi-square approximation",
            passed=b + c >= 25,
            detail=f"b + c = {b + c} discordant pairs ({'< 25: exact binomial test used' if exact else '>= 25'})",
        )
    ]
    rationale = (
        f"the outcomes are paired and binary, so McNemar's test applies ({'exact binomial' if exact else 'chi-square'}"
        f" version, b = {b}, c = {c})"
    )
    achieved = mde = None
    if b != c and b + c > 0 and b + c < n:
        achieved = power_mcnemar(b / n, c / n, n=n, power=None, alternative=alternative)
    if 0 < b + c < n:
        try:
            mde = minimum_detectable_effect(
                n, test="mcnemar", discordant=(b + c) / n, alternative=alternative
            )
        except ValidationError:
            mde = None
    return _fields(test, checks, rationale, achieved, mde, (b - c) / n, ci_method="agresti_min")


def _binary_unpaired(
    x: NDArray[np.float64], y: NDArray[np.float64], alternative: Alternative, level: float
) -> dict[str, Any]:
    from crucible_bench._categorical import chi_square
    from crucible_bench._fisher import fisher_exact
    from crucible_bench._power import minimum_detectable_effect, power_proportions
    from crucible_bench._table_effects import odds_ratio, risk_difference

    sa, sb = int(x.sum()), int(y.sum())
    table = [[sa, x.size - sa], [sb, y.size - sb]]
    arr = np.array(table, dtype=np.float64)
    rows, cols = arr.sum(axis=1), arr.sum(axis=0)
    if (cols == 0).any():
        expected_min = 0.0
    else:
        expected_min = float((np.outer(rows, cols) / arr.sum()).min())
    use_fisher = expected_min < 5 or alternative != "two-sided"
    if use_fisher:
        test = fisher_exact(table, alternative=alternative, confidence=level)
        effect = test.effect_size
    else:
        test = chi_square(table, correction=True, confidence=level)
        effect = odds_ratio(table, confidence=level) if min(sa, sb, x.size - sa, y.size - sb) > 0 else None
    checks = [
        AssumptionCheck(
            name="expected counts >= 5 for the chi-square approximation",
            passed=expected_min >= 5,
            detail=f"smallest expected count {expected_min:.3g}",
        )
    ]
    why = (
        "a one-sided alternative was requested"
        if alternative != "two-sided" and expected_min >= 5
        else ("an expected count is below 5" if use_fisher else "every expected count is at least 5")
    )
    name = "Fisher's exact test" if use_fisher else "the chi-square test with Yates' correction"
    rationale = f"the outcomes are independent and binary and {why}, so {name} is used"
    p_a, p_b = sa / x.size, sb / y.size
    ci: tuple[float, float] | None = None
    if 0 < sa + sb < x.size + y.size:
        # one-sided: the matching end of the two-sided interval at 2·level − 1, as the effect sizes do
        rd = risk_difference(table, confidence=one_sided_level(level, alternative))
        if rd.ci is not None:
            ci = (
                (rd.ci[0], 1.0)
                if alternative == "greater"
                else (-1.0, rd.ci[1])
                if alternative == "less"
                else rd.ci
            )
    n_h = 2 * x.size * y.size / (x.size + y.size)
    achieved = mde = None
    # power_proportions(p1 = p_b, p2 = p_a): "greater" there means p2 > p1, i.e. a > b, as here
    if p_a != p_b and 0 < p_b < 1 and 0 < p_a < 1:
        achieved = power_proportions(p_b, p_a, n=n_h, power=None, alternative=alternative)
    if 0 < p_b < 1:
        try:
            mde = minimum_detectable_effect(n_h, test="proportions", baseline=p_b, alternative=alternative)
        except ValidationError:
            mde = None
    notes: tuple[str, ...] = ()
    if effect is not None and effect.name.startswith("odds ratio") and effect.value in (0.0, math.inf):
        h = 2 * math.asin(math.sqrt(p_a)) - 2 * math.asin(math.sqrt(p_b))
        effect = effect.model_copy(update={"interpretation": "undefined (degenerate table)"})
        notes = (
            f"the 2×2 table has an empty cell, so the odds ratio is {effect.value:g} with "
            f"{fmt_ci(effect.ci, effect.confidence) if effect.ci is not None else 'no interval'}: its size "
            f"cannot be labelled; judge the effect by the difference in proportions ({fmt_num(p_a - p_b, 4)}) "
            f"or Cohen's h ({fmt_num(h, 3)}).",
        )
    fields = _fields(test, checks, rationale, achieved, mde, p_a - p_b, effect, ci_method="newcombe")
    fields.update(
        estimate=p_a - p_b,
        estimate_name="difference in proportions",
        ci=ci,
        ci_method="newcombe" if ci is not None else None,
        notes=notes,
    )
    if effect is None:
        fields["effect_size"] = make_effect(
            "Cohen's h", 2 * math.asin(math.sqrt(p_a)) - 2 * math.asin(math.sqrt(p_b)), None, None, None, "h"
        )
    return fields
