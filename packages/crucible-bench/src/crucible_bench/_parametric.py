"""t-tests and one-way ANOVA (classic and Welch), as R's ``t.test``, ``aov`` and ``oneway.test``."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from crucible_bench._anova_effects import oneway_sums, pve_effect
from crucible_bench._effect_sizes import d_effect
from crucible_bench._results import Alternative, EffectSize, TestResult
from crucible_bench._validate import (
    NanPolicy,
    as_groups,
    as_pair,
    as_sample,
    check_alternative,
    check_confidence,
    check_number,
)

__all__ = ["anova", "t_p_value", "ttest", "welch_anova"]


def t_p_value(t: float, df: float, alternative: str) -> float:
    """p-value of a t statistic: two-sided ``2·P(T ≥ |t|)``, ``P(T ≤ t)`` (less), ``P(T ≥ t)`` (greater)."""
    if alternative == "less":
        return float(special.stdtr(df, t))
    if alternative == "greater":
        return float(special.stdtr(df, -t))
    return float(min(1.0, 2.0 * special.stdtr(df, -abs(t))))


def _t_ci(est: float, se: float, df: float, confidence: float, alternative: str) -> tuple[float, float]:
    if alternative == "two-sided":
        q = float(special.stdtrit(df, 0.5 + confidence / 2.0)) * se
        return (est - q, est + q)
    q = float(special.stdtrit(df, confidence)) * se
    return (-math.inf, est + q) if alternative == "less" else (est - q, math.inf)


def ttest(
    x: ArrayLike,
    y: ArrayLike | None = None,
    *,
    paired: bool = False,
    equal_var: bool = False,
    mu: float = 0.0,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> TestResult:
    """One-sample, paired, Student or Welch t-test, as R's ``t.test``.

    * one-sample (``y=None``): ``t = (x̄ − mu)/(s/√n)``, ``df = n − 1``; estimate and CI are for the mean.
    * paired: the one-sample test on ``x − y``; estimate and CI are for the mean difference.
    * Student (``equal_var=True``): pooled variance, ``df = n1 + n2 − 2``.
    * Welch (default): ``se² = s1²/n1 + s2²/n2``, Welch–Satterthwaite
      ``df = se⁴ / (s1⁴/(n1²(n1−1)) + s2⁴/(n2²(n2−1)))``.

    For two samples ``estimate`` is ``mean(x) − mean(y)`` (R reports both means; they are in
    ``details["mean_x"]``/``["mean_y"]``) and ``ci`` is its interval. The effect size is Cohen's d (pooled
    SD) for two samples and d_z for paired data, with noncentral-t intervals.

    Zero variance (every difference identical): ``t = 0, p = 1`` when the estimate equals ``mu``, otherwise
    ``t = ±inf, p = 0``; the result carries a note. R stops with "data are essentially constant".

        >>> r = ttest([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0],
        ...           [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
        >>> round(r.statistic, 4), round(r.df, 4), round(r.p_value, 5)
        (-1.8608, 17.7765, 0.07939)

    Reference: R ``stats::t.test``; Welch (1947), Biometrika 34, 28–35.
    """
    check_alternative(alternative)
    level = check_confidence(confidence)
    mu = check_number(mu, "mu")
    notes: list[str] = []
    details: dict[str, float] = {}
    if y is None or paired:
        if y is None:
            d = as_sample(x, "x", nan_policy=nan_policy, min_n=2)
            test, method, est_name = "ttest[one-sample]", "one-sample t-test", "mean"
            details["mean_x"] = float(d.mean())
        else:
            a, b = as_pair(x, y, nan_policy=nan_policy, min_n=2)
            d = a - b
            test, method, est_name = "ttest[paired]", "paired t-test", "mean difference"
            details["mean_x"], details["mean_y"] = float(a.mean()), float(b.mean())
        n = d.size
        df = float(n - 1)
        est = float(d.mean())
        sd = float(np.std(d, ddof=1))
        se = sd / math.sqrt(n)
        centre = est - mu
        effect = d_effect(
            "Cohen's d" if y is None else "Cohen's d_z",
            centre,
            sd,
            se,
            df,
            1.0 / n,
            confidence=level,
            alternative=alternative,
        )
        details["sd"] = sd
    else:
        a = as_sample(x, "x", nan_policy=nan_policy, min_n=2)
        b = as_sample(y, "y", nan_policy=nan_policy, min_n=2)
        n1, n2 = a.size, b.size
        n = n1 + n2
        m1, m2 = float(a.mean()), float(b.mean())
        v1, v2 = float(np.var(a, ddof=1)), float(np.var(b, ddof=1))
        est = m1 - m2
        centre = est - mu
        pooled_var = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n - 2)
        hn = 1.0 / n1 + 1.0 / n2
        if equal_var:
            df = float(n - 2)
            se = math.sqrt(pooled_var * hn)
            test, method = "ttest[student]", "Student two-sample t-test"
        else:
            s1, s2 = v1 / n1, v2 / n2
            se = math.sqrt(s1 + s2)
            df = (s1 + s2) ** 2 / (s1 * s1 / (n1 - 1) + s2 * s2 / (n2 - 1)) if se > 0 else float(n - 2)
            test, method = "ttest[welch]", "Welch two-sample t-test"
        est_name = "mean difference"
        sp = math.sqrt(pooled_var)
        effect = d_effect(
            "Cohen's d",
            centre,
            sp,
            sp * math.sqrt(hn),
            float(n - 2),
            hn,
            confidence=level,
            alternative=alternative,
        )
        details.update(mean_x=m1, mean_y=m2, sd_x=math.sqrt(v1), sd_y=math.sqrt(v2))
    details["se"] = se
    if se == 0.0:
        t = 0.0 if centre == 0.0 else math.copysign(math.inf, centre)
        if t == 0.0:
            p = 1.0
        else:
            p = 0.0 if alternative == "two-sided" or (alternative == "less") == (t < 0) else 1.0
        ci = (est, est)
        notes.append("zero variance: the difference is constant, so the test is degenerate (t = 0 or ±inf)")
    else:
        t = centre / se
        p = t_p_value(t, df, alternative)
        ci = _t_ci(est, se, df, level, alternative)
    return TestResult(
        test=test,
        method=method,
        statistic=t,
        statistic_name="t",
        p_value=p,
        df=df,
        ci=ci,
        confidence=level,
        estimate=est,
        estimate_name=est_name,
        alternative=alternative,
        effect_size=effect,
        n=n,
        details=details,
        notes=tuple(notes),
    )


def anova(*groups: ArrayLike, confidence: float = 0.95, nan_policy: NanPolicy = "raise") -> TestResult:
    """One-way ANOVA, as ``summary(aov(value ~ group))``: ``F = MS_between / MS_within``.

    ``df = (k − 1, N − k)``. The effect size is η² = SS_between / SS_total with the noncentral-F interval
    of ``effectsize::eta_squared``; ω² and ε² are in ``details`` (``omega_squared``, ``epsilon_squared``).
    All groups with zero variance: F = inf and p = 0 when the means differ, F = 0 and p = 1 otherwise.

    Reference: R ``stats::aov``; Fisher (1925).
    """
    level = check_confidence(confidence)
    arrays = as_groups(groups, nan_policy=nan_policy, min_n=1)
    ssb, ssw, df1, df2 = oneway_sums(arrays)
    n = int(sum(a.size for a in arrays))
    if df2 <= 0:
        from crucible_core.errors import ValidationError

        raise ValidationError(
            f"anova needs more observations than groups (N − k >= 1); got N = {n}, k = {len(arrays)}.",
            argument="groups",
            minimum=len(arrays) + 1,
        )
    notes: list[str] = []
    if ssw == 0.0:
        f = 0.0 if ssb == 0.0 else math.inf
        p = 1.0 if ssb == 0.0 else 0.0
        notes.append("zero within-group variance: F is 0 (equal means) or inf (different means)")
    else:
        f = (ssb / df1) / (ssw / df2)
        p = float(special.fdtrc(df1, df2, f))
    sst = ssb + ssw
    msw = ssw / df2
    eta = pve_effect("eta2", f, df1, df2, level) if math.isfinite(f) else _full_effect("η²")
    details = {
        "ss_between": ssb,
        "ss_within": ssw,
        "omega_squared": (ssb - df1 * msw) / (sst + msw) if sst > 0 else 0.0,
        "epsilon_squared": (ssb - df1 * msw) / sst if sst > 0 else 0.0,
    }
    return TestResult(
        test="anova[one-way]",
        method="one-way ANOVA",
        statistic=f,
        statistic_name="F",
        p_value=p,
        df=(float(df1), float(df2)),
        effect_size=eta,
        n=n,
        details=details,
        notes=tuple(notes),
    )


def _full_effect(name: str) -> EffectSize:
    return EffectSize(name=name, value=1.0, interpretation="large")


def welch_anova(*groups: ArrayLike, nan_policy: NanPolicy = "raise") -> TestResult:
    """Welch's heteroscedastic one-way ANOVA, as R's ``oneway.test(var.equal = FALSE)``.

    With ``w_i = n_i/s_i²``, ``m = Σ w_i x̄_i / Σ w_i``, ``A = Σ w_i (x̄_i − m)² / (k − 1)`` and
    ``B = Σ (1 − w_i/Σw)² / (n_i − 1) / (k² − 1)``: ``F = A / (1 + 2(k − 2)B)``,
    ``df = (k − 1, 1/(3B))``. Each group needs two observations and non-zero variance.

    Reference: Welch (1951), Biometrika 38, 330–336.
    """
    arrays = as_groups(groups, nan_policy=nan_policy, min_n=2)
    from crucible_core.errors import ValidationError

    k = len(arrays)
    n_i = np.array([a.size for a in arrays], dtype=np.float64)
    means = np.array([a.mean() for a in arrays])
    variances = np.array([np.var(a, ddof=1) for a in arrays])
    if (variances == 0).any():
        i = int(np.flatnonzero(variances == 0)[0])
        raise ValidationError(
            f"groups[{i}] has zero variance, so Welch's weights n/s² are undefined. Use anova() or kruskal_wallis().",
            argument=f"groups[{i}]",
            index=i,
        )
    w = n_i / variances
    sw = w.sum()
    m = float((w * means).sum() / sw)
    a_term = float((w * (means - m) ** 2).sum() / (k - 1))
    b_term = float(((1 - w / sw) ** 2 / (n_i - 1)).sum() / (k * k - 1))
    f = a_term / (1 + 2 * (k - 2) * b_term)
    df2 = 1.0 / (3.0 * b_term)
    p = float(special.fdtrc(k - 1, df2, f))
    return TestResult(
        test="welch_anova",
        method="Welch one-way ANOVA",
        statistic=f,
        statistic_name="F",
        p_value=p,
        df=(float(k - 1), df2),
        n=int(n_i.sum()),
        details={"weighted_mean": m},
    )
