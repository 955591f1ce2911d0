"""Clean vs attacked scores per (condition, attack), with the item as the unit (see :class:`AttackSummary`).

Scores are paired by (item, repeat). With one repeat per item each pair is one item: McNemar (through
:func:`crucible_bench.compare`) on the items, a Wilson interval for the attack success rate. With several
repeats the repeats of an item are correlated (same item, same seed family), so treating 20 items x 5
repeats as 100 independent pairs would overstate the evidence: each item's clean and attacked scores
are averaged over its paired repeats and every statistic is computed over items — the drop and its
test by :func:`crucible_bench.compare` on the per-item means (paired t or Wilcoxon, McNemar when every
mean is 0/1), the attack success rate as the mean of the per-item rates with a CLT interval over items
(:func:`crucible_bench.eval_mean`; Miller 2024, "Adding Error Bars to Evals").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import crucible_bench as cb
from crucible_core.stats import wilson_ci
from crucible_harness._spec import AnalysisSpec

__all__ = ["attack_tests"]


def _scores(rows: Sequence[Mapping[str, Any]], variant: str, metric: str) -> dict[tuple[str, int], float]:
    return {
        (r["item_id"], r["repeat"]): float(r["scores"][metric])
        for r in rows
        if r["variant"] == variant and r["status"] == "ok" and metric in r["scores"]
    }


def _by_item(
    keys: Sequence[tuple[str, int]],
    clean: Mapping[tuple[str, int], float],
    attacked: Mapping[tuple[str, int], float],
) -> dict[str, tuple[list[float], list[float]]]:
    out: dict[str, tuple[list[float], list[float]]] = {}
    for key in keys:
        pair = out.setdefault(key[0], ([], []))
        pair[0].append(clean[key])
        pair[1].append(attacked[key])
    return out


def _item_success_rate(
    groups: Mapping[str, tuple[list[float], list[float]]], confidence: float
) -> tuple[float | None, tuple[float, float] | None]:
    """Mean over items of (#correct clean turned wrong / #correct clean), with a CLT CI over items."""
    rates = []
    for clean, attacked in groups.values():
        correct = [c >= 0.5 for c in clean]
        if any(correct):
            flips = sum(1 for ok, a in zip(correct, attacked, strict=True) if ok and a < 0.5)
            rates.append(flips / sum(correct))
    if not rates:
        return None, None
    if len(rates) < 2:
        return rates[0], None
    result = cb.eval_mean(rates, confidence=confidence)
    low, high = result.ci
    return float(np.mean(rates)), (max(0.0, float(low)), min(1.0, float(high)))


def _test(
    x: np.ndarray, y: np.ndarray, spec: AnalysisSpec, suffix: str
) -> tuple[str, float, tuple[float, float] | None]:
    if np.array_equal(x, y):
        return "none (identical)", 1.0, (0.0, 0.0)
    cmp = cb.compare(x, y, paired=True, alpha=spec.alpha, confidence=spec.confidence)
    return cmp.test.test + suffix, float(cmp.p_value), cmp.ci


def attack_tests(
    by_condition: Mapping[str, Sequence[Mapping[str, Any]]], metric: str | None, spec: AnalysisSpec
) -> list[dict[str, Any]]:
    """The fields of one :class:`AttackSummary` per (condition, attack) on ``metric``, before the
    multiplicity adjustment (done by the analysis over all tests of the report, ``p_adjusted`` missing)."""
    if metric is None:
        return []
    raw: list[dict[str, Any]] = []
    for condition, rows in by_condition.items():
        variants = sorted({r["variant"] for r in rows} - {"clean"})
        if not variants:
            continue
        clean = _scores(rows, "clean", metric)
        for variant in variants:
            attacked = _scores(rows, variant, metric)
            keys = [k for k in clean if k in attacked]
            groups = _by_item(keys, clean, attacked)
            if len(groups) < 2:
                continue
            repeats = max(len(c) for c, _ in groups.values())
            samples_x = np.array([clean[k] for k in keys])
            samples_y = np.array([attacked[k] for k in keys])
            correct_x, correct_y = samples_x >= 0.5, samples_y >= 0.5
            to_wrong = int((correct_x & ~correct_y).sum())
            to_right = int((~correct_x & correct_y).sum())
            if repeats == 1:
                x, y = samples_x, samples_y
                test, p_value, ci = _test(x, y, spec, "")
                n_correct = int(correct_x.sum())
                rate = ci_rate = None
                if n_correct:
                    rate = to_wrong / n_correct
                    interval = wilson_ci(to_wrong, n_correct, confidence=spec.confidence)
                    ci_rate = (interval.low, interval.high)
            else:
                x = np.array([float(np.mean(c)) for c, _ in groups.values()])
                y = np.array([float(np.mean(a)) for _, a in groups.values()])
                test, p_value, ci = _test(x, y, spec, " on per-item means")
                rate, ci_rate = _item_success_rate(groups, spec.confidence)
            changed = [
                bool((r.get("metadata") or {}).get("attack_changed"))
                for r in rows
                if r["variant"] == variant and "attack_changed" in (r.get("metadata") or {})
            ]
            raw.append(
                {
                    "condition": condition, "attack": variant, "metric": metric, "n_pairs": len(groups),
                    "n_samples": len(keys), "repeats": repeats, "clean_mean": float(x.mean()),
                    "attacked_mean": float(y.mean()), "drop": float(x.mean() - y.mean()), "drop_ci": ci,
                    "success_rate": rate, "success_rate_ci": ci_rate, "flipped_to_wrong": to_wrong,
                    "flipped_to_right": to_right, "test": test, "p_value": p_value,
                    "changed_rate": sum(changed) / len(changed) if changed else None,
                }
            )  # fmt: skip
    return raw
