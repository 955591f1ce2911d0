"""Stratified cluster bootstrap of ``statistic(x) − statistic(y)`` for two independent clustered samples.

``crucible_core.stats.bootstrap_ci`` resamples clusters of one sample (or of paired samples); two
independent samples whose observations are clustered (e.g. two models scored on different question sets
built from passages) need the clusters of each sample resampled within that sample. This module does
that, vectorised, with the same interval formulas as the core (percentile, basic, BCa with the
multi-sample jackknife acceleration of ``scipy.stats.bootstrap``, here leaving out one cluster of one
sample at a time; Davison & Hinkley 1997, §3.8).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crucible_core.errors import ValidationError
from crucible_core.stats import BootstrapResult, Clusters, bootstrap_interval

__all__ = ["cluster_labels", "stratified_cluster_bootstrap"]

FloatArray = NDArray[np.float64]
Reduce = Callable[..., Any]
_CHUNK_ELEMENTS = 1 << 17


def cluster_labels(labels: NDArray[Any], name: str) -> Clusters:
    """crucible-core's :class:`~crucible_core.stats.Clusters` of one sample, at least two of them."""
    groups = Clusters(labels)
    if groups.count < 2:
        raise ValidationError(
            f"the cluster bootstrap needs at least 2 clusters in {name}; got {groups.count}. Pass finer "
            "cluster labels, or cluster=None.",
            argument="cluster",
        )
    return groups


def _resampled(
    values: FloatArray, groups: Clusters, picks: NDArray[np.intp], reduce: Reduce, is_mean: bool
) -> FloatArray:
    """``reduce`` of each resample made of the clusters ``picks`` (rows = resamples)."""
    if is_mean:  # ragged or not: a cluster contributes its sum and its size
        sums = np.bincount(groups.inverse, weights=values, minlength=groups.count)
        return sums[picks].sum(axis=1) / groups.sizes[picks].sum(axis=1)
    if groups.matrix is not None:
        return np.asarray(reduce(values[groups.matrix[picks].reshape(picks.shape[0], -1)], axis=-1))
    out = np.empty(picks.shape[0])
    for r in range(picks.shape[0]):  # unequal cluster sizes: ragged resamples, one call each
        out[r] = reduce(values[np.concatenate([groups.members[c] for c in picks[r]])])
    return out


def _leave_one_cluster_out(values: FloatArray, groups: Clusters, reduce: Reduce) -> FloatArray:
    everything = np.arange(values.size)
    return np.array(
        [
            float(reduce(values[np.setdiff1d(everything, members, assume_unique=True)]))
            for members in groups.members
        ]
    )


def stratified_cluster_bootstrap(
    x: FloatArray,
    y: FloatArray,
    x_groups: Clusters,
    y_groups: Clusters,
    reduce: Reduce,
    *,
    is_mean: bool,
    method: str,
    confidence: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> BootstrapResult:
    """Bootstrap CI of ``reduce(x) − reduce(y)`` resampling whole clusters within each sample.

    Resamples come in chunks; in each chunk the cluster picks of ``x`` (``rng.integers(0, g_x, (rows,
    g_x))``) are drawn before those of ``y``, so a seed gives the same result on every machine.
    """
    estimate = float(reduce(x)) - float(reduce(y))
    rows = max(1, _CHUNK_ELEMENTS // (x.size + y.size))
    theta = np.empty(n_resamples)
    for start in range(0, n_resamples, rows):
        r = min(rows, n_resamples - start)
        picks_x = rng.integers(0, x_groups.count, (r, x_groups.count))
        picks_y = rng.integers(0, y_groups.count, (r, y_groups.count))
        theta[start : start + r] = _resampled(x, x_groups, picks_x, reduce, is_mean) - _resampled(
            y, y_groups, picks_y, reduce, is_mean
        )
    jackknife = None
    if method == "bca":
        ry = float(reduce(y))
        rx = float(reduce(x))
        jackknife = [
            _leave_one_cluster_out(x, x_groups, reduce) - ry,
            rx - _leave_one_cluster_out(y, y_groups, reduce),
        ]
    return bootstrap_interval(
        theta,
        estimate,
        method=method,  # type: ignore[arg-type]
        confidence=confidence,
        jackknife=jackknife,
        n_observations=(int(x.size), int(y.size)),
    )
