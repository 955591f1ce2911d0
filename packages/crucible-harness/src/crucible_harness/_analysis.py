"""The analysis of a run, from the results store alone (so a resumed run analyses like an uninterrupted one).

Per condition (clean items): each metric's mean over items, repeats averaged per item first, with a CI —
Wilson for 0/1 scores with one sample per item, else the CLT standard error of Miller (2024, "Adding
Error Bars to Evals", eq. 2), clustered (eq. 4) when ``analysis.cluster_by`` groups items. Cost, tokens,
latency percentiles (R type 7) and the error rate (Wilson CI).

Pairwise: every pair of conditions (or each against ``analysis.baseline``) on every metric, paired by
item, through :func:`crucible_bench.compare` (McNemar for 0/1, paired t or Wilcoxon otherwise) or the
named test, with power and minimum detectable effects (:mod:`crucible_harness._power`). Robustness: each
attack on each condition (:mod:`crucible_harness._robustness`). All p-values of the report — every
pairwise comparison and every attack test — are one family, adjusted together with
:func:`crucible_bench.p_adjust` (``Analysis.family_size`` tests).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import crucible_bench as cb
from crucible_core.errors import ValidationError
from crucible_core.stats import quantile, wilson_ci
from crucible_harness._conclusion import comparison_conclusion, overall_conclusion
from crucible_harness._power import PowerSummary, power_at_minimum, power_summary
from crucible_harness._results import (
    Analysis,
    AttackSummary,
    ConditionSummary,
    LatencySummary,
    MetricSummary,
    PairwiseComparison,
)
from crucible_harness._robustness import attack_tests
from crucible_harness._spec import AnalysisSpec

__all__ = ["analyse", "item_means"]

Rows = Sequence[Mapping[str, Any]]


def metric_names(rows: Rows, declared: Sequence[str]) -> list[str]:
    """Score names in the order metrics were declared, then in order of appearance."""
    seen: dict[str, None] = dict.fromkeys(declared)
    present: set[str] = set()
    for row in rows:
        for key in row["scores"]:
            present.add(key)
            seen.setdefault(key, None)
    return [name for name in seen if name in present]


def item_means(rows: Rows, metric: str) -> dict[str, float]:
    """item id -> mean score over its repeats (items without the score are left out), in row order."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in rows:
        value = row["scores"].get(metric)
        if value is None:
            continue
        item = row["item_id"]
        sums[item] = sums.get(item, 0.0) + float(value)
        counts[item] = counts.get(item, 0) + 1
    return {item: sums[item] / counts[item] for item in sums}


def _metric_summary(
    metric: str, rows: Rows, clusters: Mapping[str, Any] | None, confidence: float, repeats_seen: int
) -> MetricSummary | None:
    means = item_means(rows, metric)
    if not means:
        return None
    values = np.fromiter(means.values(), dtype=np.float64, count=len(means))
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return MetricSummary(
            metric=metric, mean=mean, ci=None, standard_error=None, n_items=n, method="single item"
        )
    binary = bool(np.isin(values, (0.0, 1.0)).all())
    if clusters is not None:
        labels = [str(clusters.get(item)) for item in means]
        result = cb.eval_mean(values, clusters=labels, confidence=confidence)
        return MetricSummary(
            metric=metric, mean=mean, ci=result.ci, standard_error=result.standard_error, n_items=n,
            n_clusters=result.n_clusters, method="clustered",
        )  # fmt: skip
    if binary and repeats_seen <= 1:
        interval = wilson_ci(int(values.sum()), n, confidence=confidence)
        se = math.sqrt(mean * (1 - mean) / n)
        return MetricSummary(
            metric=metric,
            mean=mean,
            ci=(interval.low, interval.high),
            standard_error=se,
            n_items=n,
            method="wilson",
        )
    result = cb.eval_mean(values, confidence=confidence)
    return MetricSummary(
        metric=metric, mean=mean, ci=result.ci, standard_error=result.standard_error, n_items=n, method="clt"
    )


def _latency(rows: Rows) -> LatencySummary | None:
    values = [float(r["latency_s"]) for r in rows if r["status"] == "ok" and r["latency_s"] is not None]
    if not values:
        return None
    arr = np.asarray(values)
    p50, p90, p99 = (float(v) for v in quantile(arr, [0.5, 0.9, 0.99]))
    return LatencySummary(n=arr.size, mean=float(arr.mean()), p50=p50, p90=p90, p99=p99)


def _condition_summary(
    name: str, kind: str, rows: Rows, planned: int, metrics: Sequence[str],
    clusters: Mapping[str, Any] | None, spec: AnalysisSpec,
) -> ConditionSummary:  # fmt: skip
    clean = [r for r in rows if r["variant"] == "clean"]
    ok_clean = [r for r in clean if r["status"] == "ok"]
    counts = {"ok": 0, "failed": 0, "blocked": 0}
    blocked: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        if row["status"] == "blocked":
            guard = (row.get("metadata") or {}).get("guard") or {}
            findings = guard.get("findings") or [{"category": "unspecified"}]
            for category in {str(f.get("category", "unspecified")) for f in findings}:
                blocked[category] += 1  # tasks blocked per category
    finished = len(rows)
    repeats_seen = max((r["repeat"] for r in clean), default=0) + 1
    summaries = [_metric_summary(m, ok_clean, clusters, spec.confidence, repeats_seen) for m in metrics]
    error_ci = None
    if finished:
        interval = wilson_ci(counts["failed"], finished, confidence=spec.confidence)
        error_ci = (interval.low, interval.high)
    cost = float(sum(r["cost_usd"] or 0.0 for r in rows))
    return ConditionSummary(
        name=name, kind=kind, tasks=planned, finished=finished, ok=counts["ok"], failed=counts["failed"],
        blocked=counts["blocked"], pending=planned - finished,
        error_rate=counts["failed"] / finished if finished else None, error_rate_ci=error_ci,
        metrics=tuple(s for s in summaries if s is not None), cost_usd=cost,
        cost_per_task=cost / finished if finished else None,
        prompt_tokens=int(sum(r["prompt_tokens"] or 0 for r in rows)),
        completion_tokens=int(sum(r["completion_tokens"] or 0 for r in rows)),
        latency=_latency(rows), blocked_categories=dict(sorted(blocked.items())),
        simulated=any(r["simulated"] for r in rows),
    )  # fmt: skip


def _named_test(test: str, x: np.ndarray, y: np.ndarray, spec: AnalysisSpec, seed: int) -> Any:
    """Run the declared test (AnalysisSpec refuses the paired-only tests with ``paired=False``)."""
    if test == "ttest":
        return cb.ttest(x, y, paired=spec.paired, confidence=spec.confidence)
    if test == "permutation":
        return cb.permutation_test(x, y, paired=spec.paired, n_resamples=spec.n_resamples, seed=seed)
    if test == "wilcoxon":
        return cb.wilcoxon(x, y, conf_int=True, confidence=spec.confidence)
    if test == "sign":
        return cb.sign_test(x, y, confidence=spec.confidence)
    if not (np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all()):
        raise ValidationError(
            "tests='mcnemar' needs 0/1 scores with one sample per item", argument="analysis.tests"
        )
    b = int(((x == 1) & (y == 0)).sum())
    c = int(((x == 0) & (y == 1)).sum())
    both = int(((x == 1) & (y == 1)).sum())
    return cb.mcnemar([[both, b], [c, x.size - both - b - c]], confidence=spec.confidence)


def _power_fields(power: PowerSummary) -> dict[str, Any]:
    return {
        "power": power.power, "minimum_detectable_effect": power.mde, "minimum_detectable_effect_name": power.mde_name,
        "power_at_minimum_effect": power.at_minimum, "power_note": power.note,
    }  # fmt: skip


def compare_pair(
    metric: str, a: str, b: str, means_a: Mapping[str, float], means_b: Mapping[str, float], spec: AnalysisSpec,
    seed: int,
) -> dict[str, Any] | None:  # fmt: skip
    """The fields of a :class:`PairwiseComparison` before multiplicity adjustment (None: too few items).

    ``tests="auto"`` runs :func:`crucible_bench.compare`; a named test is run as declared (paired or not,
    as ``analysis.paired`` says). Power, the minimum detectable effect and the power at
    ``minimum_effect`` come from the matching crucible-bench power function (:mod:`crucible_harness._power`).
    """
    common = [item for item in means_a if item in means_b]
    dropped = len(set(means_a) ^ set(means_b))
    if spec.paired:
        x = np.array([means_a[i] for i in common])
        y = np.array([means_b[i] for i in common])
    else:
        x, y = np.fromiter(means_a.values(), float), np.fromiter(means_b.values(), float)
        dropped = 0
    if min(x.size, y.size) < 2:
        return None
    fields: dict[str, Any] = {
        "metric": metric, "condition_a": a, "condition_b": b, "paired": spec.paired,
        "n_pairs": int(x.size) if spec.paired else int(min(x.size, y.size)), "dropped_items": dropped,
        "mean_a": float(x.mean()), "mean_b": float(y.mean()), "confidence": spec.confidence,
    }  # fmt: skip
    if spec.paired and np.array_equal(x, y):
        return fields | {
            "estimate": 0.0, "estimate_name": "difference in means", "ci": (0.0, 0.0), "test": "none (identical)",
            "statistic": None, "p_value": 1.0,
            "rationale": "both conditions scored identically on every item, so no test is needed (p = 1)",
        }  # fmt: skip
    binary = bool(np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all())
    if spec.tests == "auto":
        cmp = cb.compare(
            x, y, paired=spec.paired, alpha=spec.alpha, confidence=spec.confidence, labels=(a, b)
        )
        effect = cmp.effect_size
        mde = cmp.minimum_detectable_effect
        at_minimum = power_at_minimum(
            "auto", x, y, paired=spec.paired, binary=cmp.kind == "binary", alpha=spec.alpha,
            minimum=spec.minimum_effect,
        )  # fmt: skip
        return fields | {
            "estimate": cmp.estimate, "estimate_name": cmp.estimate_name, "ci": cmp.ci, "test": cmp.test.test,
            "statistic": cmp.test.statistic, "p_value": cmp.p_value, "rationale": cmp.rationale,
            "effect_size_name": None if effect is None else effect.name,
            "effect_size": None if effect is None else effect.value,
            "effect_size_ci": None if effect is None else effect.ci,
            "effect_interpretation": None if effect is None else effect.interpretation,
            "power": None if cmp.power is None else cmp.power.power,
            "minimum_detectable_effect": None if mde is None else mde.effect_size,
            "minimum_detectable_effect_name": None if mde is None else mde.effect_size_name,
            "power_at_minimum_effect": at_minimum,
        }  # fmt: skip
    result = _named_test(spec.tests, x, y, spec, seed)
    effect = result.effect_size
    power = power_summary(
        spec.tests, x, y, paired=spec.paired, binary=binary, alpha=spec.alpha, minimum=spec.minimum_effect,
        effect=None if effect is None else effect.value,
    )  # fmt: skip
    return fields | {
        "estimate": result.estimate if result.estimate is not None else float(x.mean() - y.mean()),
        "estimate_name": result.estimate_name or "difference in means", "ci": result.ci, "test": result.test,
        "statistic": result.statistic, "p_value": result.p_value,
        "rationale": f"analysis.tests={spec.tests!r} was declared",
        "effect_size_name": None if effect is None else effect.name,
        "effect_size": None if effect is None else effect.value,
        "effect_size_ci": None if effect is None else effect.ci,
        "effect_interpretation": None if effect is None else effect.interpretation,
        **_power_fields(power),
    }  # fmt: skip


def _pairs(conditions: Sequence[str], baseline: str | None) -> list[tuple[str, str]]:
    if baseline is not None:
        return [(c, baseline) for c in conditions if c != baseline]
    return [
        (conditions[i], conditions[j]) for i in range(len(conditions)) for j in range(i + 1, len(conditions))
    ]


def analyse(
    rows: Rows,
    *,
    conditions: Sequence[tuple[str, str]],
    planned: Mapping[str, int],
    declared_metrics: Sequence[str],
    spec: AnalysisSpec,
    items: Sequence[Mapping[str, Any]],
    hypothesis: str | None,
    seed: int,
) -> Analysis:
    """The :class:`Analysis` of outcome ``rows`` (see the module docstring).

    ``conditions`` are (name, kind) in declaration order; ``planned`` the planned task count per condition.
    """
    by_condition: dict[str, list[Mapping[str, Any]]] = {name: [] for name, _ in conditions}
    for row in rows:
        by_condition.setdefault(row["condition"], []).append(row)
    metrics = metric_names(rows, declared_metrics)
    notes: list[str] = []
    clusters: dict[str, Any] | None = None
    if spec.cluster_by is not None:
        clusters = {}
        for item in items:
            value = item["metadata"].get(spec.cluster_by, item["input"].get(spec.cluster_by))
            clusters[item["id"]] = value
        if all(v is None for v in clusters.values()):
            notes.append(
                f"analysis.cluster_by={spec.cluster_by!r} matches no item field; CIs are not clustered"
            )
            clusters = None
    summaries = tuple(
        _condition_summary(name, kind, by_condition[name], planned.get(name, 0), metrics, clusters, spec)
        for name, kind in conditions
    )
    primary = spec.primary_metric or (metrics[0] if metrics else None)
    if spec.primary_metric is not None and spec.primary_metric not in metrics:
        notes.append(f"analysis.primary_metric={spec.primary_metric!r} was not recorded by any task")
    raw: list[dict[str, Any]] = []
    names = [name for name, _ in conditions]
    for metric in metrics:
        means = {
            name: item_means(
                [r for r in by_condition[name] if r["status"] == "ok" and r["variant"] == "clean"], metric
            )
            for name in names
        }
        for a, b in _pairs(names, spec.baseline):
            try:
                fields = compare_pair(metric, a, b, means[a], means[b], spec, seed)
            except ValidationError as exc:
                notes.append(f"{metric}: {a} vs {b} not tested ({exc})")
                continue
            if fields is None:
                notes.append(f"{metric}: {a} vs {b} not tested (fewer than 2 items scored in both)")
            else:
                raw.append(fields)
    attack_raw = attack_tests(by_condition, primary, spec)
    p_values = [f["p_value"] for f in raw] + [r["p_value"] for r in attack_raw]
    family = len(p_values)
    adjusted = [float(p) for p in cb.p_adjust(p_values, spec.correction)] if family else []  # type: ignore[arg-type]
    comparisons: list[PairwiseComparison] = []
    for fields, p_adj in zip(raw, adjusted[: len(raw)], strict=True):
        fields["p_adjusted"] = p_adj
        fields["significant"] = bool(p_adj < spec.alpha)
        fields["conclusion"] = comparison_conclusion(fields, spec, family)
        comparisons.append(PairwiseComparison(**fields))
    attacks = tuple(
        AttackSummary(**r, p_adjusted=p_adj)
        for r, p_adj in zip(attack_raw, adjusted[len(raw) :], strict=True)
    )
    return Analysis(
        primary_metric=primary, metrics=tuple(metrics), alpha=spec.alpha, confidence=spec.confidence,
        correction=spec.correction, tests=spec.tests, minimum_effect=spec.minimum_effect, conditions=summaries,
        comparisons=tuple(comparisons), robustness=attacks, family_size=family,
        conclusion=overall_conclusion(summaries, comparisons, primary, spec, hypothesis),
        notes=tuple(notes),
    )  # fmt: skip
