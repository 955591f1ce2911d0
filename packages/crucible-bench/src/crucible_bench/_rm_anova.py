"""One-way repeated-measures ANOVA with sphericity corrections (Greenhouse–Geisser, Huynh–Feldt) and Mauchly."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import special

from crucible_bench._anova_effects import pve_effect
from crucible_bench._results import TestResult
from crucible_bench._validate import NanPolicy, check_choice, check_confidence, check_nan_policy
from crucible_core.errors import ValidationError

__all__ = ["rm_anova", "rm_anova_matrix", "wide_matrix"]


def wide_matrix(
    data: Any, subject: str, within: str, dv: str, *, nan_policy: NanPolicy = "raise"
) -> tuple[NDArray[np.float64], list[str], list[str]]:
    """Long data (one row per subject × condition) → ``(subjects × levels matrix, subjects, levels)``."""
    import polars as pl

    check_nan_policy(nan_policy)
    if isinstance(data, pl.DataFrame):
        frame = data
    else:
        try:
            # strict=False: a column mixing ints and floats (e.g. NaN for a missing score) becomes Float64
            frame = pl.DataFrame(data, strict=False)
        except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
            raise ValidationError(
                f"data could not be read as a table ({exc}). Pass a polars DataFrame or a mapping of "
                "equal-length columns {column: values}.",
                argument="data",
            ) from None
    for col in (subject, within, dv):
        if col not in frame.columns:
            raise ValidationError(
                f"column {col!r} is not in data; its columns are {frame.columns}.",
                argument="data",
                column=col,
            )
    try:
        frame = frame.select(
            pl.col(subject).cast(pl.Utf8).alias("s"),
            pl.col(within).cast(pl.Utf8).alias("w"),
            pl.col(dv).cast(pl.Float64).alias("y"),
        )
    except pl.exceptions.PolarsError:
        raise ValidationError(
            f"column {dv!r} of data must hold numbers (missing values as None or NaN); got dtype "
            f"{frame.schema[dv]}. Convert it to floats first.",
            argument="data",
            column=dv,
        ) from None
    dup = frame.group_by("s", "w").len().filter(pl.col("len") > 1)
    if dup.height:
        row = dup.row(0, named=True)
        raise ValidationError(
            f"subject {row['s']!r} has {row['len']} rows for {within} = {row['w']!r}; rm_anova needs one value per "
            "subject and condition. Average the repeats first (e.g. group_by + mean).",
            argument="data",
            subject=row["s"],
        )
    levels = list(dict.fromkeys(frame["w"].to_list()))
    subjects = list(dict.fromkeys(frame["s"].to_list()))
    s_idx = {s: i for i, s in enumerate(subjects)}
    w_idx = {w: j for j, w in enumerate(levels)}
    y = np.full((len(subjects), len(levels)), np.nan)
    for s, w, v in frame.iter_rows():
        y[s_idx[s], w_idx[w]] = np.nan if v is None else v
    bad = ~np.isfinite(y)
    if bad.any():
        if nan_policy != "omit":
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise ValidationError(
                f"subject {subjects[i]!r} has no finite {dv} for {within} = {levels[j]!r}. Complete the design or "
                "pass nan_policy='omit' to drop incomplete subjects.",
                argument="data",
                subject=subjects[i],
                level=levels[j],
            )
        keep_idx = np.flatnonzero(np.isfinite(y).all(axis=1))
        y = y[keep_idx]
        subjects = [subjects[int(i)] for i in keep_idx]
    return y, subjects, levels


def _contrasts(k: int) -> NDArray[np.float64]:
    """Orthonormal rows spanning the contrasts (orthogonal to the vector of ones)."""
    centring = np.eye(k) - 1.0 / k
    u, _, _ = np.linalg.svd(centring)
    return u[:, : k - 1].T


def rm_anova(
    data: Any,
    subject: str,
    within: str,
    dv: str,
    *,
    correction: Literal["gg", "hf", "none"] = "gg",
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> TestResult:
    """One-way repeated-measures ANOVA on long data (``subject``, ``within`` and ``dv`` columns).

    With ``s`` subjects and ``k`` conditions: ``F = MS_cond / MS_error`` where
    ``SS_error = SS_total − SS_cond − SS_subject`` and ``df = (k − 1, (k − 1)(s − 1))`` — R's
    ``aov(dv ~ within + Error(subject/within))``. Sphericity (R's ``anova.mlm(test = "Spherical")``):
    with ``λ`` the eigenvalues of the contrast-projected SSD matrix,

        ε_GG = (Σλ)² / ((k − 1) Σλ²)            (Greenhouse & Geisser 1959)
        ε_HF = (s(k − 1)ε_GG − 2) / ((k − 1)(s − 1 − (k − 1)ε_GG)), capped at 1   (Huynh & Feldt 1976)

    ``correction`` picks the reported ``p_value`` and ``df`` (both dfs times ε): Greenhouse–Geisser by
    default. ``details`` holds every variant (``p_uncorrected``, ``p_gg``, ``p_hf``, ``epsilon_gg``,
    ``epsilon_hf``) and Mauchly's test (``mauchly_w``, ``mauchly_p``, R's ``mauchly.test``).
    Effect size: partial η² ``SS_cond/(SS_cond + SS_error)`` with the noncentral-F interval (uncorrected
    dfs, ``effectsize``); generalized η² (Olejnik & Algina 2003) is in ``details``.
    """
    check_choice(correction, "correction", ("gg", "hf", "none"))
    level = check_confidence(confidence)
    y, _, _ = wide_matrix(data, subject, within, dv, nan_policy=nan_policy)
    return rm_anova_matrix(y, correction=correction, confidence=level)


def rm_anova_matrix(
    y: NDArray[np.float64], *, correction: Literal["gg", "hf", "none"] = "gg", confidence: float = 0.95
) -> TestResult:
    """:func:`rm_anova` on a complete subjects × conditions matrix."""
    level = confidence
    s, k = y.shape
    if k < 2 or s < 2:
        raise ValidationError(
            f"rm_anova needs at least 2 subjects and 2 conditions with complete data; got {s} and {k}.",
            argument="data",
            minimum=2,
        )
    grand = float(y.mean())
    ss_cond = s * float(((y.mean(axis=0) - grand) ** 2).sum())
    ss_subj = k * float(((y.mean(axis=1) - grand) ** 2).sum())
    ss_total = float(((y - grand) ** 2).sum())
    ss_err = max(ss_total - ss_cond - ss_subj, 0.0)
    df1, df2 = float(k - 1), float((k - 1) * (s - 1))
    notes: list[str] = []
    if ss_err <= 1e-12 * max(ss_total, 1e-300):
        f = 0.0 if ss_cond == 0 else math.inf
        notes.append("zero error variance: every subject shows the same pattern, F is 0 or inf")
    else:
        f = (ss_cond / df1) / (ss_err / df2)
    centred = y - y.mean(axis=0)
    t = _contrasts(k)
    b = t @ (centred.T @ centred) @ t.T
    lam = np.linalg.eigvalsh(b)
    pp = k - 1
    n = s - 1
    eps_gg = float(lam.sum() ** 2 / (lam**2).sum() / pp) if (lam**2).sum() > 0 else 1.0
    eps_hf = ((n + 1) * pp * eps_gg - 2) / (pp * (n - pp * eps_gg)) if n - pp * eps_gg != 0 else 1.0
    eps_hf_capped = min(1.0, eps_hf)

    def p_of(eps: float) -> float:
        if not math.isfinite(f):
            return 0.0
        return float(special.fdtrc(df1 * eps, df2 * eps, f))

    p_unc, p_gg, p_hf = p_of(1.0), p_of(eps_gg), p_of(eps_hf_capped)
    details = {
        "ss_condition": ss_cond,
        "ss_subject": ss_subj,
        "ss_error": ss_err,
        "p_uncorrected": p_unc,
        "p_gg": p_gg,
        "p_hf": p_hf,
        "epsilon_gg": eps_gg,
        "epsilon_hf": eps_hf,
        "generalized_eta_squared": ss_cond / (ss_cond + ss_subj + ss_err) if ss_total > 0 else 0.0,
        "n_subjects": float(s),
    }
    if k > 2 and s > k - 1 and np.linalg.det(b) > 0:
        log_w = math.log(np.linalg.det(b)) - pp * math.log(np.trace(b) / pp)
        rho = 1 - (2 * pp**2 + pp + 2) / (6 * pp * n)
        # R's mauchly.test.SSD uses p = k (not k - 1) in the "3 * p" term; kept for agreement
        w2 = (
            (pp + 2) * (pp - 1) * (pp - 2) * (2 * pp**3 + 6 * pp**2 + 3 * k + 2) / (288 * (n * pp * rho) ** 2)
        )
        z = -n * rho * log_w
        dof = pp * (pp + 1) / 2 - 1
        pr1, pr2 = float(special.chdtrc(dof, z)), float(special.chdtrc(dof + 4, z))
        details["mauchly_w"] = math.exp(log_w)
        details["mauchly_p"] = pr1 + w2 * (pr2 - pr1)
    eps = {"gg": eps_gg, "hf": eps_hf_capped, "none": 1.0}[correction]
    p = {"gg": p_gg, "hf": p_hf, "none": p_unc}[correction]
    effect = (
        pve_effect("eta2", f, df1, df2, level, name="partial η²")
        if math.isfinite(f) and f > 0
        else pve_effect("eta2", 0.0, df1, df2, level, name="partial η²")
        if f == 0
        else None
    )
    label = {"gg": "greenhouse-geisser", "hf": "huynh-feldt", "none": "uncorrected"}[correction]
    return TestResult(
        test=f"rm_anova[{label}]",
        method="repeated-measures ANOVA"
        + ("" if correction == "none" else f" ({label.replace('-', '–').title()})"),
        statistic=f,
        statistic_name="F",
        p_value=p,
        df=(df1 * eps, df2 * eps),
        effect_size=effect,
        n=s * k,
        details=details,
        notes=tuple(notes),
    )
