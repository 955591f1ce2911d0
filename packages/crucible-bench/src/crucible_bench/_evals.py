"""Error bars for LLM evaluations, after Miller (2024), "Adding Error Bars to Evals" (arXiv:2411.00640).

An eval score is a mean over questions; its uncertainty comes from which questions were asked
(between-question variance) and, for sampled answers, from the model's randomness (within-question
variance). Formulas (with ``s_i`` the score of question i, averaged over its ``K`` samples, ``n``
questions and ``e_i = s_i − s̄``):

* CLT standard error (eq. 2): ``SE = sqrt(Σ e_i² / (n(n − 1)))``.
* clustered standard error (eq. 4), questions grouped in clusters c (e.g. several questions on one
  passage): ``SE_c² = SE² + (1/n²) Σ_c Σ_{i≠j ∈ c} e_i e_j``.
* resampling (§3): averaging K samples per question removes ``σ̄²(1 − 1/K)/n`` of the variance of the
  mean, where ``σ̄²`` is the mean within-question variance.
* paired differences (§4, eq. 7): ``Var(s_A − s_B) = Var(s_A) + Var(s_B) − 2 Cov(s_A, s_B)``.
* sample size (§5): ``n = (z_{1−α/2} + z_{power})² (ω_A² + ω_B² − 2ρ ω_A ω_B + (σ_A² + σ_B²)/K) / δ²``.

Intervals and tests use the normal distribution, as the paper does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crucible_bench._format import fmt_ci, fmt_num, fmt_p
from crucible_bench._results import PowerResult, ResultModel
from crucible_bench._validate import (
    NanPolicy,
    check_confidence,
    check_nan_policy,
    check_number,
    check_probability,
)
from crucible_core.errors import ValidationError

__all__ = ["EvalDifference", "EvalMean", "eval_mean", "eval_sample_size", "paired_eval_difference"]


class EvalMean(ResultModel):
    """Mean eval score with its standard error (clustered when clusters were given) and CI."""

    mean: float
    standard_error: float
    ci: tuple[float, float]
    confidence: float
    n_questions: int
    n_clusters: int | None = None
    repeats: float = 1.0
    standard_error_clt: float
    within_question_variance: float | None = None
    standard_error_single_sample: float | None = None
    variance_reduction: float | None = None

    def summary(self) -> str:
        text = (
            f"mean score = {fmt_num(self.mean, 4)} (SE {fmt_num(self.standard_error, 4)}), "
            f"{fmt_ci(self.ci, self.confidence, 4)}, n = {self.n_questions} questions"
        )
        if self.n_clusters is not None:
            text += f" in {self.n_clusters} clusters (clustered SE; CLT SE would be {fmt_num(self.standard_error_clt, 4)})"
        if self.variance_reduction is not None:
            text += f"; {fmt_num(self.repeats, 3)} samples per question cut the variance by {self.variance_reduction:.0%}"
        return text + "."


class EvalDifference(ResultModel):
    """Paired difference of two models' eval scores on the same questions."""

    difference: float
    standard_error: float
    ci: tuple[float, float]
    confidence: float
    z: float
    p_value: float
    n_questions: int
    n_clusters: int | None = None
    correlation: float
    standard_error_unpaired: float

    def summary(self) -> str:
        return (
            f"difference (a − b) = {fmt_num(self.difference, 4)} (paired SE {fmt_num(self.standard_error, 4)}), "
            f"{fmt_ci(self.ci, self.confidence, 4)}, z = {fmt_num(self.z)}, {fmt_p(self.p_value)}; "
            f"question-level correlation {fmt_num(self.correlation)} (unpaired SE would be "
            f"{fmt_num(self.standard_error_unpaired, 4)}), n = {self.n_questions}."
        )


_OMIT_HINT = "Remove it or pass nan_policy='omit' to drop that question"


def _as_scores(scores: Any, name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{name} must hold numeric scores (one per question, or questions × samples).", argument=name
        ) from None
    if arr.ndim not in (1, 2):
        raise ValidationError(
            f"{name} must be 1-D (one score per question) or 2-D (questions × samples); got shape {arr.shape}.",
            argument=name,
            shape=str(arr.shape),
        )
    return arr


def _question_scores(
    scores: Any, repeats: ArrayLike | None, name: str, nan_policy: NanPolicy = "raise"
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, float, NDArray[np.bool_]]:
    """Per-question mean scores, within variances (or None), mean samples per question, questions kept.

    The last item marks, over the questions as given (rows, scores, or the sorted ``repeats`` labels), the
    ones kept: with ``nan_policy="omit"`` a question with a non-finite score is dropped (a single
    non-finite sample drops only that sample when ``repeats`` labels the samples).
    """
    arr = _as_scores(scores, name)
    finite = np.isfinite(arr)
    if arr.ndim == 2:
        keep: NDArray[np.bool_] = np.asarray(finite.all(axis=1), dtype=bool)
        if not keep.all():
            i, j = (int(v) for v in np.argwhere(~finite)[0])
            if nan_policy == "raise":
                raise ValidationError(
                    f"{name}[{i}][{j}] is {float(arr[i, j])!r}; every score must be finite. {_OMIT_HINT}.",
                    argument=name,
                    index=f"[{i}][{j}]",
                )
            arr = arr[keep]
        k = arr.shape[1]
        within = np.var(arr, axis=1, ddof=1) if k >= 2 else None
        return arr.mean(axis=1), within, float(k), keep
    if not finite.all() and nan_policy == "raise":
        i = int(np.flatnonzero(~finite)[0])
        raise ValidationError(
            f"{name}[{i}] is {float(arr[i])!r}; every score must be finite. {_OMIT_HINT}.",
            argument=name,
            index=i,
            value=float(arr[i]),
        )
    if repeats is None:
        return arr[finite], None, 1.0, finite
    labels = np.asarray(repeats)
    if labels.shape != arr.shape:
        raise ValidationError(
            f"repeats must give one question label per score ({arr.size}); got {labels.size}.",
            argument="repeats",
        )
    questions, inverse_all = np.unique(labels, return_inverse=True)
    kept_questions = np.zeros(questions.size, dtype=bool)
    kept_questions[inverse_all[finite]] = True
    flat = arr[finite]
    _, inverse, counts = np.unique(labels[finite], return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=flat)
    means = sums / counts
    sq = np.bincount(inverse, weights=(flat - means[inverse]) ** 2)
    within = np.where(counts >= 2, sq / np.maximum(counts - 1, 1), np.nan)
    return means, (within if (counts >= 2).all() else None), float(counts.mean()), kept_questions


def _kept_clusters(
    clusters: ArrayLike | None, keep: NDArray[np.bool_], what: str = "question"
) -> NDArray[Any] | None:
    """The cluster labels of the questions kept (labels are given for every question, before omission)."""
    if clusters is None:
        return None
    labels = np.asarray(clusters)
    if labels.shape != keep.shape:
        raise ValidationError(
            f"clusters must give one label per {what} ({keep.size}); got {labels.size}.", argument="clusters"
        )
    return labels[keep]


def _clustered_se(
    e: NDArray[np.float64], se_clt: float, clusters: ArrayLike | None
) -> tuple[float, int | None]:
    if clusters is None:
        return se_clt, None
    labels = np.asarray(clusters)
    if labels.shape != e.shape:
        raise ValidationError(
            f"clusters must give one label per question ({e.size}); got {labels.size}.", argument="clusters"
        )
    _, inverse = np.unique(labels, return_inverse=True)
    sums = np.bincount(inverse, weights=e)
    n = e.size
    cross = (float((sums**2).sum()) - float((e**2).sum())) / (n * n)
    return math.sqrt(max(se_clt**2 + cross, 0.0)), int(sums.size)


def eval_mean(
    scores: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    repeats: ArrayLike | None = None,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> EvalMean:
    """Mean eval score with a CLT (or clustered) standard error and a normal CI (Miller 2024, §2–3).

    ``scores``: one score per question (1-D), a questions × samples matrix (2-D, K answers sampled per
    question), or a flat array with ``repeats`` labelling the question of each score. ``clusters``: one
    label per question. With several samples per question the result also reports the mean
    within-question variance, the SE a single sample per question would have had, and the fraction of
    variance removed by resampling. A non-finite score raises a ``ValidationError`` naming it, unless
    ``nan_policy="omit"``: then that question (that sample, when ``repeats`` labels samples) is dropped,
    together with its cluster label (``clusters`` still gives one label per question as passed).

        >>> r = eval_mean([1, 0, 1, 1, 0, 1, 1, 1])
        >>> round(r.mean, 3), round(r.standard_error, 3)
        (0.75, 0.164)
    """
    level = check_confidence(confidence)
    check_nan_policy(nan_policy)
    s, within, k, keep = _question_scores(scores, repeats, "scores", nan_policy)
    clusters = _kept_clusters(clusters, keep)
    n = s.size
    if n < 2:
        raise ValidationError("eval_mean needs at least 2 questions.", argument="scores", minimum=2)
    mean = float(s.mean())
    e = s - mean
    se_clt = math.sqrt(float((e**2).sum()) / (n * (n - 1)))
    se, n_clusters = _clustered_se(e, se_clt, clusters)
    z = float(special.ndtri(0.5 + level / 2))
    fields: dict[str, Any] = {}
    if within is not None and k > 1:
        sigma2 = float(within.mean())
        var_mean_single = (float(np.var(s, ddof=1)) + sigma2 * (1 - 1 / k)) / n
        fields = {
            "within_question_variance": sigma2,
            "standard_error_single_sample": math.sqrt(var_mean_single),
            "variance_reduction": 1 - se_clt**2 / var_mean_single if var_mean_single > 0 else 0.0,
        }
    return EvalMean(
        mean=mean,
        standard_error=se,
        ci=(mean - z * se, mean + z * se),
        confidence=level,
        n_questions=n,
        n_clusters=n_clusters,
        repeats=k,
        standard_error_clt=se_clt,
        **fields,
    )


def paired_eval_difference(
    a: ArrayLike,
    b: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
) -> EvalDifference:
    """Paired difference of two models scored on the same questions (Miller 2024, §4).

    ``a`` and ``b`` hold one score per question (or questions × samples, averaged per question). The SE
    of the mean difference is ``sqrt(Var(a − b)/n)`` — clustered when ``clusters`` is given — which is
    smaller than the unpaired ``sqrt((Var a + Var b)/n)`` by the covariance term; both are reported.
    With ``nan_policy="omit"`` a question with a non-finite score in ``a`` or ``b`` is dropped from both
    (and from ``clusters``); by default it raises a ``ValidationError`` naming the score.
    """
    level = check_confidence(confidence)
    check_nan_policy(nan_policy)
    raw_a, raw_b = _as_scores(a, "a"), _as_scores(b, "b")
    if raw_a.shape[0] != raw_b.shape[0]:
        raise ValidationError(
            f"a and b must score the same questions; got {raw_a.shape[0]} and {raw_b.shape[0]} scores.",
            argument="b",
        )
    sa, _, _, keep_a = _question_scores(raw_a, None, "a", nan_policy)
    sb, _, _, keep_b = _question_scores(raw_b, None, "b", nan_policy)
    keep = keep_a & keep_b
    if not keep.all():  # omit: drop a question missing in either model from both
        sa, sb = sa[keep[keep_a]], sb[keep[keep_b]]
    clusters = _kept_clusters(clusters, keep)
    n = sa.size
    if n < 2:
        raise ValidationError(
            f"paired_eval_difference needs at least 2 questions scored by both models; got {n}.",
            argument="a",
            minimum=2,
        )
    d = sa - sb
    mean = float(d.mean())
    e = d - mean
    se_clt = math.sqrt(float((e**2).sum()) / (n * (n - 1)))
    se, n_clusters = _clustered_se(e, se_clt, clusters)
    z_crit = float(special.ndtri(0.5 + level / 2))
    if se > 0:
        z = mean / se
        p = float(min(1.0, 2 * special.ndtr(-abs(z))))
    else:
        z = 0.0 if mean == 0 else math.copysign(math.inf, mean)
        p = 1.0 if mean == 0 else 0.0
    va, vb = float(np.var(sa, ddof=1)), float(np.var(sb, ddof=1))
    corr = float(np.corrcoef(sa, sb)[0, 1]) if va > 0 and vb > 0 else 0.0
    return EvalDifference(
        difference=mean,
        standard_error=se,
        ci=(mean - z_crit * se, mean + z_crit * se),
        confidence=level,
        z=z,
        p_value=p,
        n_questions=n,
        n_clusters=n_clusters,
        correlation=corr,
        standard_error_unpaired=math.sqrt((va + vb) / n),
    )


def _one_or_two(value: Any, name: str, *, low_open: bool) -> tuple[float, float]:
    """One number for both models, or a pair ``(model a, model b)``; each finite and > 0 (>= 0)."""
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValidationError(
                f"{name} must be one number or a pair (model a, model b); got {len(value)} values.",
                argument=name,
            )
        pair = (value[0], value[1])
    else:
        pair = (value, value)
    a, b = (check_number(v, name, low=0.0, low_open=low_open) for v in pair)
    return a, b


def eval_sample_size(
    effect: float,
    *,
    paired_correlation: float = 0.0,
    sd: float | tuple[float, float] | None = None,
    baseline: float | None = None,
    repeats: int = 1,
    within_variance: float | tuple[float, float] = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> PowerResult:
    """Questions needed to detect a paired difference ``effect`` between two models (Miller 2024, §5).

    ``n = (z_{1−α/2} + z_{power})² · (ω_A² + ω_B² − 2ρ·ω_A·ω_B + (σ_A² + σ_B²)/K) / δ²`` with ``ω`` the SDs
    of question-level scores (``sd``; or ``sqrt(p(1 − p))`` from a ``baseline`` accuracy), ``ρ`` their
    correlation (``paired_correlation``), ``σ²`` the within-question variances and ``K = repeats``.
    ``sd`` must be finite and > 0, ``within_variance`` finite and >= 0 (each one number or an ``(a, b)``
    pair), ``repeats`` a whole number >= 1; anything else raises a ``ValidationError`` naming it.
    """
    effect = check_number(effect, "effect")
    if effect == 0:
        raise ValidationError(
            f"effect must be a non-zero finite difference; got {effect!r}.", argument="effect"
        )
    paired_correlation = check_number(paired_correlation, "paired_correlation", low=-1.0, high=1.0)
    alpha = check_probability(alpha, "alpha")
    power = check_probability(power, "power")
    if isinstance(repeats, bool) or not isinstance(repeats, int | np.integer) or repeats < 1:
        raise ValidationError(
            f"repeats must be a whole number >= 1 (samples per question); got {repeats!r}.",
            argument="repeats",
            value=repr(repeats),
        )
    if sd is None:
        if baseline is None:
            raise ValidationError(
                "pass sd= (SD of question scores) or baseline= (an accuracy).", argument="sd"
            )
        p = check_probability(baseline, "baseline")
        wa = wb = math.sqrt(p * (1 - p))
    else:
        wa, wb = _one_or_two(sd, "sd", low_open=True)
    sa2, sb2 = _one_or_two(within_variance, "within_variance", low_open=False)
    var_d = wa * wa + wb * wb - 2 * paired_correlation * wa * wb + (sa2 + sb2) / repeats
    z = float(special.ndtri(1 - alpha / 2)) + float(special.ndtri(power))
    n = z * z * var_d / (effect * effect)
    return PowerResult(
        test="paired eval difference (Miller 2024)",
        n=n,
        effect_size=float(effect),
        effect_size_name="δ (score units)",
        power=power,
        alpha=alpha,
        solved_for="n",
        details={
            "sd_a": wa,
            "sd_b": wb,
            "paired_correlation": paired_correlation,
            "repeats": float(repeats),
            "variance_of_difference": var_d,
        },
    )
