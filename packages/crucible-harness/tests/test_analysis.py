"""The analysis, checked against crucible-bench and crucible-core called directly on the same numbers."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crucible_bench as cb
from crucible_core.stats import quantile, wilson_ci
from crucible_harness import AnalysisSpec
from crucible_harness._analysis import analyse


def _row(condition: str, item: str, score: float | None, *, repeat: int = 0, variant: str = "clean",
         status: str = "ok", cost: float = 0.001, latency: float = 0.5) -> dict[str, Any]:  # fmt: skip
    return {
        "condition": condition, "item_id": item, "repeat": repeat, "variant": variant, "status": status,
        "scores": {} if score is None else {"acc": score}, "cost_usd": cost, "prompt_tokens": 10,
        "completion_tokens": 5, "latency_s": latency, "simulated": False, "metadata": {},
    }  # fmt: skip


def _binary(n: int, p: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [1.0 if rng.random() < p else 0.0 for _ in range(n)]


def _analyse(rows: list[dict[str, Any]], conditions: list[str], **spec: Any) -> Any:
    items = [{"id": f"i{i}", "input": {}, "metadata": {"passage": f"p{i // 4}"}} for i in range(200)]
    return analyse(
        rows, conditions=[(c, "function") for c in conditions], planned=dict.fromkeys(conditions, 60),
        declared_metrics=["acc"], spec=AnalysisSpec(**spec), items=items, hypothesis="A beats C", seed=1,
    )  # fmt: skip


def test_condition_means_cis_and_holm_corrected_mcnemar_comparisons() -> None:
    scores = {"A": _binary(60, 0.85, 1), "B": _binary(60, 0.8, 2), "C": _binary(60, 0.5, 3)}
    rows = [
        _row(c, f"i{i}", s, latency=0.1 * (i % 7))
        for c, values in scores.items()
        for i, s in enumerate(values)
    ]
    rows.append(_row("C", "i99", None, status="failed", cost=0.0))
    analysis = _analyse(rows, ["A", "B", "C"])
    for summary in analysis.conditions:
        values = scores[summary.name]
        metric = summary.metrics[0]
        interval = wilson_ci(int(sum(values)), len(values))
        assert metric.method == "wilson" and metric.mean == pytest.approx(np.mean(values))
        assert metric.ci == pytest.approx((interval.low, interval.high))
        assert summary.latency is not None
        assert summary.latency.p90 == pytest.approx(quantile([0.1 * (i % 7) for i in range(60)], 0.9))
    c = analysis.condition("C")
    assert c.failed == 1 and c.error_rate == pytest.approx(1 / 61) and c.cost_usd == pytest.approx(0.06)
    pairs = [("A", "B"), ("A", "C"), ("B", "C")]
    expected_p = [cb.compare(scores[a], scores[b], paired=True).p_value for a, b in pairs]
    adjusted = cb.p_adjust(expected_p, "holm")
    assert [(x.condition_a, x.condition_b) for x in analysis.comparisons] == pairs
    for comparison, p, p_adj in zip(analysis.comparisons, expected_p, adjusted, strict=True):
        assert comparison.test.startswith("mcnemar") and comparison.n_pairs == 60
        assert comparison.p_value == pytest.approx(p) and comparison.p_adjusted == pytest.approx(p_adj)
        assert comparison.significant == (p_adj < 0.05)
        assert "Holm-adjusted over the report's 3 tests" in comparison.conclusion
    assert analysis.conclusion.startswith("Hypothesis: A beats C.")
    assert "On acc, A scored highest" in analysis.conclusion
    frame = analysis.to_frame()
    assert frame["condition"].to_list() == ["A", "B", "C"] and frame["mean"].to_list() == pytest.approx(
        [np.mean(scores[c]) for c in "ABC"]
    )


def test_repeats_are_averaged_per_item_and_pairing_drops_missing_items() -> None:
    rng = random.Random(5)
    rows = []
    truth: dict[str, dict[str, float]] = {"A": {}, "B": {}}
    for condition in truth:
        for i in range(30):
            draws = [rng.random() for _ in range(3)]
            for r, value in enumerate(draws):
                rows.append(_row(condition, f"i{i}", value, repeat=r))
            truth[condition][f"i{i}"] = float(np.mean(draws))
    rows = [r for r in rows if not (r["condition"] == "B" and r["item_id"] == "i0")]
    del truth["B"]["i0"]
    analysis = _analyse(rows, ["A", "B"], tests="ttest")
    a_metric = analysis.condition("A").metrics[0]
    expected = cb.eval_mean(list(truth["A"].values()))
    assert a_metric.method == "clt" and a_metric.ci == pytest.approx(expected.ci)
    [comparison] = analysis.comparisons
    common = [k for k in truth["A"] if k in truth["B"]]
    direct = cb.ttest([truth["A"][k] for k in common], [truth["B"][k] for k in common], paired=True)
    assert comparison.n_pairs == 29 and comparison.dropped_items == 1
    assert comparison.p_value == pytest.approx(direct.p_value) and comparison.test == direct.test


def test_clustered_intervals_baseline_comparisons_and_minimum_effect() -> None:
    scores = {
        name: _binary(40, p, seed) for name, p, seed in [("base", 0.5, 7), ("x", 0.9, 8), ("y", 0.55, 9)]
    }
    rows = [_row(c, f"i{i}", s) for c, values in scores.items() for i, s in enumerate(values)]
    analysis = _analyse(rows, ["base", "x", "y"], cluster_by="passage", baseline="base", minimum_effect=0.1)
    metric = analysis.condition("x").metrics[0]
    clustered = cb.eval_mean(scores["x"], clusters=[f"p{i // 4}" for i in range(40)])
    assert (
        metric.method == "clustered" and metric.n_clusters == 10 and metric.ci == pytest.approx(clustered.ci)
    )
    assert [(c.condition_a, c.condition_b) for c in analysis.comparisons] == [("x", "base"), ("y", "base")]
    assert "minimum effect of interest" in analysis.comparisons[0].conclusion


def test_identical_conditions_and_too_few_items_are_reported_not_raised() -> None:
    rows = [_row(c, f"i{i}", 1.0) for c in ("A", "B") for i in range(5)] + [_row("C", "i0", 1.0)]
    analysis = _analyse(rows, ["A", "B", "C"])
    [same] = [c for c in analysis.comparisons if c.condition_b == "B"]
    assert same.p_value == 1.0 and same.test == "none (identical)" and not same.significant
    assert any("fewer than 2 items" in note for note in analysis.notes)


def test_robustness_drop_success_rate_and_mcnemar() -> None:
    clean = _binary(50, 0.9, 11)
    attacked = [c if i % 3 else 0.0 for i, c in enumerate(clean)]
    rows = [_row("m", f"i{i}", s) for i, s in enumerate(clean)]
    rows += [_row("m", f"i{i}", s, variant="homoglyph") for i, s in enumerate(attacked)]
    [summary] = _analyse(rows, ["m"]).robustness
    flipped = sum(1 for c, a in zip(clean, attacked, strict=True) if c == 1 and a == 0)
    assert summary.attack == "homoglyph" and summary.n_pairs == 50
    assert summary.drop == pytest.approx(np.mean(clean) - np.mean(attacked))
    assert summary.flipped_to_wrong == flipped
    assert summary.success_rate == pytest.approx(flipped / sum(clean))
    both = sum(1 for c, a in zip(clean, attacked, strict=True) if c == 1 and a == 1)
    table = [[both, flipped], [0, 50 - both - flipped]]
    assert summary.p_value == pytest.approx(cb.mcnemar(table).p_value)  # all flips one way: exact McNemar
    assert summary.drop_ci == pytest.approx(cb.mcnemar(table).ci)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=25)
@given(
    st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 12), st.floats(0, 1)), max_size=60),
    st.sampled_from(["auto", "ttest", "wilcoxon", "sign", "permutation", "mcnemar"]),
)
def test_analysis_never_raises_and_p_values_are_probabilities(
    entries: list[tuple[str, int, float]], tests: str
) -> None:
    rows = [_row(c, f"i{i}", round(s)) if tests == "mcnemar" else _row(c, f"i{i}", s) for c, i, s in entries]
    analysis = _analyse(rows, ["A", "B", "C"], tests=tests, n_resamples=199)
    for comparison in analysis.comparisons:
        assert 0.0 <= comparison.p_value <= 1.0 and comparison.p_value <= comparison.p_adjusted <= 1.0


def test_robustness_with_repeats_uses_the_item_as_the_unit() -> None:
    # 4 items x 3 repeats, clean vs attacked (hand-computed below)
    clean = {"i0": [1, 1, 1], "i1": [1, 1, 0], "i2": [1, 0, 0], "i3": [1, 1, 1]}
    attacked = {"i0": [0, 0, 1], "i1": [1, 0, 0], "i2": [0, 0, 0], "i3": [1, 1, 1]}
    rows = [
        _row("m", item, float(s), repeat=r) for item, values in clean.items() for r, s in enumerate(values)
    ]
    rows += [
        _row("m", item, float(s), repeat=r, variant="typo")
        for item, values in attacked.items()
        for r, s in enumerate(values)
    ]
    [summary] = _analyse(rows, ["m"]).robustness
    assert (
        summary.n_pairs == 4 and summary.n_samples == 12 and summary.repeats == 3
    )  # items, not items x repeats
    x = [1.0, 2 / 3, 1 / 3, 1.0]  # per-item means
    y = [1 / 3, 1 / 3, 0.0, 1.0]
    assert summary.clean_mean == pytest.approx(0.75) and summary.attacked_mean == pytest.approx(5 / 12)
    assert summary.drop == pytest.approx(1 / 3)
    direct = cb.compare(x, y, paired=True)
    assert summary.test == f"{direct.test.test} on per-item means"
    assert summary.p_value == pytest.approx(direct.p_value) and summary.drop_ci == pytest.approx(direct.ci)
    # attack success rate: per item, the share of its correct-clean repeats that the attack turned wrong
    rates = [2 / 3, 1 / 2, 1.0, 0.0]
    assert summary.success_rate == pytest.approx(np.mean(rates))
    low, high = cb.eval_mean(rates).ci
    assert summary.success_rate_ci == pytest.approx((max(0.0, low), min(1.0, high)))
    assert summary.flipped_to_wrong == 4 and summary.flipped_to_right == 0  # counted over samples


def test_pairwise_and_attack_tests_are_one_family() -> None:
    scores = {"A": _binary(60, 0.85, 1), "B": _binary(60, 0.6, 2)}
    rows = [_row(c, f"i{i}", s) for c, values in scores.items() for i, s in enumerate(values)]
    attacked = {"A": [s if i % 4 else 0.0 for i, s in enumerate(scores["A"])],
                "B": [s if i % 2 else 0.0 for i, s in enumerate(scores["B"])]}  # fmt: skip
    rows += [
        _row(c, f"i{i}", s, variant="typo") for c, values in attacked.items() for i, s in enumerate(values)
    ]
    analysis = _analyse(rows, ["A", "B"], correction="hochberg")
    [pair] = analysis.comparisons
    p_values = [
        cb.compare(scores["A"], scores["B"], paired=True).p_value,
        cb.compare(scores["A"], attacked["A"], paired=True).p_value,
        cb.compare(scores["B"], attacked["B"], paired=True).p_value,
    ]
    adjusted = cb.p_adjust(p_values, "hochberg")
    assert analysis.family_size == 3
    assert pair.p_adjusted == pytest.approx(adjusted[0])
    assert [r.p_adjusted for r in analysis.robustness] == pytest.approx(list(adjusted[1:]))
    assert "Hochberg-adjusted over the report's 3 tests" in pair.conclusion


def _continuous(n: int, seed: int, shift: float = 0.0) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    a = rng.normal(0.6, 0.15, n).clip(0, 1)
    b = (a - shift + rng.normal(0, 0.1, n)).clip(0, 1)
    return a.tolist(), b.tolist()


def test_named_tests_report_power_mde_and_power_at_the_minimum_effect() -> None:
    a, b = _continuous(40, 3, shift=0.05)
    rows = [_row("A", f"i{i}", s) for i, s in enumerate(a)] + [_row("B", f"i{i}", s) for i, s in enumerate(b)]
    [t] = _analyse(rows, ["A", "B"], tests="ttest", minimum_effect=0.1).comparisons
    dz = cb.ttest(a, b, paired=True).effect_size.value  # type: ignore[union-attr]
    sd = float(np.std(np.subtract(a, b), ddof=1))
    assert t.test == "ttest[paired]"
    assert t.power == pytest.approx(cb.power_ttest(n=40, d=abs(dz), kind="paired").power)
    mde = cb.power_ttest(n=40, d=None, power=0.8, kind="paired")
    assert (
        t.minimum_detectable_effect == pytest.approx(mde.effect_size)
        and t.minimum_detectable_effect_name == "d_z"
    )
    at_minimum = cb.power_ttest(n=40, d=0.1 / sd, kind="paired").power
    assert t.power_at_minimum_effect == pytest.approx(at_minimum)
    assert f"had {at_minimum:.0%} power to detect the minimum effect of interest (0.1)" in t.conclusion

    [w] = _analyse(rows, ["A", "B"], tests="wilcoxon", minimum_effect=0.1).comparisons
    assert w.test.startswith("wilcoxon") and w.power is None and w.minimum_detectable_effect is None
    assert w.power_note is not None and "not available" in w.power_note and "not available" in w.conclusion

    binary = {"A": _binary(80, 0.8, 5), "B": _binary(80, 0.6, 6)}
    rows = [_row(c, f"i{i}", s) for c, values in binary.items() for i, s in enumerate(values)]
    for tests in ("mcnemar", "auto"):
        [m] = _analyse(rows, ["A", "B"], tests=tests, minimum_effect=0.15).comparisons
        x, y = np.array(binary["A"]), np.array(binary["B"])
        n10, n01 = int(((x == 1) & (y == 0)).sum()), int(((x == 0) & (y == 1)).sum())
        assert m.power == pytest.approx(cb.power_mcnemar(n10 / 80, n01 / 80, n=80).power)
        assert m.minimum_detectable_effect_name == "p10 − p01"
        psi = max((n10 + n01) / 80, 0.15)
        expected = cb.power_mcnemar((psi + 0.15) / 2, (psi - 0.15) / 2, n=80).power
        assert m.power_at_minimum_effect == pytest.approx(expected), tests


def test_a_named_test_on_unpaired_data_is_run_as_named() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.exponential(0.2, 50).clip(0, 1).tolist(), rng.exponential(0.3, 50).clip(0, 1).tolist()
    rows = [_row("A", f"i{i}", s) for i, s in enumerate(a)] + [_row("B", f"i{i}", s) for i, s in enumerate(b)]
    assert cb.compare(a, b, paired=False).test.test.startswith("mann_whitney")  # what "auto" would run
    [c] = _analyse(rows, ["A", "B"], tests="ttest", paired=False, minimum_effect=0.05).comparisons
    welch = cb.ttest(a, b)
    assert c.test == "ttest[welch]" and c.p_value == pytest.approx(welch.p_value) and not c.paired
    d = welch.effect_size.value  # type: ignore[union-attr]
    assert c.power == pytest.approx(cb.power_ttest(n=50, d=abs(d), kind="two-sample").power)
    pooled = float(np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2))
    expected = cb.power_ttest(n=50, d=0.05 / pooled, kind="two-sample").power
    assert c.power_at_minimum_effect == pytest.approx(expected)
