"""compare() and compare_many(): the test chosen for each kind of data, and what the result carries."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import special

import crucible_bench as cb
from crucible_core.errors import ValidationError

RNG = np.random.default_rng(20261122)


def normal_scores(n: int, seed: int) -> np.ndarray:
    """Exactly normal-shaped data (the n normal quantiles, shuffled): Shapiro–Wilk never rejects them."""
    z = special.ndtri((np.arange(n) + 0.5) / n)
    return np.random.default_rng(seed).permutation(z)


def test_paired_binary_uses_exact_mcnemar_when_few_discordant_pairs() -> None:
    a = np.array([1] * 40 + [1] * 9 + [0] * 3 + [0] * 48)
    b = np.array([1] * 40 + [0] * 9 + [1] * 3 + [0] * 48)
    res = cb.compare(a, b)
    assert res.kind == "binary" and res.paired
    assert res.test.test == "mcnemar[exact]"
    assert res.test.p_value == cb.binomial_test(9, 12).p_value
    assert res.estimate == (9 - 3) / 100
    assert res.ci is not None and res.ci[0] < res.estimate < res.ci[1]
    assert res.minimum_detectable_effect is not None and res.power is not None
    assert "exact binomial" in res.rationale


def test_paired_binary_uses_chi_square_mcnemar_with_many_discordant_pairs() -> None:
    a = np.array([1] * 300 + [1] * 40 + [0] * 20 + [0] * 140)
    b = np.array([1] * 300 + [0] * 40 + [1] * 20 + [0] * 140)
    res = cb.compare(a, b, labels=("new", "old"))
    assert res.test.test == "mcnemar[continuity]"
    assert np.isclose(res.test.statistic, (abs(40 - 20) - 1) ** 2 / 60)
    assert res.summary().startswith("new vs old (paired binary data, n = 500 pairs)")


def test_unpaired_binary_picks_fisher_or_chi_square() -> None:
    small = cb.compare([1, 1, 1, 0, 1], [0, 0, 1, 0, 0, 0])
    assert not small.paired and small.test.test == "fisher_exact"
    big_a = np.r_[np.ones(70), np.zeros(30)]
    big_b = np.r_[np.ones(50), np.zeros(70)]
    big = cb.compare(big_a, big_b)
    assert big.test.test == "chi_square[yates]"
    assert np.isclose(big.estimate, 0.7 - 50 / 120)
    expected = cb.risk_difference([[70, 30], [50, 70]])
    assert big.ci == expected.ci


def test_paired_continuous_normal_uses_paired_t() -> None:
    a = RNG.normal(0.70, 0.1, 60)
    b = a - RNG.normal(0.03, 0.05, 60)
    res = cb.compare(a, b)
    assert res.test == cb.ttest(a, b, paired=True)
    assert res.assumptions[0].passed is True
    assert res.effect_size is not None and res.effect_size.name == "Cohen's d_z"
    assert res.power is not None and res.minimum_detectable_effect is not None
    mde = res.minimum_detectable_effect
    assert np.isclose(cb.power_ttest(n=60, d=mde.effect_size, kind="paired").power, 0.8, atol=1e-3)


def test_paired_continuous_skewed_uses_wilcoxon() -> None:
    a = RNG.exponential(1.0, 40)
    b = a - RNG.exponential(0.5, 40) ** 2
    res = cb.compare(a, b, seed=5)
    assert res.assumptions[0].passed is False
    assert res.test.test.startswith("wilcoxon")
    # the rank test gives the p-value; the reported estimate is still the mean difference, with a BCa
    # bootstrap interval (pairs resampled together) rather than the t interval normality was needed for
    assert res.test.estimate_name is not None and res.test.estimate_name.startswith("pseudo-median")
    assert res.estimate_name == "difference in means"
    assert np.isclose(res.estimate, float(np.mean(a - b)))
    assert res.ci_method == "bootstrap_bca" and "(BCa bootstrap)" in res.summary()
    boot = cb.bootstrap_diff(a, b, paired=True, n_resamples=9999, seed=5)
    assert res.ci == (boot.ci.low, boot.ci.high)
    assert res.ci != cb.ttest(a, b, paired=True).ci
    assert res.ci is not None and res.ci[0] <= res.estimate <= res.ci[1]


def test_unpaired_continuous_normal_and_skewed() -> None:
    x, y = RNG.normal(0, 1, 80), RNG.normal(0.5, 2, 50)
    res = cb.compare(x, y)
    assert not res.paired and res.test.test == "ttest[welch]"
    assert res.assumptions[2].name == "equal variances" and res.assumptions[2].passed is False
    skew = cb.compare(RNG.lognormal(0, 1, 40), RNG.lognormal(0.5, 1, 45))
    assert skew.test.test.startswith("mann_whitney")
    assert skew.test.estimate_name is not None and skew.test.estimate_name.startswith("location shift")
    assert skew.estimate_name == "difference in means"
    assert skew.ci is not None and skew.ci[0] <= skew.estimate <= skew.ci[1]


def test_mappings_are_aligned_by_key() -> None:
    a = {f"q{i}": float(v) for i, v in enumerate(RNG.normal(0.6, 0.1, 30))}
    b = {k: v - 0.05 + float(RNG.normal(0, 0.01)) for k, v in reversed(list(a.items()))}
    res = cb.compare(a, b)
    assert res.paired and "matched by key" in res.paired_reason
    keys = list(a)
    assert res.test == cb.ttest([a[k] for k in keys], [b[k] for k in keys], paired=True)
    unpaired = cb.compare(a, {"other": 0.5, "more": 0.7, "items": 0.6})
    assert not unpaired.paired and unpaired.n_b == 3


def test_equal_lengths_can_be_declared_independent() -> None:
    x, y = RNG.normal(0, 1, 30), RNG.normal(0, 1, 30)
    assert cb.compare(x, y).paired
    res = cb.compare(x, y, paired=False)
    assert not res.paired and res.paired_reason == "paired=False was passed"


def test_compare_many_independent_paths() -> None:
    normal = {g: m + normal_scores(30, i) for i, (g, m) in enumerate((("a", 0.0), ("b", 0.3), ("c", 1.0)))}
    res = cb.compare_many(normal, paired=False)
    assert res.omnibus is not None and res.omnibus.test == "anova[one-way]" and res.method == "Tukey HSD"
    unequal = {
        "a": 0.2 * normal_scores(40, 1),
        "b": 0.5 + 3 * normal_scores(40, 2),
        "c": 1 + 0.5 * normal_scores(40, 3),
    }
    gh = cb.compare_many(unequal, paired=False)
    assert gh.omnibus is not None and gh.omnibus.test == "welch_anova" and gh.method == "Games–Howell test"
    skew = {g: RNG.lognormal(m, 1.0, 35) for g, m in (("a", 0.0), ("b", 0.5), ("c", 1.0))}
    kd = cb.compare_many(skew, paired=False, correction="BH")
    assert kd.omnibus is not None and kd.omnibus.test == "kruskal_wallis"
    assert kd.method == "Dunn's test" and kd.correction == "BH"
    assert kd.to_frame().height == 3


def test_compare_many_paired_paths() -> None:
    base = 0.6 + 0.1 * normal_scores(50, 7)
    wide = pl.DataFrame(
        {f"m{i}": base + d + 0.03 * normal_scores(50, 10 + i) for i, d in enumerate((0.0, 0.02, 0.05))}
    )
    res = cb.compare_many(wide)
    assert res.omnibus is not None and res.omnibus.test.startswith("rm_anova")
    assert res.method == "pairwise paired t-tests"
    first = res.comparisons[0]
    direct = cb.ttest(wide["m1"].to_numpy(), wide["m0"].to_numpy(), paired=True)
    assert np.isclose(first.p_value, direct.p_value) and first.p_adj >= first.p_value
    long = wide.with_row_index("item").unpivot(index="item", variable_name="model", value_name="score")
    res_long = cb.compare_many(long, dv="score", group="model", subject="item")
    assert res_long.omnibus is not None and np.isclose(res_long.omnibus.statistic, res.omnibus.statistic)
    skewed = {f"m{i}": RNG.exponential(1.0, 40) ** 2 + i * 0.3 for i in range(3)}
    fr = cb.compare_many(skewed, paired=True)
    assert fr.omnibus is not None and fr.omnibus.test == "friedman"


def test_compare_many_binary_paths() -> None:
    truth = RNG.random((80, 3)) < np.array([0.6, 0.7, 0.85])
    scores = {f"model_{j}": truth[:, j].astype(float) for j in range(3)}
    paired = cb.compare_many(scores)
    assert paired.omnibus is not None and paired.omnibus.test == "cochran_q"
    assert paired.method == "pairwise McNemar"
    independent = cb.compare_many(scores, paired=False)
    assert independent.omnibus is not None and independent.omnibus.test == "chi_square"
    assert "Cochran's Q" in paired.summary()


def test_paired_binary_with_all_discordant_pairs_one_way() -> None:
    # 5 items flipped from right to wrong and none the other way: the clearest effect there is.
    a = [1] * 30 + [0] * 10 + [1] * 5
    b = [1] * 30 + [0] * 10 + [0] * 5
    result = cb.compare(a, b)
    assert result.test.test == "mcnemar[exact]"
    assert abs(result.test.p_value - 0.0625) < 1e-12  # exact binomial: 2 * 0.5**5
    assert result.power is not None and 0.0 < result.power.power < 1.0
    assert "odds_ratio" not in result.power.details  # undefined with no pair the other way


def _skewed_pair(n: int = 40, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.exponential(1.0, n)
    return a, a - rng.exponential(0.5, n) ** 2


def test_compare_seed_drives_the_bootstrap_interval_of_rank_tests() -> None:
    a, b = _skewed_pair()
    first = cb.compare(a, b, seed=1)
    assert first.test.test.startswith("wilcoxon") and first.ci_method == "bootstrap_bca"
    assert cb.compare(a, b, seed=1) == first  # same seed, identical result
    assert cb.compare(a, b, seed=2).ci != first.ci  # another seed, other resamples
    assert cb.compare(a, b) == cb.compare(a, b, seed=0)  # no seed: a fixed one, still reproducible
    x = np.random.default_rng(3).lognormal(0, 1, 40)
    y = np.random.default_rng(4).lognormal(0.5, 1, 45)
    unpaired = cb.compare(x, y, seed=9)
    assert unpaired.test.test.startswith("mann_whitney") and unpaired.ci_method == "bootstrap_bca"
    boot = cb.bootstrap_diff(x, y, n_resamples=9999, seed=9)
    assert unpaired.ci == (boot.ci.low, boot.ci.high)


def test_compare_one_sided_bootstrap_bound_is_the_matching_end() -> None:
    a, b = _skewed_pair()
    greater = cb.compare(a, b, alternative="greater", seed=4)
    boot = cb.bootstrap_diff(a, b, paired=True, confidence=2 * 0.95 - 1, seed=4)
    assert greater.ci == (boot.ci.low, math.inf)
    less = cb.compare(a, b, alternative="less", seed=4)
    assert less.ci == (-math.inf, boot.ci.high)


def test_compare_normal_path_uses_the_t_interval_whatever_the_seed() -> None:
    x, y = normal_scores(50, 1), 0.3 + normal_scores(50, 2)
    res = cb.compare(x, y, paired=False, seed=1)
    assert res.ci_method == "t" and res.ci == cb.ttest(x, y).ci
    assert cb.compare(x, y, paired=False, seed=2) == res
    assert cb.compare(x, y, paired=False) == res


def test_compare_one_sided_unpaired_binary_uses_alternative_everywhere() -> None:
    a = np.r_[np.ones(65), np.zeros(35)]
    b = np.r_[np.ones(50), np.zeros(50)]
    two = cb.compare(a, b, paired=False)
    res = cb.compare(a, b, paired=False, alternative="greater")
    assert res.power is not None and res.minimum_detectable_effect is not None
    assert res.power.alternative == "greater"
    # R: power.prop.test(n = 100, p1 = 0.5, p2 = 0.65, alternative = "one.sided")$power
    assert res.power.power == pytest.approx(0.69378450731318508, rel=1e-9)
    assert two.power is not None and res.power.power > two.power.power
    expected_mde = cb.minimum_detectable_effect(100, test="proportions", baseline=0.5, alternative="greater")
    assert res.minimum_detectable_effect == expected_mde
    rd = cb.risk_difference([[65, 35], [50, 50]], confidence=0.9)
    assert rd.ci is not None and res.ci == (rd.ci[0], 1.0)
    less = cb.compare(a, b, paired=False, alternative="less")
    assert less.ci == (-1.0, rd.ci[1]) and res.ci_method == "newcombe"


def test_compare_degenerate_fisher_table_is_not_called_large() -> None:
    res = cb.compare([1, 1, 1, 1], [1, 1, 1, 1, 1])
    assert res.effect_size is not None and res.effect_size.value == 0.0
    assert res.effect_size.interpretation == "undefined (degenerate table)"
    assert res.notes and "empty cell" in res.notes[0]
    sep = cb.compare([1, 1, 1, 1], [0, 0, 0, 0, 0])
    assert sep.effect_size is not None and sep.effect_size.value == math.inf
    assert sep.effect_size.interpretation == "undefined (degenerate table)"
    normal = cb.compare([1, 1, 0, 1, 0, 1], [0, 1, 0, 0, 1, 0, 0], paired=False)
    assert (
        normal.effect_size is not None and normal.effect_size.interpretation != "undefined (degenerate table)"
    )
    assert normal.notes == ()


@pytest.mark.parametrize("labels", [("a",), ("a", "b", "c"), "ab", ("a", 2), None])
def test_compare_labels_must_be_a_pair_of_strings(labels: object) -> None:
    with pytest.raises(ValidationError, match="labels") as info:
        cb.compare([0.1, 0.4, 0.3], [0.2, 0.5, 0.1], labels=labels)  # type: ignore[arg-type]
    assert info.value.details["argument"] == "labels"


def test_compare_many_correction_is_applied_to_tukey_and_games_howell() -> None:
    normal = {g: m + normal_scores(30, i) for i, (g, m) in enumerate((("a", 0.0), ("b", 0.3), ("c", 1.0)))}
    default = cb.compare_many(normal, paired=False)
    assert default.method == "Tukey HSD" and default.correction == "studentized range"
    assert default == cb.compare_many(normal, paired=False, correction="holm")
    raw = [c.p_value for c in default.comparisons]
    for method in ("bonferroni", "BH", "none"):
        res = cb.compare_many(normal, paired=False, correction=method)  # type: ignore[arg-type]
        assert res.method == "Tukey HSD" and res.correction == method
        assert [c.p_adj for c in res.comparisons] == cb.p_adjust(raw, method).tolist()  # type: ignore[arg-type]
        assert [c.ci_low for c in res.comparisons] == [c.ci_low for c in default.comparisons]
        assert res.notes and method in res.notes[-1]
    unequal = {
        "a": 0.2 * normal_scores(40, 1),
        "b": 0.5 + 3 * normal_scores(40, 2),
        "c": 1 + 0.5 * normal_scores(40, 3),
    }
    gh = cb.compare_many(unequal, paired=False, correction="bonferroni")
    assert gh.method == "Games–Howell test" and gh.correction == "bonferroni"
    gh_raw = [c.p_value for c in gh.comparisons]
    assert [c.p_adj for c in gh.comparisons] == cb.p_adjust(gh_raw, "bonferroni").tolist()
