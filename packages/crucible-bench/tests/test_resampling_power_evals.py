"""Permutation tests, bootstrap_diff, power round trips and the Miller (2024) eval helpers."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pytest
from scipy import stats

import crucible_bench as cb
from crucible_core.errors import ValidationError
from crucible_core.stats import bootstrap_ci

RNG = np.random.default_rng(7)
TTestKind = Literal["two-sample", "one-sample", "paired"]
Alternative = Literal["two-sided", "less", "greater"]


def test_permutation_monte_carlo_is_reproducible_and_close_to_exact() -> None:
    x, y = RNG.normal(0.3, 1, 9), RNG.normal(0, 1, 8)
    exact = cb.permutation_test(x, y, n_resamples=30_000)
    assert exact.test == "permutation_test[exact]" and exact.details["n_permutations"] == math.comb(17, 9)
    mc1 = cb.permutation_test(x, y, n_resamples=5000, seed=3)
    mc2 = cb.permutation_test(x, y, n_resamples=5000, seed=3)
    assert mc1 == mc2 and mc1.test == "permutation_test[monte-carlo]"
    assert abs(mc1.p_value - exact.p_value) < 0.03
    assert mc1.p_value >= 1 / 5001


def test_permutation_paired_and_custom_statistic() -> None:
    a = RNG.normal(0.5, 1, 12)
    b = a - RNG.normal(0.4, 0.5, 12)
    res = cb.permutation_test(a, b, paired=True, n_resamples=5000)
    assert res.test == "permutation_test[exact,paired]" and res.details["n_permutations"] == 2**12

    def trimmed(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
        return stats.trim_mean(u, 0.1, axis=axis) - stats.trim_mean(v, 0.1, axis=axis)

    custom = cb.permutation_test(a, b, trimmed, n_resamples=999, seed=1)
    assert custom.estimate == pytest.approx(float(trimmed(a, b)))
    assert 0 < custom.p_value <= 1
    with pytest.raises(ValueError, match="statistic"):
        cb.permutation_test(a, b, "max_diff")  # type: ignore[arg-type]


def test_bootstrap_diff_paired_equals_scipy_on_the_differences() -> None:
    a = RNG.normal(0.6, 0.1, 80)
    b = a - RNG.normal(0.02, 0.05, 80)
    res = cb.bootstrap_diff(a, b, paired=True, seed=11, n_resamples=2000)
    ref = stats.bootstrap((a - b,), np.mean, n_resamples=2000, method="BCa", rng=11)
    assert res.ci.low == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert res.ci.high == pytest.approx(ref.confidence_interval.high, rel=1e-12)
    assert res.estimate == pytest.approx(float(np.mean(a - b)))


def test_bootstrap_diff_unpaired_median_and_clusters() -> None:
    x, y = RNG.exponential(1.0, 60), RNG.exponential(1.5, 70)
    res = cb.bootstrap_diff(x, y, statistic="median", method="percentile", seed=2, n_resamples=1500)
    assert res.ci.low <= res.estimate <= res.ci.high
    assert res.estimate == pytest.approx(float(np.median(x) - np.median(y)))
    assert res == cb.bootstrap_diff(x, y, statistic="median", method="percentile", seed=2, n_resamples=1500)
    a = RNG.normal(0, 1, 60)
    b = a + RNG.normal(0.1, 0.3, 60)
    clusters = np.repeat(np.arange(12), 5)
    clustered = cb.bootstrap_diff(a, b, paired=True, cluster=clusters, seed=4, n_resamples=1500)
    direct = bootstrap_ci(
        a - b, lambda d, axis=-1: np.mean(d, axis=axis), clusters=clusters, seed=4, n_resamples=1500
    )
    assert clustered.ci == direct.ci


@pytest.mark.parametrize("kind", ["two-sample", "one-sample", "paired"])
@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_power_ttest_round_trips(kind: TTestKind, alternative: Alternative) -> None:
    n = cb.power_ttest(d=0.4, power=0.85, kind=kind, alternative=alternative, tol=1e-12).n
    assert cb.power_ttest(n=n, d=0.4, kind=kind, alternative=alternative).power == pytest.approx(
        0.85, abs=1e-9
    )
    d = cb.power_ttest(n=n, power=0.85, kind=kind, alternative=alternative, tol=1e-12).effect_size
    assert d == pytest.approx(0.4, rel=1e-8)
    less = cb.power_ttest(n=n, d=-0.4, kind=kind, alternative="less").power
    assert less == pytest.approx(cb.power_ttest(n=n, d=0.4, kind=kind, alternative="greater").power)


def test_power_curves_are_monotone_and_mde_is_consistent() -> None:
    powers = [cb.power_anova(4, n=n, f=0.25).power for n in (5, 10, 20, 40, 80)]
    assert powers == sorted(powers)
    mde = cb.minimum_detectable_effect(50, test="proportions", baseline=0.7)
    p2 = mde.details["p2"]
    assert cb.power_proportions(0.7, p2, n=50).power == pytest.approx(0.8, abs=1e-3)
    mc = cb.minimum_detectable_effect(200, test="mcnemar", discordant=0.2)
    assert mc.solved_for == "effect_size"
    assert cb.power_mcnemar(mc.details["p10"], mc.details["p01"], n=200).power == pytest.approx(0.8, abs=1e-3)
    f = cb.minimum_detectable_effect(20, test="anova", groups=3, tol=1e-12)
    assert cb.power_anova(3, n=20, f=f.effect_size).power == pytest.approx(0.8, abs=1e-9)
    with pytest.raises(ValueError, match="baseline"):
        cb.minimum_detectable_effect(50, test="proportions")


def test_power_mcnemar_agrees_with_simulation_order_of_magnitude() -> None:
    res = cb.power_mcnemar(0.15, 0.05, n=150)
    rng = np.random.default_rng(0)
    draws = rng.multinomial(150, [0.15, 0.05, 0.8], size=2000)
    b, c = draws[:, 0], draws[:, 1]
    stat = (np.abs(b - c) - 1.0) ** 2 / np.maximum(b + c, 1)
    simulated = float(np.mean(stats.chi2.sf(stat, 1) < 0.05))
    assert abs(simulated - res.power) < 0.06


def test_eval_mean_reduces_to_clt_and_clusters_widen() -> None:
    scores = (RNG.random(200) < 0.7).astype(float)
    plain = cb.eval_mean(scores)
    assert plain.standard_error == pytest.approx(np.std(scores, ddof=1) / math.sqrt(200))
    singles = cb.eval_mean(scores, clusters=np.arange(200))
    assert singles.standard_error == pytest.approx(plain.standard_error)
    clustered_scores = np.repeat((RNG.random(40) < 0.7).astype(float), 5)  # 5 identical answers per passage
    wide = cb.eval_mean(clustered_scores, clusters=np.repeat(np.arange(40), 5))
    assert wide.n_clusters == 40 and wide.standard_error > 2 * wide.standard_error_clt
    assert "clustered SE" in wide.summary()


def test_eval_mean_repeats_long_and_wide_agree() -> None:
    matrix = (RNG.random((30, 4)) < RNG.random((30, 1))).astype(float)
    wide = cb.eval_mean(matrix)
    long = cb.eval_mean(matrix.ravel(), repeats=np.repeat(np.arange(30), 4))
    assert wide.mean == pytest.approx(long.mean) and wide.standard_error == pytest.approx(long.standard_error)
    assert wide.variance_reduction is not None and 0 <= wide.variance_reduction < 1
    assert (
        wide.standard_error_single_sample is not None
        and wide.standard_error_single_sample >= wide.standard_error
    )


def test_paired_eval_difference_uses_the_covariance() -> None:
    a = (RNG.random(300) < 0.75).astype(float)
    b = np.where(RNG.random(300) < 0.85, a, 1 - a)
    res = cb.paired_eval_difference(a, b)
    assert res.correlation > 0.5 and res.standard_error < res.standard_error_unpaired
    assert res.difference == pytest.approx(float(a.mean() - b.mean()))
    n_needed = cb.eval_sample_size(0.05, paired_correlation=0.6, baseline=0.7)
    n_unpaired = cb.eval_sample_size(0.05, paired_correlation=0.0, baseline=0.7)
    assert n_needed.n < n_unpaired.n
    with pytest.raises(ValueError, match="sd="):
        cb.eval_sample_size(0.05)


def test_wilcoxon_pratt_rank_biserial_uses_the_ranks_it_keeps() -> None:
    # |d| ranks with the zeros: 0, 0 -> 1.5, 1.5; 1 -> 3; 2 -> 4; 3 -> 5. Pratt drops the zeros' ranks.
    all_positive = cb.wilcoxon([0, 0, 1, 2, 3], zero_method="pratt").effect_size
    assert all_positive is not None and all_positive.value == 1.0  # was 3.0
    mixed = cb.wilcoxon([0, 0, 1, 2, -3], zero_method="pratt").effect_size
    assert mixed is not None and mixed.value == pytest.approx((7 - 5) / 12)  # (T+ - T-)/(T+ + T-)
    # without zeros Pratt and Wilcox agree
    assert cb.wilcoxon([1, 2, -3], zero_method="pratt").effect_size == cb.wilcoxon([1, 2, -3]).effect_size


def _bca_by_hand(
    theta: np.ndarray, estimate: float, jackknife: list[np.ndarray], confidence: float
) -> tuple[tuple[float, float], float]:
    """Efron & Tibshirani (1993) eq. 14.14-14.15, with the multi-sample acceleration of scipy."""
    from scipy import special

    b = theta.size
    z0 = special.ndtri((np.sum(theta < estimate) + np.sum(theta <= estimate)) / (2 * b))
    num = den = 0.0
    for v in jackknife:
        u = (v.size - 1) * (v.mean() - v)
        num += float((u**3).sum()) / v.size**3
        den += float((u**2).sum()) / v.size**2
    a = num / (6 * den**1.5)
    z = special.ndtri((1 - confidence) / 2)
    lo = special.ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
    hi = special.ndtr(z0 + (z0 - z) / (1 - a * (z0 - z)))
    low, high = np.percentile(theta, [100 * lo, 100 * hi])
    return (float(low), float(high)), a


def test_bootstrap_diff_paired_median_is_the_difference_of_medians() -> None:
    rng = np.random.default_rng(21)
    a = rng.exponential(1.0, 35)
    b = a - rng.exponential(0.6, 35) ** 2
    res = cb.bootstrap_diff(a, b, paired=True, statistic="median", seed=8, n_resamples=3000)
    assert res.estimate == float(np.median(a) - np.median(b))
    assert res.estimate != pytest.approx(float(np.median(a - b)))  # not the median of the differences
    # the pairs are resampled together: the same indices for a and b
    idx = np.random.default_rng(8).integers(0, 35, (3000, 35))
    theta = np.median(a[idx], axis=1) - np.median(b[idx], axis=1)
    jack = np.array([np.median(np.delete(a, i)) - np.median(np.delete(b, i)) for i in range(35)])
    ci, accel = _bca_by_hand(theta, res.estimate, [jack], 0.95)
    assert res.acceleration == pytest.approx(accel, rel=1e-10)
    assert res.ci == pytest.approx(ci, rel=1e-12)
    # scipy's paired bootstrap agrees too
    ref = stats.bootstrap(
        (a, b),
        lambda u, v, axis=-1: np.median(u, axis=axis) - np.median(v, axis=axis),
        paired=True,
        n_resamples=3000,
        method="BCa",
        rng=8,
    )
    assert res.ci == pytest.approx(tuple(ref.confidence_interval), rel=1e-12)
    mean = cb.bootstrap_diff(a, b, paired=True, seed=8, n_resamples=3000)
    assert mean.estimate == pytest.approx(float(np.mean(a) - np.mean(b)), rel=1e-12)


def test_bootstrap_diff_cluster_labels_follow_nan_policy_omit() -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(0, 1, 48)
    b = a + rng.normal(0.1, 0.3, 48)
    clusters = np.repeat(np.arange(12), 4)
    holes = a.copy()
    holes[7] = math.nan
    with_nan = cb.bootstrap_diff(
        holes, b, paired=True, cluster=clusters, seed=4, n_resamples=800, nan_policy="omit"
    )
    dropped = cb.bootstrap_diff(
        np.delete(a, 7), np.delete(b, 7), paired=True, cluster=np.delete(clusters, 7), seed=4, n_resamples=800
    )
    assert with_nan == dropped
    with pytest.raises(ValueError, match="cluster needs one label per pair") as info:
        cb.bootstrap_diff(a, b, paired=True, cluster=clusters[:-1])
    assert info.value.details["argument"] == "cluster"  # type: ignore[attr-defined]


def test_bootstrap_diff_unpaired_clusters_resample_within_each_sample() -> None:
    rng = np.random.default_rng(13)
    # 8 and 7 clusters of unequal sizes, with a shared cluster effect: ragged resamples
    sizes_x, sizes_y = [3, 5, 4, 6, 2, 5, 4, 3], [4, 4, 6, 3, 5, 2, 4]
    lx = np.repeat(np.arange(8), sizes_x)
    ly = np.repeat(np.arange(7), sizes_y) + 100
    x = np.repeat(rng.normal(0, 1, 8), sizes_x) + rng.normal(0, 0.3, lx.size)
    y = np.repeat(rng.normal(0.4, 1, 7), sizes_y) + rng.normal(0, 0.3, ly.size)
    statistics: list[tuple[Literal["mean", "median"], Any]] = [("median", np.median), ("mean", np.mean)]
    for statistic, reduce in statistics:
        res = cb.bootstrap_diff(x, y, cluster=(lx, ly), statistic=statistic, seed=3, n_resamples=1000)
        assert res.estimate == pytest.approx(float(reduce(x) - reduce(y)), rel=1e-12)
        draw = np.random.default_rng(3)
        px, py = draw.integers(0, 8, (1000, 8)), draw.integers(0, 7, (1000, 7))
        members_x = [np.flatnonzero(lx == c) for c in range(8)]
        members_y = [np.flatnonzero(ly == c + 100) for c in range(7)]
        theta = np.array(
            [
                reduce(x[np.concatenate([members_x[c] for c in px[r]])])
                - reduce(y[np.concatenate([members_y[c] for c in py[r]])])
                for r in range(1000)
            ]
        )
        jack = [
            np.array([reduce(x[lx != c]) for c in range(8)]) - reduce(y),
            reduce(x) - np.array([reduce(y[ly != c + 100]) for c in range(7)]),
        ]
        ci, accel = _bca_by_hand(theta, res.estimate, jack, 0.95)
        assert res.acceleration == pytest.approx(accel, rel=1e-9)
        assert res.ci == pytest.approx(ci, rel=1e-9)
        assert res == cb.bootstrap_diff(
            x, y, cluster=np.r_[lx, ly], statistic=statistic, seed=3, n_resamples=1000
        )
    plain = cb.bootstrap_diff(x, y, seed=3, n_resamples=1000)
    clustered = cb.bootstrap_diff(x, y, cluster=(lx, ly), seed=3, n_resamples=1000)
    assert clustered.standard_error > plain.standard_error  # correlated within clusters: wider
    # one cluster per observation: the jackknife (and so BCa's acceleration) is the ordinary one
    singletons = cb.bootstrap_diff(x, y, cluster=(np.arange(x.size), np.arange(y.size)), seed=3)
    assert singletons.acceleration == pytest.approx(plain.acceleration, rel=1e-9)
    xn = x.copy()
    xn[2] = math.nan
    omitted = cb.bootstrap_diff(xn, y, cluster=(lx, ly), seed=3, n_resamples=500, nan_policy="omit")
    assert omitted == cb.bootstrap_diff(
        np.delete(x, 2), y, cluster=(np.delete(lx, 2), ly), seed=3, n_resamples=500
    )
    with pytest.raises(ValueError, match="at least 2 clusters in y"):
        cb.bootstrap_diff(x, y, cluster=(lx, np.zeros(y.size)))
    with pytest.raises(ValueError, match="cluster needs one label per observation"):
        cb.bootstrap_diff(x, y, cluster=lx)


def test_power_mcnemar_one_sided_follows_the_direction_of_the_effect() -> None:
    # Connor (1987), one-sided: Phi((delta*sqrt(n) - z_{1-alpha}*sqrt(psi)) / sqrt(psi - delta^2))
    z = 1.6448536269514722
    expected = 0.5 * math.erfc(-((0.1 * 10 - z * math.sqrt(0.3)) / math.sqrt(0.3 - 0.01)) / math.sqrt(2))
    right = cb.power_mcnemar(0.2, 0.1, n=100, alternative="greater")
    assert right.power == pytest.approx(expected, rel=1e-9)
    assert cb.power_mcnemar(0.1, 0.2, n=100, alternative="less").power == pytest.approx(expected, rel=1e-9)
    wrong = cb.power_mcnemar(0.1, 0.2, n=100, alternative="greater")
    assert wrong.power < 0.05  # an effect the other way is (almost) never detected
    with pytest.raises(ValidationError, match="point the other way"):
        cb.power_mcnemar(0.1, 0.2, power=0.8, alternative="greater")
    mde = cb.minimum_detectable_effect(100, test="mcnemar", discordant=0.3, alternative="less")
    assert mde.effect_size < 0 and mde.power == pytest.approx(0.8, abs=1e-6)
