"""bootstrap_ci: agreement with scipy.stats.bootstrap, BCa constants, clusters, properties, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.stats
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from crucible_core.errors import DataError, ValidationError
from crucible_core.stats import BootstrapResult, bootstrap_ci
from crucible_core.stats._indices import IndexStream

RNG = np.random.default_rng(20240501)
X = RNG.lognormal(0.0, 0.8, size=150)
Y = X * 0.7 + RNG.normal(0.3, 0.4, size=150)
Z = RNG.normal(1.0, 2.0, size=90)


def median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis)


def mean_diff(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def scipy_ci(data: tuple[np.ndarray, ...], statistic, method: str, seed: int, **kw) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    res = scipy.stats.bootstrap(data, statistic, n_resamples=1999, method=method, rng=seed, **kw)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


@pytest.mark.parametrize("method", ["bca", "percentile", "basic"])
@pytest.mark.parametrize("statistic", [np.mean, median, np.std], ids=["mean", "median", "std"])
def test_one_sample_equals_scipy(method: str, statistic) -> None:  # type: ignore[no-untyped-def]
    ours = bootstrap_ci(X, statistic, n_resamples=1999, method=method, seed=7)
    theirs = scipy.stats.bootstrap((X,), statistic, n_resamples=1999, method=method, rng=7)
    assert ours.ci == pytest.approx(tuple(theirs.confidence_interval), rel=1e-12, abs=1e-12)
    assert ours.standard_error == pytest.approx(float(theirs.standard_error), rel=1e-12)
    assert ours.estimate == pytest.approx(float(statistic(X)))


@pytest.mark.parametrize("method", ["bca", "percentile", "basic"])
def test_paired_samples_equal_scipy(method: str) -> None:
    ours = bootstrap_ci((X, Y), mean_diff, n_resamples=1999, method=method, seed=3, paired=True)
    assert ours.ci == pytest.approx(scipy_ci((X, Y), mean_diff, method, 3, paired=True), rel=1e-12)


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_independent_samples_equal_scipy_batched_alike(method: str) -> None:
    # scipy draws sample 1 then sample 2 per batch, as crucible does per chunk: same batch -> same draws
    ours = bootstrap_ci((X, Z), mean_diff, n_resamples=1999, method=method, seed=11, batch=250)
    assert ours.ci == pytest.approx(scipy_ci((X, Z), mean_diff, method, 11, batch=250), rel=1e-12)
    assert ours.n_observations == (150, 90)


def _reference_bca_constants(
    x: np.ndarray, theta_hat: float, distribution: np.ndarray
) -> tuple[float, float]:
    """Efron & Tibshirani (1993) eq. 14.14 and 14.15, with an explicit leave-one-out loop."""
    z0 = float(
        ndtri(
            (np.sum(distribution < theta_hat) + np.sum(distribution <= theta_hat)) / (2 * distribution.size)
        )
    )
    loo = np.array([np.median(np.delete(x, i)) for i in range(x.size)])
    d = loo.mean() - loo
    return z0, float((d**3).sum() / (6 * ((d**2).sum()) ** 1.5))


def test_bca_constants_match_textbook_formulas() -> None:
    result = bootstrap_ci(X, median, n_resamples=999, seed=5, return_distribution=True)
    assert result.distribution is not None and len(result.distribution) == 999
    z0, a = _reference_bca_constants(X, result.estimate, np.array(result.distribution))
    assert result.bias_correction == pytest.approx(z0, abs=1e-12)
    assert result.acceleration == pytest.approx(a, rel=1e-9, abs=1e-15)
    assert result.bias == pytest.approx(float(np.mean(result.distribution)) - result.estimate)
    percentile = bootstrap_ci(X, median, n_resamples=999, seed=5, method="percentile")
    assert percentile.bias_correction is None and percentile.acceleration is None


def test_vectorized_false_and_the_mean_fast_path_give_the_same_answer() -> None:
    fast = bootstrap_ci(X, np.mean, n_resamples=999, seed=9)
    generic = bootstrap_ci(X, lambda x, axis=-1: np.mean(x, axis=axis), n_resamples=999, seed=9)
    looped = bootstrap_ci(X, lambda x: float(np.mean(x)), n_resamples=999, seed=9, vectorized=False)
    for other in (generic, looped):
        assert other.ci == pytest.approx(fast.ci, rel=1e-12)
        assert other.acceleration == pytest.approx(fast.acceleration, rel=1e-9)


def test_seed_determinism_and_generators() -> None:
    a = bootstrap_ci(X, median, n_resamples=500, seed=123)
    b = bootstrap_ci(X, median, n_resamples=500, seed=123)
    c = bootstrap_ci(X, median, n_resamples=500, seed=np.random.default_rng(123))
    d = bootstrap_ci(X, median, n_resamples=500, seed=124)
    assert a == b == c
    assert a.ci != d.ci
    # the generator advances exactly as numpy's integers() would (scipy-compatible stream)
    mine, ref = np.random.default_rng(5), np.random.default_rng(5)
    bootstrap_ci(X, np.mean, n_resamples=301, seed=mine, method="percentile")
    ref.integers(0, X.size, (301, X.size))
    assert mine.integers(0, 10**9, 4).tolist() == ref.integers(0, 10**9, 4).tolist()


def test_cluster_bootstrap() -> None:
    # one observation per cluster is the ordinary bootstrap (same draws, same jackknife)
    single = bootstrap_ci(X, np.mean, n_resamples=999, seed=2, clusters=np.arange(X.size))
    plain = bootstrap_ci(X, np.mean, n_resamples=999, seed=2)
    assert single.ci == pytest.approx(plain.ci, rel=1e-12)
    assert single.acceleration == pytest.approx(plain.acceleration, rel=1e-9)
    # equal-sized clusters: two identical copies per cluster leave the mean's distribution unchanged
    doubled = bootstrap_ci(
        np.repeat(X, 2), np.mean, n_resamples=999, seed=2, clusters=np.repeat(np.arange(X.size), 2)
    )
    assert doubled.ci == pytest.approx(plain.ci, rel=1e-9)
    # unequal clusters: compare with a direct loop over the same cluster draws
    labels = np.array(["a"] * 5 + ["b"] * 2 + ["c"] * 9 + ["d"] * 4 + ["e"] * 7)
    data = RNG.normal(size=labels.size)
    ours = bootstrap_ci(data, np.mean, n_resamples=400, seed=8, clusters=labels, method="percentile")
    members = [np.flatnonzero(labels == g) for g in "abcde"]
    picks = np.random.default_rng(8).integers(0, 5, (400, 5))
    theta = np.array([data[np.concatenate([members[k] for k in row])].mean() for row in picks])
    assert ours.ci == pytest.approx(tuple(np.percentile(theta, [2.5, 97.5])), rel=1e-12)
    # clusters make the interval honest about correlated observations: wider than pretending independence
    shared = np.repeat(RNG.normal(size=20), 10) + RNG.normal(scale=0.1, size=200)
    groups = np.repeat(np.arange(20), 10)
    naive = bootstrap_ci(shared, np.mean, n_resamples=999, seed=1)
    clustered = bootstrap_ci(shared, np.mean, n_resamples=999, seed=1, clusters=groups)
    assert clustered.ci.width > 2 * naive.ci.width
    paired = bootstrap_ci(
        (X, Y), mean_diff, n_resamples=300, seed=1, paired=True, clusters=np.arange(150) // 3
    )
    assert paired.ci.low < paired.estimate < paired.ci.high


def test_constant_data_gives_the_point_interval() -> None:
    for method in ("bca", "percentile", "basic"):
        result = bootstrap_ci([2.5] * 12, np.mean, n_resamples=200, seed=0, method=method)
        assert result.ci == (2.5, 2.5)
        assert result.degenerate and result.standard_error == 0.0 and result.bias == 0.0
    assert bootstrap_ci([2.5] * 12, np.mean, n_resamples=200, seed=0).acceleration == 0.0


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=2, max_size=40), st.integers(0, 2**32 - 1), st.floats(0.5, 0.99))
def test_percentile_interval_contains_the_mean(data: list[float], seed: int, conf: float) -> None:
    result = bootstrap_ci(data, np.mean, n_resamples=299, method="percentile", seed=seed, confidence=conf)
    tol = 1e-9 * max(1.0, max(abs(v) for v in data))
    assert result.ci.low - tol <= result.estimate <= result.ci.high + tol


@settings(max_examples=40, deadline=None)
@given(
    st.lists(finite, min_size=3, max_size=40),
    st.integers(0, 2**32 - 1),
    st.floats(0.5, 0.98),
    st.floats(0.005, 0.015),
    st.sampled_from(["percentile", "basic", "bca"]),
)
@example([0.0, 0.0, 4.356167048863747e-145], 0, 0.5, 0.0078125, "bca")  # jackknife spread underflowed
def test_intervals_widen_with_confidence(
    data: list[float], seed: int, conf: float, step: float, method: str
) -> None:
    narrow = bootstrap_ci(data, np.mean, n_resamples=299, method=method, seed=seed, confidence=conf)
    wide = bootstrap_ci(data, np.mean, n_resamples=299, method=method, seed=seed, confidence=conf + step)
    tol = 1e-9 * max(1.0, max(abs(v) for v in data))
    assert wide.ci.low <= narrow.ci.low + tol and narrow.ci.high <= wide.ci.high + tol


def test_result_record() -> None:
    result = bootstrap_ci(X, np.mean, n_resamples=500, seed=4)
    assert isinstance(result, BootstrapResult)
    assert result.method == "bca" and result.confidence == 0.95 and result.n_resamples == 500
    assert (result.low, result.high) == result.ci
    record = result.to_dict()
    assert json.loads(json.dumps(record)) == record and record["ci"] == [result.low, result.high]
    assert "BCa bootstrap CI" in result.summary() and "z0=" in result.summary()
    assert bootstrap_ci(X, np.mean, n_resamples=500, seed=4, method="BCa").ci == result.ci
    with pytest.raises(ValueError, match="frozen"):
        result.estimate = 0.0  # type: ignore[misc]


def test_bad_input_is_named() -> None:
    with pytest.raises(ValidationError, match=r"data\[3\] is nan"):
        bootstrap_ci([1.0, 2.0, 3.0, float("nan")], np.mean)
    with pytest.raises(ValidationError, match=r"data\[1\]\[2\] is inf"):
        bootstrap_ci(([1.0, 2.0, 3.0], [1.0, 2.0, float("inf")]), mean_diff)
    with pytest.raises(ValidationError, match="at least 2"):
        bootstrap_ci([1.0], np.mean)
    with pytest.raises(ValidationError, match="method"):
        bootstrap_ci(X, np.mean, method="studentized")
    with pytest.raises(ValidationError, match="confidence"):
        bootstrap_ci(X, np.mean, confidence=95)
    with pytest.raises(ValidationError, match="n_resamples"):
        bootstrap_ci(X, np.mean, n_resamples=1)
    with pytest.raises(ValidationError, match="seed"):
        bootstrap_ci(X, np.mean, seed="abc")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="callable"):
        bootstrap_ci(X, "mean")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="equal length"):
        bootstrap_ci((X, Z), mean_diff, paired=True)
    with pytest.raises(ValidationError, match="one label per observation"):
        bootstrap_ci(X, np.mean, clusters=[1, 2, 3])
    with pytest.raises(ValidationError, match="at least 2 clusters"):
        bootstrap_ci(X, np.mean, clusters=np.zeros(X.size))
    with pytest.raises(ValidationError, match="paired=True"):
        bootstrap_ci((X, Z), mean_diff, clusters=np.arange(150))
    with pytest.raises(ValidationError, match="must return one number"):
        bootstrap_ci(X, lambda x, axis=-1: x, n_resamples=10)
    with pytest.raises(ValidationError, match=r"expected \(10,\).*vectorized=False"):
        bootstrap_ci(X, lambda x, axis=-1: float(np.mean(x)), n_resamples=10)
    with pytest.raises(DataError, match="NaN or inf on"):
        # undefined (NaN) whenever a resample repeats one value, which happens 1 time in 9 here
        bootstrap_ci(
            [1.0, 2.0, 3.0],
            lambda x, axis=-1: np.where(np.ptp(x, axis=axis) > 0, np.mean(x, axis=axis), np.nan),
            n_resamples=50,
            seed=0,
        )


@pytest.mark.parametrize("n", [2, 3, 1000, 65_537, 2**31 + 12_345, 3_000_000_000])
@pytest.mark.parametrize("pending_half", [False, True])
def test_index_stream_reproduces_numpy_integers(n: int, pending_half: bool) -> None:
    # for n near 2**32 Lemire's method rejects up to 30 % of the words: the skip logic is exercised
    mine, ref = np.random.default_rng(n), np.random.default_rng(n)
    if pending_half:  # a 32-bit draw leaves half of a 64-bit output buffered in the generator
        mine.integers(0, 7, 1, dtype=np.uint32)
        ref.integers(0, 7, 1, dtype=np.uint32)
    with IndexStream(mine) as stream:
        got = [stream.draw_flat(n, count) for count in (1, 999, 1000, 7)]
    expected = [ref.integers(0, n, count) for count in (1, 999, 1000, 7)]
    for a, b in zip(got, expected, strict=True):
        assert a.tolist() == b.tolist()
    assert mine.integers(0, 2**62, 3).tolist() == ref.integers(0, 2**62, 3).tolist()


def test_bootstrap_interval_is_the_interval_step_of_bootstrap_ci() -> None:
    from crucible_core.stats import bootstrap_interval

    data = np.random.default_rng(4).exponential(size=60)
    full = bootstrap_ci(
        data, np.mean, n_resamples=2000, method="percentile", seed=3, return_distribution=True
    )
    assert full.distribution is not None
    again = bootstrap_interval(
        np.asarray(full.distribution),
        full.estimate,
        method="percentile",
        confidence=0.95,
        n_observations=(60,),
    )
    assert again.ci == full.ci and again.standard_error == full.standard_error
    with pytest.raises(ValidationError, match="jackknife"):
        bootstrap_interval(
            np.asarray(full.distribution), full.estimate, method="bca", confidence=0.95, n_observations=(60,)
        )
