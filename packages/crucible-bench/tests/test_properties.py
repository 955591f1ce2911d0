"""hypothesis properties: p-values in [0, 1], symmetry, invariances, p_adjust monotonicity, CIs cover estimates."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import crucible_bench as cb

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3))


def sample(min_size: int = 4, max_size: int = 30) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, st.integers(min_size, max_size), elements=values)


def varied(a: np.ndarray) -> bool:
    return bool(np.ptp(a) > 1e-6 * max(1.0, float(np.abs(a).max())))


@SETTINGS
@given(sample(), sample())
def test_two_sample_p_values_in_unit_interval_and_symmetric(x: np.ndarray, y: np.ndarray) -> None:
    assume(varied(x) and varied(y))
    for test in (
        lambda a, b: cb.ttest(a, b),
        lambda a, b: cb.ttest(a, b, equal_var=True),
        lambda a, b: cb.mann_whitney(a, b),
        lambda a, b: cb.mann_whitney(a, b, exact=False),
        lambda a, b: cb.kruskal_wallis(a, b),
        lambda a, b: cb.anova(a, b),
        lambda a, b: cb.levene(a, b),
    ):
        r_xy, r_yx = test(x, y), test(y, x)
        assert 0.0 <= r_xy.p_value <= 1.0
        assert abs(r_xy.p_value - r_yx.p_value) <= 1e-9 * max(r_xy.p_value, 1e-300) + 1e-15


@SETTINGS
@given(sample(), sample(), st.floats(-100, 100), st.floats(0.01, 100))
def test_location_and_scale_invariance(x: np.ndarray, y: np.ndarray, shift: float, scale: float) -> None:
    assume(varied(x) and varied(y))
    base = cb.ttest(x, y)
    moved = cb.ttest(x * scale + shift, y * scale + shift)
    assert np.isclose(moved.statistic, base.statistic, rtol=1e-6, atol=1e-9)
    assert np.isclose(moved.p_value, base.p_value, rtol=1e-6, atol=1e-12)
    # rank tests depend on the ordering only: any strictly increasing transform leaves them unchanged
    mw, mw2 = cb.mann_whitney(x, y), cb.mann_whitney(np.exp(x / 1e3), np.exp(y / 1e3))
    assert mw.statistic == mw2.statistic and np.isclose(mw.p_value, mw2.p_value, rtol=1e-12)
    kw, kw2 = cb.kruskal_wallis(x, y), cb.kruskal_wallis(x * scale + shift, y * scale + shift)
    assert np.isclose(kw.p_value, kw2.p_value, rtol=1e-9, atol=1e-15)


@SETTINGS
@given(sample(5, 25))
def test_paired_and_one_sample_tests(d: np.ndarray) -> None:
    assume(varied(d))
    y = np.zeros_like(d)
    for r in (
        cb.ttest(d, y, paired=True),
        cb.wilcoxon(d, y),
        cb.sign_test(d, y),
        cb.wilcoxon(d, y, zero_method="pratt"),
    ):
        assert 0.0 <= r.p_value <= 1.0
    # swapping the pair flips the sign and keeps the two-sided p-value
    a, b = cb.ttest(d, y, paired=True), cb.ttest(y, d, paired=True)
    assert np.isclose(a.statistic, -b.statistic) and np.isclose(a.p_value, b.p_value)
    w1, w2 = cb.wilcoxon(d, y), cb.wilcoxon(y, d)
    assert np.isclose(w1.p_value, w2.p_value, rtol=1e-9)


@SETTINGS
@given(sample(4, 25), sample(4, 25))
def test_confidence_intervals_contain_their_estimates(x: np.ndarray, y: np.ndarray) -> None:
    assume(varied(x) and varied(y))
    r = cb.ttest(x, y)
    assert r.ci is not None and r.estimate is not None and r.ci[0] <= r.estimate <= r.ci[1]
    for es in (
        cb.cohens_d(x, y),
        cb.hedges_g(x, y),
        cb.glass_delta(x, y),
        cb.rank_biserial(x, y),
        cb.cles(x, y),
    ):
        assert es.ci is not None and es.ci[0] - 1e-9 <= es.value <= es.ci[1] + 1e-9, es
    mw = cb.mann_whitney(x, y, conf_int=True)
    assert mw.ci is not None and mw.estimate is not None and mw.ci[0] <= mw.estimate <= mw.ci[1]
    n = min(x.size, y.size)
    wx = cb.wilcoxon(x[:n], y[:n], conf_int=True)
    if wx.ci is not None and wx.estimate is not None:
        assert wx.ci[0] <= wx.estimate <= wx.ci[1]


@SETTINGS
@given(
    st.lists(st.integers(1, 40), min_size=3, max_size=3), st.lists(st.integers(1, 40), min_size=3, max_size=3)
)
def test_table_effect_sizes_cover_estimates(row1: list[int], row2: list[int]) -> None:
    table = [row1, row2]
    v = cb.cramers_v(table)
    chi = cb.chi_square(table, correction=False)
    assert v.ci is not None and v.ci[0] <= v.ci[1]
    if chi.p_value < 0.975:  # below its 2.5% null quantile X² gives the pivot interval [0, 0] (as effectsize)
        assert v.ci[0] - 1e-9 <= v.value <= v.ci[1] + 1e-9
    two = [row1[:2], row2[:2]]
    for es in (cb.odds_ratio(two), cb.odds_ratio(two, method="conditional"), cb.risk_difference(two)):
        assert es.ci is not None and es.ci[0] - 1e-9 <= es.value <= es.ci[1] + 1e-9
    assert 0.0 <= cb.chi_square(table).p_value <= 1.0
    assert 0.0 <= cb.fisher_exact(two).p_value <= 1.0


@SETTINGS
@given(
    arrays(np.float64, st.integers(1, 60), elements=st.floats(0, 1)),
    st.sampled_from(["bonferroni", "holm", "hochberg", "hommel", "BH", "BY", "sidak"]),
)
def test_p_adjust_is_monotone_and_never_below_raw(p: np.ndarray, method: str) -> None:
    adj = cb.p_adjust(p, method)  # type: ignore[arg-type]
    assert adj.shape == p.shape
    assert np.all(adj >= p - 1e-12) and np.all(adj <= 1.0)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adj[order]) >= -1e-12)


@SETTINGS
@given(sample(6, 30), sample(6, 30))
def test_correlations_in_range(x: np.ndarray, y: np.ndarray) -> None:
    n = min(x.size, y.size)
    a, b = x[:n], y[:n]
    assume(varied(a) and varied(b))
    for method in ("pearson", "spearman", "kendall"):
        r = cb.correlation(a, b, method)  # type: ignore[arg-type]
        assert -1.0 - 1e-12 <= r.estimate <= 1.0 + 1e-12  # type: ignore[operator]
        assert 0.0 <= r.p_value <= 1.0
        swapped = cb.correlation(b, a, method)  # type: ignore[arg-type]
        assert np.isclose(r.p_value, swapped.p_value, rtol=1e-9)


@SETTINGS
@given(
    arrays(
        np.float64, st.integers(1, 25), elements=st.sampled_from([-3.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 5.5])
    )
)
def test_wilcoxon_rank_biserial_is_a_correlation_for_every_zero_method(d: np.ndarray) -> None:
    for zero_method in ("wilcox", "pratt"):
        es = cb.wilcoxon(d, zero_method=zero_method).effect_size
        assert es is not None and -1.0 <= es.value <= 1.0
        if es.ci is not None:  # no interval when every difference is zero
            assert -1.0 <= es.ci[0] <= es.value <= es.ci[1] <= 1.0
