"""Plain-language conclusions: what a comparison shows, and what the whole run shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crucible_harness._results import ConditionSummary, PairwiseComparison, fmt, fmt_p
from crucible_harness._spec import AnalysisSpec

__all__ = ["comparison_conclusion", "overall_conclusion"]

_CORRECTION_NAMES = {
    "holm": "Holm",
    "bonferroni": "Bonferroni",
    "hochberg": "Hochberg",
    "hommel": "Hommel",
    "BH": "Benjamini-Hochberg",
    "fdr": "Benjamini-Hochberg",
    "BY": "Benjamini-Yekutieli",
    "sidak": "Sidak",
    "none": "no",
}


def _relevance(ci: Sequence[float] | None, minimum: float | None) -> str:
    """What the CI says about the minimum effect of interest."""
    if minimum is None or ci is None:
        return ""
    low, high = ci
    if low >= minimum or high <= -minimum:
        return f" The whole interval lies beyond the minimum effect of interest ({minimum:g}): the difference matters."
    if -minimum < low and high < minimum:
        return f" The whole interval lies within ±{minimum:g}: any difference is smaller than the minimum effect of interest."
    return f" The interval includes differences both below and above the minimum effect of interest ({minimum:g})."


def comparison_conclusion(fields: Mapping[str, Any], spec: AnalysisSpec, family: int) -> str:
    """One paragraph for a comparison: the means, the difference with CI, the test, the verdict."""
    a, b, metric = fields["condition_a"], fields["condition_b"], fields["metric"]
    ci = fields.get("ci")
    ci_text = "" if ci is None else f", {spec.confidence:.0%} CI [{fmt(ci[0])}, {fmt(ci[1])}]"
    correction = _CORRECTION_NAMES.get(spec.correction, spec.correction)
    adjusted = (
        f"{correction}-adjusted over the report's {family} test{'s' if family != 1 else ''} "
        f"p = {fmt_p(fields['p_adjusted'])}"
        if spec.correction != "none"
        else "no multiplicity correction"
    )
    if fields["significant"]:
        better = a if fields["mean_a"] > fields["mean_b"] else b
        verdict = f"{better} scores higher on {metric} at alpha = {spec.alpha:g}."
    else:
        verdict = f"no difference on {metric} is detectable at alpha = {spec.alpha:g}."
    effect = ""
    if fields.get("effect_size") is not None:
        interpretation = f", {fields['effect_interpretation']}" if fields.get("effect_interpretation") else ""
        effect = (
            f" Effect size {fields['effect_size_name']} = {fmt(fields['effect_size'], 3)}{interpretation}."
        )
    mde = ""
    if fields.get("minimum_detectable_effect") is not None and not fields["significant"]:
        mde = (
            f" With {fields['n_pairs']} items the design detects a {fields['minimum_detectable_effect_name']} of "
            f"{fmt(fields['minimum_detectable_effect'], 3)} with 80% power."
        )
    return (
        f"{a} vs {b} on {metric}: {fmt(fields['mean_a'])} vs {fmt(fields['mean_b'])} over {fields['n_pairs']} "
        f"{'paired items' if fields['paired'] else 'items'}; {fields['estimate_name']} (a − b) = "
        f"{fmt(fields['estimate'])}{ci_text}. {fields['test']}: p = {fmt_p(fields['p_value'])}, {adjusted}: "
        f"{verdict}{effect}{mde}{_relevance(ci, spec.minimum_effect)}{_power_text(fields, spec.minimum_effect)}"
    )


def _power_text(fields: Mapping[str, Any], minimum: float | None) -> str:
    """The prospective power at the minimum effect of interest, or why power is not reported."""
    note = fields.get("power_note")
    if note:
        return f" Power: {note}."
    power = fields.get("power_at_minimum_effect")
    if minimum is None:
        return ""
    if power is None:
        return f" The power to detect the minimum effect of interest ({minimum:g}) could not be computed."
    return (
        f" With {fields['n_pairs']} items the design had {power:.0%} power to detect the minimum effect of "
        f"interest ({minimum:g})."
    )


def overall_conclusion(
    conditions: Sequence[ConditionSummary],
    comparisons: Sequence[PairwiseComparison],
    primary: str | None,
    spec: AnalysisSpec,
    hypothesis: str | None,
) -> str:
    """The run in a few sentences: the best condition on the primary metric and what the tests support."""
    if primary is None:
        return "No metric was recorded, so conditions are compared on cost, tokens, latency and errors only."
    scored = [(c, c.metric(primary)) for c in conditions]
    ranked = sorted(((c, m) for c, m in scored if m is not None), key=lambda cm: -cm[1].mean)
    if not ranked:
        return f"No task recorded the primary metric {primary!r}."
    best, best_metric = ranked[0]
    parts = []
    if hypothesis:
        text = hypothesis.strip()
        parts.append(f"Hypothesis: {text}{'' if text.endswith(('.', '!', '?')) else '.'}")
    parts.append(
        f"On {primary}, {best.name} scored highest ({fmt(best_metric.mean)}"
        + (
            f", {spec.confidence:.0%} CI [{fmt(best_metric.ci[0])}, {fmt(best_metric.ci[1])}])."
            if best_metric.ci
            else ")."
        )
    )
    on_primary = [c for c in comparisons if c.metric == primary]
    significant = [c for c in on_primary if c.significant]
    correction = _CORRECTION_NAMES.get(spec.correction, spec.correction)
    if not on_primary:
        if len(conditions) > 1:
            parts.append(
                "No pairwise comparison could be tested on it (too few items scored in both conditions)."
            )
    elif significant:
        described = "; ".join(
            f"{c.condition_a} vs {c.condition_b}: {fmt(c.estimate)} (adjusted p = {fmt_p(c.p_adjusted)})"
            for c in significant
        )
        parts.append(
            f"{len(significant)} of {len(on_primary)} comparisons differ after {correction} correction "
            f"({described})."
        )
    else:
        parts.append(
            f"None of the {len(on_primary)} comparisons on it differs detectably after {correction} correction "
            f"at alpha = {spec.alpha:g}; the observed differences are compatible with chance."
        )
    failed = sum(c.failed for c in conditions)
    blocked = sum(c.blocked for c in conditions)
    if failed or blocked:
        parts.append(
            f"{failed} task(s) failed after retries and {blocked} were blocked by guards; see the counts."
        )
    if any(c.simulated for c in conditions):
        parts.append(
            "Some conditions used a simulated model: their numbers are a simulation, not a measurement."
        )
    return " ".join(parts)
