"""The public results: per-condition summaries, comparisons, robustness, the analysis and the run."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

__all__ = [
    "Analysis",
    "AttackSummary",
    "ConditionSummary",
    "LatencySummary",
    "MetricSummary",
    "PairwiseComparison",
]


def fmt(value: float | None, digits: int = 4) -> str:
    """A number for reports: ``n/a`` for None/NaN, else ``digits`` significant decimals."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def fmt_p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return "< 0.0001" if value < 1e-4 else f"{value:.4f}"


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (NaN and infinities become None)."""
        return _clean(self.model_dump(mode="json"))

    def _repr_markdown_(self) -> str:
        return "```\n" + self.summary() + "\n```"

    def summary(self) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class MetricSummary(_Result):
    """A metric's mean over items (repeats averaged per item) with its confidence interval.

    ``method``: ``wilson`` (0/1 scores, one sample per item), ``clt`` (Miller 2024, eq. 2) or
    ``clustered`` (eq. 4, items grouped by ``analysis.cluster_by``).
    """

    metric: str
    mean: float
    ci: tuple[float, float] | None
    standard_error: float | None
    n_items: int
    n_clusters: int | None = None
    method: str

    def summary(self) -> str:
        ci = "" if self.ci is None else f" [{fmt(self.ci[0])}, {fmt(self.ci[1])}]"
        return f"{self.metric} = {fmt(self.mean)}{ci} (n={self.n_items} items, {self.method})"


class LatencySummary(_Result):
    """Latency of successful tasks in seconds (quantiles are R type 7)."""

    n: int
    mean: float
    p50: float
    p90: float
    p99: float

    def summary(self) -> str:
        return f"latency mean {self.mean:.3f} s, p50 {self.p50:.3f} s, p90 {self.p90:.3f} s, p99 {self.p99:.3f} s"


class ConditionSummary(_Result):
    """One condition: outcome counts, metric means with CIs, cost, tokens, latency and error rate."""

    name: str
    kind: str
    tasks: int
    finished: int
    ok: int
    failed: int
    blocked: int
    pending: int
    error_rate: float | None
    error_rate_ci: tuple[float, float] | None
    metrics: tuple[MetricSummary, ...]
    cost_usd: float
    cost_per_task: float | None
    prompt_tokens: int
    completion_tokens: int
    latency: LatencySummary | None
    blocked_categories: dict[str, int]
    simulated: bool

    def metric(self, name: str) -> MetricSummary | None:
        return next((m for m in self.metrics if m.metric == name), None)

    def summary(self) -> str:
        parts = [f"{self.name}: {self.ok}/{self.tasks} ok, {self.failed} failed, {self.blocked} blocked"]
        parts += [m.summary() for m in self.metrics]
        parts.append(f"cost ${self.cost_usd:.6f}, tokens {self.prompt_tokens}+{self.completion_tokens}")
        if self.latency is not None:
            parts.append(self.latency.summary())
        return "; ".join(parts)


class PairwiseComparison(_Result):
    """Condition ``a`` versus ``b`` on one metric, paired by item (``estimate`` is ``a − b``).

    ``power`` is the power at the observed effect, ``minimum_detectable_effect`` the effect (named by
    ``minimum_detectable_effect_name``) the design detects with 80 % power, and
    ``power_at_minimum_effect`` the power to detect ``analysis.minimum_effect`` (in metric units) — each
    from the crucible-bench power function matching the test; ``power_note`` says when none exists.
    ``p_adjusted`` is adjusted across every test of the report (``Analysis.family_size``).
    """

    metric: str
    condition_a: str
    condition_b: str
    paired: bool
    n_pairs: int
    dropped_items: int
    mean_a: float
    mean_b: float
    estimate: float
    estimate_name: str
    ci: tuple[float, float] | None
    confidence: float
    test: str
    statistic: float | None
    p_value: float
    p_adjusted: float
    significant: bool
    effect_size_name: str | None = None
    effect_size: float | None = None
    effect_size_ci: tuple[float, float] | None = None
    effect_interpretation: str | None = None
    power: float | None = None
    minimum_detectable_effect: float | None = None
    minimum_detectable_effect_name: str | None = None
    power_at_minimum_effect: float | None = None
    power_note: str | None = None
    rationale: str
    conclusion: str

    def summary(self) -> str:
        return self.conclusion


class AttackSummary(_Result):
    """One attack on one condition: clean vs attacked on the primary metric, paired by item.

    The unit is the item (``n_pairs`` paired items; ``n_samples`` paired (item, repeat) samples). With one
    sample per item: ``drop`` = clean − attacked mean with the CI of :func:`crucible_bench.compare`
    (McNemar for 0/1 scores), ``success_rate`` = #(correct clean, wrong attacked) / #(correct clean) with
    a Wilson CI. With ``repeats`` > 1 the repeats of an item are not independent, so each item's clean
    and attacked scores are averaged first: ``drop`` and its CI and the test come from
    :func:`crucible_bench.compare` on the per-item means (``test`` says which, "... on per-item means"),
    and ``success_rate`` is the mean over items of each item's share of correct-clean repeats turned
    wrong, with a CLT interval over items (Miller 2024). Scores >= 0.5 count as correct;
    ``flipped_to_wrong`` / ``flipped_to_right`` count samples. ``p_adjusted`` is adjusted together with
    every other test of the report (one family).
    """

    condition: str
    attack: str
    metric: str
    n_pairs: int
    n_samples: int
    repeats: int = 1
    clean_mean: float
    attacked_mean: float
    drop: float
    drop_ci: tuple[float, float] | None
    success_rate: float | None
    success_rate_ci: tuple[float, float] | None
    flipped_to_wrong: int
    flipped_to_right: int
    test: str
    p_value: float
    p_adjusted: float
    changed_rate: float | None

    def summary(self) -> str:
        ci = "" if self.drop_ci is None else f" [{fmt(self.drop_ci[0])}, {fmt(self.drop_ci[1])}]"
        asr = fmt(self.success_rate)
        return (
            f"{self.condition} under {self.attack}: {self.metric} {fmt(self.clean_mean)} -> {fmt(self.attacked_mean)} "
            f"(drop {fmt(self.drop)}{ci}), attack success rate {asr}, {self.test} p = {fmt_p(self.p_value)} "
            f"(adjusted {fmt_p(self.p_adjusted)})"
        )


class Analysis(_Result):
    """Everything the reports show, computed from the results store alone."""

    primary_metric: str | None
    metrics: tuple[str, ...]
    alpha: float
    confidence: float
    correction: str
    tests: str
    minimum_effect: float | None
    conditions: tuple[ConditionSummary, ...]
    comparisons: tuple[PairwiseComparison, ...]
    robustness: tuple[AttackSummary, ...]
    conclusion: str
    notes: tuple[str, ...] = ()
    # the number of tests adjusted together: every pairwise comparison and every attack test
    family_size: int = 0

    def condition(self, name: str) -> ConditionSummary | None:
        return next((c for c in self.conditions if c.name == name), None)

    def summary(self) -> str:
        lines = [c.summary() for c in self.conditions]
        lines += [c.conclusion for c in self.comparisons]
        lines += [r.summary() for r in self.robustness]
        lines.append(self.conclusion)
        return "\n".join(lines)

    def to_frame(self) -> pl.DataFrame:
        """The main table: one row per condition and metric (mean, CI, n) with cost, tokens, error rate."""
        rows: list[dict[str, Any]] = []
        for cond in self.conditions:
            base = {
                "condition": cond.name,
                "ok": cond.ok,
                "failed": cond.failed,
                "blocked": cond.blocked,
                "error_rate": cond.error_rate,
                "cost_usd": cond.cost_usd,
                "prompt_tokens": cond.prompt_tokens,
                "completion_tokens": cond.completion_tokens,
            }
            metrics = cond.metrics or (None,)
            for metric in metrics:
                rows.append(
                    base
                    | {
                        "metric": None if metric is None else metric.metric,
                        "mean": None if metric is None else metric.mean,
                        "ci_low": None if metric is None or metric.ci is None else metric.ci[0],
                        "ci_high": None if metric is None or metric.ci is None else metric.ci[1],
                        "n_items": None if metric is None else metric.n_items,
                    }
                )
        return pl.DataFrame(rows, strict=False)

    def comparisons_frame(self) -> pl.DataFrame:
        return pl.DataFrame([c.to_dict() for c in self.comparisons], strict=False)
