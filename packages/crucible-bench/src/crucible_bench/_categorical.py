"""Chi-square tests, McNemar, Cochran's Q and the contingency-table effect sizes."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crucible_bench._binomial import binomial_p_value
from crucible_bench._effect_sizes import make_effect, one_sided_level
from crucible_bench._noncentral import ncp_interval_chi2
from crucible_bench._results import Alternative, EffectSize, TestResult
from crucible_bench._validate import (
    NanPolicy,
    as_count_table,
    as_count_vector,
    check_alternative,
    check_confidence,
    check_nan_policy,
)
from crucible_core.errors import ValidationError

__all__ = ["chi_square", "chi_square_gof", "cochran_q", "cramers_v", "mcnemar"]


def _expected(obs: NDArray[np.float64], name: str = "table") -> NDArray[np.float64]:
    rows, cols = obs.sum(axis=1), obs.sum(axis=0)
    for axis, sums in (("row", rows), ("column", cols)):
        if (sums == 0).any():
            i = int(np.flatnonzero(sums == 0)[0])
            raise ValidationError(
                f"{name} {axis} {i} is all zeros, so its expected counts are 0. Drop that {axis}.",
                argument=name,
                index=i,
            )
    return np.outer(rows, cols) / obs.sum()


def _phi_ci(chi2: float, df: float, den: float, confidence: float) -> tuple[float, float]:
    lo, hi = ncp_interval_chi2(chi2, df, confidence)
    return math.sqrt(lo / den), math.sqrt(hi / den)


def _cramers_v(obs: NDArray[np.float64], confidence: float, adjust: bool) -> EffectSize:
    expected = _expected(obs)
    chi2 = float(((obs - expected) ** 2 / expected).sum())
    r, c = obs.shape
    n = float(obs.sum())
    df = (r - 1) * (c - 1)
    phi = math.sqrt(chi2 / n)
    ci = _phi_ci(chi2, df, n, confidence)
    k, ell = float(r), float(c)
    if adjust:  # Bergsma (2013) bias correction, as effectsize::cramers_v(adjust = TRUE)
        k, ell = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)

        def fix(v: float) -> float:
            return math.sqrt(max(0.0, v * v - df / (n - 1)))

        phi, ci = fix(phi), (fix(ci[0]), fix(ci[1]))
    div = math.sqrt(min(k, ell) - 1)
    value = phi / div
    ci = (ci[0] / div, min(ci[1] / div, 1.0))
    name = "Cramér's V (adjusted)" if adjust else "Cramér's V"
    return make_effect(name, value, ci, confidence, "noncentral chi-square", "v", df_star=min(r, c) - 1)


def cramers_v(table: ArrayLike, *, adjust: bool = False, confidence: float = 0.95) -> EffectSize:
    """Cramér's V ``= sqrt(X² / (N·(min(r, c) − 1)))`` of a contingency table (Pearson X², no Yates).

    The interval inverts the noncentral chi-square (``effectsize::cramers_v``, two-sided). When X² is
    below its ``α/2`` null quantile (the table fits independence unusually well) both limits are 0 and the
    interval ``[0, 0]`` excludes the estimate — a property of the pivot method, kept for agreement with
    R. ``adjust=True`` applies Bergsma's (2013) bias correction. Labels use Cohen's w thresholds divided by
    ``sqrt(min(r, c) − 1)``.
    """
    level = check_confidence(confidence)
    return _cramers_v(as_count_table(table), level, adjust)


def chi_square(table: ArrayLike, *, correction: bool = True, confidence: float = 0.95) -> TestResult:
    """Pearson's chi-square test of independence, as R's ``chisq.test(table)``.

    ``X² = Σ (|O − E| − c)² / E`` with ``E = row·col/N`` and ``df = (r − 1)(c − 1)``. Yates' continuity
    correction (``correction=True``, R's default) applies only to 2×2 tables, with R's cap
    ``c = min(½, |O − E|)``. Effect size: Cramér's V (from the uncorrected X²) with its interval. A note
    warns when an expected count is below 5 (consider :func:`fisher_exact`).
    """
    level = check_confidence(confidence)
    obs = as_count_table(table)
    expected = _expected(obs)
    diff = np.abs(obs - expected)
    yates = np.minimum(0.5, diff) if correction and obs.shape == (2, 2) else 0.0
    stat = float(((diff - yates) ** 2 / expected).sum())
    df = float((obs.shape[0] - 1) * (obs.shape[1] - 1))
    notes = ()
    if (expected < 5).any():
        notes = (
            "some expected counts are below 5: the chi-square approximation may be inaccurate; "
            "consider fisher_exact()",
        )
    corrected = correction and obs.shape == (2, 2)
    return TestResult(
        test="chi_square[yates]" if corrected else "chi_square",
        method="Pearson's chi-square test" + (" with Yates' continuity correction" if corrected else ""),
        statistic=stat,
        statistic_name="X-squared",
        p_value=float(special.chdtrc(df, stat)),
        df=df,
        effect_size=_cramers_v(obs, level, adjust=False),
        n=int(obs.sum()),
        notes=notes,
    )


def chi_square_gof(
    observed: ArrayLike, expected: ArrayLike | None = None, *, ddof: int = 0, confidence: float = 0.95
) -> TestResult:
    """Chi-square goodness-of-fit test, as R's ``chisq.test(x, p = ...)``.

    ``expected`` may hold probabilities (summing to 1) or expected counts (summing to ``sum(observed)``);
    None means equal probabilities. ``X² = Σ (O − E)²/E``, ``df = k − 1 − ddof`` (``ddof`` = parameters
    estimated from the data). Effect size: Cohen's w ``= sqrt(X²/N)`` with a noncentral chi-square interval.
    """
    level = check_confidence(confidence)
    obs = as_count_vector(observed, "observed")
    n = float(obs.sum())
    k = obs.size
    if n == 0:
        raise ValidationError("observed holds no counts (sum is 0).", argument="observed")
    if expected is None:
        probs = np.full(k, 1.0 / k)
    else:
        e = as_count_vector(expected, "expected")
        if e.size != k:
            raise ValidationError(
                f"expected has {e.size} entries but observed has {k}.", argument="expected", n_expected=e.size
            )
        total = float(e.sum())
        if abs(total - 1.0) < 1e-8:
            probs = e
        elif abs(total - n) <= 1e-8 * max(n, 1.0):
            probs = e / n
        else:
            raise ValidationError(
                f"expected must sum to 1 (probabilities) or to sum(observed) = {n:g} (counts); it sums to {total:g}.",
                argument="expected",
                total=total,
            )
        if (probs == 0).any():
            i = int(np.flatnonzero(probs == 0)[0])
            raise ValidationError(
                f"expected[{i}] is 0; every category needs a positive expectation.",
                argument="expected",
                index=i,
            )
    exp_counts = n * probs
    stat = float(((obs - exp_counts) ** 2 / exp_counts).sum())
    df = float(k - 1 - ddof)
    if df < 1:
        raise ValidationError(f"df = k − 1 − ddof must be >= 1; got {df:g}.", argument="ddof", value=ddof)
    lo, hi = ncp_interval_chi2(stat, df, level)
    effect = make_effect(
        "Cohen's w",
        math.sqrt(stat / n),
        (math.sqrt(lo / n), math.sqrt(hi / n)),
        level,
        "noncentral chi-square",
        "w",
    )
    notes = (
        ("some expected counts are below 5: the chi-square approximation may be inaccurate",)
        if (exp_counts < 5).any()
        else ()
    )
    return TestResult(
        test="chi_square_gof",
        method="chi-square goodness-of-fit test",
        statistic=stat,
        statistic_name="X-squared",
        p_value=float(special.chdtrc(df, stat)),
        df=df,
        effect_size=effect,
        n=int(n),
        notes=notes,
    )


def mcnemar(
    table: ArrayLike,
    *,
    correction: bool = True,
    exact: bool | None = None,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
) -> TestResult:
    """McNemar's test for paired binary outcomes (and Bowker's symmetry test for r×r), as ``mcnemar.test``.

    For a 2×2 table ``[[a, b], [c, d]]`` (rows: condition 1 yes/no, columns: condition 2 yes/no) only the
    discordant pairs matter: ``X² = (|b − c| − 1)²/(b + c)`` with ``correction`` (R applies the 1 unless
    ``b == c``), ``df = 1``. ``exact=True`` — or by default when ``b + c < 25`` — uses the exact binomial
    test of ``b`` out of ``b + c`` at ½ instead (``statistic`` is then ``b``). A one-sided ``alternative``
    ("greater": condition 1 succeeds more often, i.e. ``b > c``) uses the exact test or the signed root of X².

    ``estimate`` is the difference of the marginal proportions ``(b − c)/N`` with the Agresti–Min (2005)
    interval (Wald after adding ½ to every cell); the effect size is the conditional odds ratio ``b/c`` with
    the exact interval mapped from Clopper–Pearson on ``b/(b + c)``. ``b + c = 0`` gives ``X² = 0, p = 1``.
    For r > 2: ``X² = Σ_{i<j} (n_ij − n_ji)²/(n_ij + n_ji)``, ``df = r(r − 1)/2`` (Bowker 1948).
    """
    check_alternative(alternative)
    level = check_confidence(confidence)
    obs = as_count_table(table, integer=True)
    r = obs.shape[0]
    if obs.shape[1] != r:
        raise ValidationError(f"table must be square (r × r); got shape {obs.shape}.", argument="table")
    n_total = int(obs.sum())
    if r > 2:
        iu = np.triu_indices(r, 1)
        up, lo = obs[iu], obs.T[iu]
        keep = (up + lo) > 0
        stat = float(((up[keep] - lo[keep]) ** 2 / (up[keep] + lo[keep])).sum())
        df = r * (r - 1) / 2.0
        return TestResult(
            test="mcnemar[bowker]",
            method="McNemar–Bowker test of symmetry",
            statistic=stat,
            statistic_name="X-squared",
            p_value=float(special.chdtrc(df, stat)),
            df=df,
            n=n_total,
        )
    b, c = int(obs[0, 1]), int(obs[1, 0])
    m = b + c
    use_exact = (m < 25) if exact is None else exact
    notes: list[str] = []
    if m == 0:
        stat, p, df, test = 0.0, 1.0, 1.0, "mcnemar"
        notes.append("no discordant pairs: the conditions never disagree (X² = 0, p = 1)")
        statistic_name = "X-squared"
    elif use_exact:
        stat, p, df, test = float(b), binomial_p_value(b, m, 0.5, alternative), None, "mcnemar[exact]"
        statistic_name = "b"
    else:
        corr = 1.0 if correction and b != c else 0.0
        stat = (abs(b - c) - corr) ** 2 / m
        df = 1.0
        test = "mcnemar[continuity]" if corr else "mcnemar"
        statistic_name = "X-squared"
        if alternative == "two-sided":
            p = float(special.chdtrc(1.0, stat))
        else:
            z = math.copysign(math.sqrt(stat), b - c)
            p = float(special.ndtr(-z)) if alternative == "greater" else float(special.ndtr(z))
    # Agresti & Min (2005): add 1/2 to each cell, Wald interval of p1. - p.1
    adj = obs + 0.5
    n_adj = float(adj.sum())
    d_adj = (adj[0, 1] - adj[1, 0]) / n_adj
    se = math.sqrt((adj[0, 1] + adj[1, 0]) / n_adj - d_adj**2) / math.sqrt(n_adj)
    z = float(special.ndtri(0.5 + one_sided_level(level, alternative) / 2.0))
    ci = (max(-1.0, d_adj - z * se), min(1.0, d_adj + z * se))
    if alternative == "less":
        ci = (-1.0, ci[1])
    elif alternative == "greater":
        ci = (ci[0], 1.0)
    effect = _discordant_odds_ratio(b, c, level)
    return TestResult(
        test=test,
        method="McNemar's test" + (" (exact binomial)" if test == "mcnemar[exact]" else ""),
        statistic=stat,
        statistic_name=statistic_name,
        p_value=p,
        df=df,
        ci=ci,
        confidence=level,
        estimate=(b - c) / n_total,
        estimate_name="difference in proportions",
        alternative=alternative,
        effect_size=effect,
        n=n_total,
        details={
            "b": float(b),
            "c": float(c),
            "p_row": float(obs[0].sum() / n_total),
            "p_col": float(obs[:, 0].sum() / n_total),
        },
        notes=tuple(notes),
    )


def _discordant_odds_ratio(b: int, c: int, confidence: float) -> EffectSize | None:
    if b + c == 0:
        return None
    from crucible_core.stats import clopper_pearson_ci

    lo, hi = clopper_pearson_ci(b, b + c, confidence=confidence)

    def odds(p: float) -> float:
        return math.inf if p >= 1.0 else p / (1.0 - p)

    value = math.inf if c == 0 else b / c
    return make_effect(
        "odds ratio (b/c)", value, (odds(lo), odds(hi)), confidence, "exact (Clopper–Pearson)", "or"
    )


def cochran_q(data: ArrayLike, *, nan_policy: NanPolicy = "raise") -> TestResult:
    """Cochran's Q test: do k conditions (columns) have the same success rate on the same items (rows)?

    ``Q = (k − 1)·(k·Σ C_j² − T²) / (k·T − Σ R_i²)`` with column totals ``C_j``, row totals ``R_i`` and
    grand total ``T``; ``Q ~ χ²(k − 1)``. It equals the tie-corrected Friedman statistic on the 0/1 matrix
    (the R reference uses ``friedman.test`` to check it). Effect size: Serlin's ``η²_Q = Q / (n(k − 1))``.
    A matrix whose rows are all constant gives ``Q = 0, p = 1``. Items (rows) with a missing outcome (NaN)
    are dropped with ``nan_policy="omit"``, as :func:`friedman` does. Reference: Cochran (1950), Biometrika 37.
    """
    check_nan_policy(nan_policy)
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):
        data = data.to_numpy()  # type: ignore[union-attr]
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        raise ValidationError(
            f"data must be a 2-D 0/1 matrix with items in rows and at least 2 conditions in columns; got shape {x.shape}.",
            argument="data",
        )
    finite = np.isfinite(x)
    if not finite.all():
        if nan_policy == "raise":
            i, j = (int(v) for v in np.argwhere(~finite)[0])
            raise ValidationError(
                f"data[{i}][{j}] is {float(x[i, j])!r}; every outcome must be 0 or 1. Pass nan_policy='omit' to drop "
                "items with a missing outcome.",
                argument="data",
                index=f"[{i}][{j}]",
            )
        x = x[finite.all(axis=1)]
        if x.shape[0] < 2:
            raise ValidationError(
                f"data has {x.shape[0]} complete items after dropping missing values; Cochran's Q needs at least 2.",
                argument="data",
                minimum=2,
            )
    bad = ~np.isin(x, (0.0, 1.0))
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValidationError(
            f"data[{i}][{j}] is {float(x[i, j])!r}; Cochran's Q needs 0/1 outcomes.",
            argument="data",
            index=f"[{i}][{j}]",
        )
    n, k = x.shape
    col, row = x.sum(axis=0), x.sum(axis=1)
    total = float(x.sum())
    den = k * total - float((row**2).sum())
    notes: tuple[str, ...] = ()
    if den == 0:
        q, p = 0.0, 1.0
        notes = ("every item has the same outcome under all conditions: Q = 0, p = 1",)
    else:
        q = (k - 1) * (k * float((col**2).sum()) - total**2) / den
        p = float(special.chdtrc(k - 1, q))
    effect = make_effect("η²_Q (Serlin)", q / (n * (k - 1)), None, None, None, "eta2")
    return TestResult(
        test="cochran_q",
        method="Cochran's Q test",
        statistic=q,
        statistic_name="Q",
        p_value=p,
        df=float(k - 1),
        effect_size=effect,
        n=n,
        details={f"p_{j + 1}": float(v) for j, v in enumerate(col / n)},
        notes=notes,
    )
