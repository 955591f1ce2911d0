"""Resampling: permutation tests and bootstrap intervals for differences (via ``crucible_core.stats``)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crucible_bench._results import Alternative, TestResult
from crucible_bench._validate import (
    NanPolicy,
    as_pair,
    as_sample,
    check_alternative,
    check_choice,
    check_confidence,
)
from crucible_core.errors import ValidationError
from crucible_core.stats import BootstrapResult, bootstrap_ci

__all__ = ["bootstrap_diff", "permutation_test"]

Statistic = Literal["mean_diff", "median_diff"] | Callable[..., Any]
_BATCH_ELEMENTS = 2_000_000


def _stat_fn(
    statistic: Statistic,
) -> tuple[Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]], str]:
    if statistic == "mean_diff":
        return (lambda a, b: a.mean(axis=-1) - b.mean(axis=-1)), "difference in means"
    if statistic == "median_diff":
        return (lambda a, b: np.median(a, axis=-1) - np.median(b, axis=-1)), "difference in medians"
    if callable(statistic):
        fn = statistic
        return (lambda a, b: np.asarray(fn(a, b, axis=-1), dtype=np.float64)), getattr(
            fn, "__name__", "statistic"
        )
    raise ValidationError(
        f"statistic must be 'mean_diff', 'median_diff' or a function f(x, y, axis=-1); got {statistic!r}.",
        argument="statistic",
    )


def permutation_test(
    x: ArrayLike,
    y: ArrayLike,
    statistic: Statistic = "mean_diff",
    *,
    paired: bool = False,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    seed: int | np.random.Generator | None = None,
    nan_policy: NanPolicy = "raise",
) -> TestResult:
    """Permutation test of ``statistic(x, y)`` (vectorised over ``axis=-1``).

    Unpaired: group labels are permuted; paired: ``x_i`` and ``y_i`` are swapped within pairs. When the
    number of distinct rearrangements (``C(n_x + n_y, n_x)`` or ``2^n``) does not exceed ``n_resamples``
    they are all enumerated and the p-value is exact; otherwise ``n_resamples`` random rearrangements
    give ``p = (1 + #{T* ≥ T}) / (n_resamples + 1)`` (Phipson & Smyth 2010), which never underestimates.
    Two-sided p-values double the smaller tail (as ``scipy.stats.permutation_test``). ``seed`` makes the
    result reproducible on every machine.
    """
    check_alternative(alternative)
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValidationError(
            f"n_resamples must be a positive integer; got {n_resamples!r}.", argument="n_resamples"
        )
    fn, name = _stat_fn(statistic)
    rng = np.random.default_rng(seed)
    if paired:
        a, b = as_pair(x, y, nan_policy=nan_policy, min_n=2)
        n = a.size
        total = 2**n if n < 63 else math.inf
    else:
        a = as_sample(x, "x", nan_policy=nan_policy, min_n=1)
        b = as_sample(y, "y", nan_policy=nan_policy, min_n=1)
        n = a.size + b.size
        total = math.comb(n, a.size)
    observed = float(fn(a, b))
    exact = total <= n_resamples
    stats = []
    if paired:
        if exact:
            masks = np.array(list(itertools.product((False, True), repeat=n)), dtype=bool)
            batches = [masks]
        else:
            per = max(1, _BATCH_ELEMENTS // n)
            batches = [rng.random((min(per, n_resamples - s), n)) < 0.5 for s in range(0, n_resamples, per)]
        for m in batches:
            stats.append(fn(np.where(m, b, a), np.where(m, a, b)))
    else:
        pooled = np.concatenate([a, b])
        n1 = a.size
        if exact:
            idx = np.array(list(itertools.combinations(range(n), n1)), dtype=np.intp)
            mask = np.zeros((idx.shape[0], n), dtype=bool)
            np.put_along_axis(mask, idx, True, axis=1)
            order = np.argsort(~mask, axis=1, kind="stable")
            perm = pooled[order]
            stats.append(fn(perm[:, :n1], perm[:, n1:]))
        else:
            per = max(1, _BATCH_ELEMENTS // n)
            for s in range(0, n_resamples, per):
                size = min(per, n_resamples - s)
                perm = rng.permuted(np.broadcast_to(pooled, (size, n)), axis=1)
                stats.append(fn(perm[:, :n1], perm[:, n1:]))
    null = np.concatenate([np.atleast_1d(s) for s in stats])
    tol = 1e-14 * max(abs(observed), 1.0)
    ge = int((null >= observed - tol).sum())
    le = int((null <= observed + tol).sum())
    if exact:
        p_greater, p_less = ge / null.size, le / null.size
    else:
        p_greater, p_less = (ge + 1) / (null.size + 1), (le + 1) / (null.size + 1)
    p = {"greater": p_greater, "less": p_less}.get(alternative, min(1.0, 2 * min(p_greater, p_less)))
    return TestResult(
        test=f"permutation_test[{'exact' if exact else 'monte-carlo'}{',paired' if paired else ''}]",
        method="permutation test" + (" (exact)" if exact else f" ({n_resamples} random permutations)"),
        statistic=observed,
        statistic_name=name if isinstance(statistic, str) else "T",
        p_value=p,
        estimate=observed,
        estimate_name=name,
        alternative=alternative,
        n=int(n),
        details={
            "n_permutations": float(null.size),
            "null_mean": float(null.mean()),
            "null_sd": float(null.std()),
        },
    )


def _mean(values: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    """``np.mean`` without its Python wrapper: the same pairwise sum, divided by the count (bit-identical)."""
    return np.add.reduce(values, axis=axis) / values.shape[axis]


def _labels(cluster: Any, size: int, what: str) -> NDArray[Any]:
    labels = np.asarray(cluster)
    if labels.shape != (size,):
        raise ValidationError(
            f"cluster needs one label per {what} ({size}, counted before missing values are dropped); got "
            f"shape {labels.shape}.",
            argument="cluster",
            shape=str(labels.shape),
        )
    return labels


def _unpaired_labels(cluster: Any, size_x: int, size_y: int) -> tuple[NDArray[Any], NDArray[Any]]:
    """Cluster labels of x and of y: a pair ``(labels_x, labels_y)`` or one array for ``x`` then ``y``."""
    if isinstance(cluster, tuple | list) and len(cluster) == 2 and all(np.ndim(c) == 1 for c in cluster):
        return _labels(cluster[0], size_x, "observation of x"), _labels(
            cluster[1], size_y, "observation of y"
        )
    labels = _labels(cluster, size_x + size_y, "observation of x followed by y")
    return labels[:size_x], labels[size_x:]


def _raw(values: ArrayLike) -> NDArray[np.float64]:
    """The values as given (already validated as a 1-D numeric sample), for the positions of NaNs."""
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _check_seed(seed: Any) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer | np.random.Generator | None):
        raise ValidationError(
            f"seed must be None, a non-negative int or a numpy.random.Generator; got {seed!r}.",
            argument="seed",
        )
    try:
        return np.random.default_rng(seed)
    except ValueError:
        raise ValidationError(f"seed must be a non-negative int; got {seed!r}.", argument="seed") from None


def bootstrap_diff(
    x: ArrayLike,
    y: ArrayLike,
    *,
    paired: bool = False,
    statistic: Literal["mean", "median"] = "mean",
    method: Literal["bca", "percentile", "basic"] = "bca",
    cluster: Any = None,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = None,
    nan_policy: NanPolicy = "raise",
) -> BootstrapResult:
    """Bootstrap confidence interval of ``statistic(x) − statistic(y)``, on ``crucible_core.stats.bootstrap_ci``.

    - Unpaired: x and y are resampled independently (stratified bootstrap).
    - Paired: pairs ``(x_i, y_i)`` are resampled as units (one set of indices for both) and the statistic
      is ``statistic(x[idx]) − statistic(y[idx])``; BCa's jackknife leaves out one pair at a time. For
      the mean this equals the mean of the differences (which is how it is computed); for the median it
      is the difference of the two medians, not the median of the differences.
    - ``cluster`` resamples whole clusters (e.g. questions generated from one passage), which keeps the
      interval honest when observations within a cluster are correlated. Paired: one label per pair.
      Unpaired: a pair ``(labels_x, labels_y)``, or one array holding the labels of ``x`` then of
      ``y``; clusters are resampled within each sample (a stratified cluster bootstrap, BCa's jackknife
      leaving out one cluster of one sample at a time). Labels are given for the data as passed: with
      ``nan_policy="omit"`` the labels of dropped values (pairs) are dropped with them.

    ``method`` is BCa (Efron 1987, default), percentile or basic. ``seed`` makes the result identical on
    every machine. Returns the core :class:`~crucible_core.stats.BootstrapResult` (``estimate``, ``ci``,
    ``standard_error`` …). For a one-sided ``confidence`` bound, take the matching end of the interval
    at ``2·confidence − 1``: for percentile and BCa intervals that end is exactly the one-sided bound.
    """
    from crucible_bench._cluster_bootstrap import cluster_labels, stratified_cluster_bootstrap

    check_choice(statistic, "statistic", ("mean", "median"))
    check_choice(method, "method", ("bca", "percentile", "basic"))
    reduce = _mean if statistic == "mean" else np.median
    if paired:
        a, b = as_pair(x, y, nan_policy=nan_policy, min_n=2)
        clusters = None
        if cluster is not None:
            raw_x, raw_y = _raw(x), _raw(y)
            clusters = _labels(cluster, raw_x.size, "pair")[np.isfinite(raw_x) & np.isfinite(raw_y)]
        if statistic == "mean":  # mean(x[idx]) − mean(y[idx]) = mean(d[idx]): resample d, one array

            def one(s: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
                return _mean(s, axis=axis)

            return bootstrap_ci(
                a - b,
                one,
                n_resamples=n_resamples,
                method=method,
                confidence=confidence,
                seed=seed,
                clusters=clusters,
            )

        def paired_two(
            s1: NDArray[np.float64], s2: NDArray[np.float64], axis: int = -1
        ) -> NDArray[np.float64]:
            return np.median(s1, axis=axis) - np.median(s2, axis=axis)

        return bootstrap_ci(
            (a, b),
            paired_two,
            n_resamples=n_resamples,
            method=method,
            confidence=confidence,
            seed=seed,
            paired=True,
            clusters=clusters,
        )
    a = as_sample(x, "x", nan_policy=nan_policy, min_n=2)
    b = as_sample(y, "y", nan_policy=nan_policy, min_n=2)
    if cluster is not None:
        raw_x, raw_y = _raw(x), _raw(y)
        lx, ly = _unpaired_labels(cluster, raw_x.size, raw_y.size)
        level = check_confidence(confidence)
        if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 2:
            raise ValidationError(
                f"n_resamples must be an integer >= 2; got {n_resamples!r}.", argument="n_resamples"
            )
        return stratified_cluster_bootstrap(
            a,
            b,
            cluster_labels(lx[np.isfinite(raw_x)], "x"),
            cluster_labels(ly[np.isfinite(raw_y)], "y"),
            reduce,
            is_mean=statistic == "mean",
            method=method,
            confidence=level,
            n_resamples=n_resamples,
            rng=_check_seed(seed),
        )

    def two(s1: NDArray[np.float64], s2: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
        return reduce(s1, axis=axis) - reduce(s2, axis=axis)

    return bootstrap_ci(
        (a, b),
        two,
        n_resamples=n_resamples,
        method=method,
        confidence=confidence,
        seed=seed,
    )
