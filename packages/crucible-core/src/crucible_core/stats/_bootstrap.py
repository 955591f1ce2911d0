"""Bootstrap confidence intervals (percentile, basic, BCa), vectorised and chunked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy import special

from crucible_core.errors import ValidationError
from crucible_core.stats._interval import ConfidenceInterval
from crucible_core.stats._resample import (
    Clusters,
    FloatArray,
    bootstrap_distribution,
    check_finite,
    jackknife_values,
)
from crucible_core.stats._validate import as_float_array, check_confidence

__all__ = ["BootstrapMethod", "BootstrapResult", "bootstrap_ci", "bootstrap_interval"]

BootstrapMethod = Literal["bca", "percentile", "basic"]
Seed = int | np.random.Generator | np.random.SeedSequence | None


class BootstrapResult(BaseModel):
    """A bootstrap confidence interval and the figures behind it.

    ``bias`` is the bootstrap estimate of the statistic's bias, ``mean(theta*) - estimate``.
    ``bias_correction`` (z0) and ``acceleration`` (a) are BCa's two constants (None for the other
    methods). ``degenerate`` is True when every resample gave the same value (e.g. constant data):
    the interval is then that single point and ``standard_error`` is 0. ``distribution`` holds the
    resampled values only when ``return_distribution=True`` was passed.
    """

    model_config = ConfigDict(frozen=True)

    estimate: float
    ci: ConfidenceInterval
    standard_error: float
    bias: float
    method: BootstrapMethod
    confidence: float
    n_resamples: int
    n_observations: tuple[int, ...]
    bias_correction: float | None = None
    acceleration: float | None = None
    degenerate: bool = False
    distribution: tuple[float, ...] | None = None

    @property
    def low(self) -> float:
        return self.ci.low

    @property
    def high(self) -> float:
        return self.ci.high

    def summary(self) -> str:
        label = {"bca": "BCa", "percentile": "percentile", "basic": "basic"}[self.method]
        extra = ""
        if self.method == "bca":
            extra = f", z0={self.bias_correction:.4g}, a={self.acceleration:.4g}"
        return (
            f"estimate {self.estimate:.6g}, {self.confidence:.0%} {label} bootstrap CI "
            f"[{self.ci.low:.6g}, {self.ci.high:.6g}] (SE {self.standard_error:.4g}, "
            f"{self.n_resamples} resamples{extra})"
        )

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(exclude={"distribution"})
        out["ci"] = [self.ci.low, self.ci.high]
        out["n_observations"] = list(self.n_observations)
        if self.distribution is not None:
            out["distribution"] = list(self.distribution)
        return out

    def _repr_markdown_(self) -> str:
        return f"**Bootstrap** — {self.summary()}"


def _samples(data: Any) -> tuple[list[FloatArray], bool]:
    """Split ``data`` into samples; True when it was a tuple of samples."""
    multi = isinstance(data, tuple) and len(data) > 0 and all(np.ndim(s) >= 1 for s in data)
    if not multi:
        return [as_float_array(data, argument="data", min_size=2)], False
    return [as_float_array(s, argument=f"data[{j}]", min_size=2) for j, s in enumerate(data)], True


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(
        seed, int | np.integer | np.random.Generator | np.random.SeedSequence | None
    ):
        raise ValidationError(
            f"seed must be None, a non-negative int or a numpy.random.Generator; got {seed!r}.",
            argument="seed",
            value=repr(seed),
        )
    try:
        return np.random.default_rng(seed)
    except ValueError as exc:
        raise ValidationError(f"seed must be a non-negative int; got {seed!r}.", argument="seed") from exc


def _positive_int(value: Any, argument: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValidationError(
            f"{argument} must be an integer >= {minimum}; got {value!r}.",
            argument=argument,
            value=repr(value),
        )
    return int(value)


def _acceleration(jackknife: list[FloatArray]) -> float:
    """a = sum_j sum_i U_ji^3 / n_j^3 / (6 (sum_j sum_i U_ji^2 / n_j^2)^(3/2)), U = (n-1)(mean - theta_(i)).

    ``a`` does not change when every U is multiplied by the same constant, so the U are divided by their
    largest magnitude first: tiny or huge jackknife spreads then neither underflow nor overflow.
    """
    us = [(values.size - 1) * (values.mean() - values) for values in jackknife]
    scale = max((float(np.abs(u).max()) for u in us if u.size), default=0.0)
    if not (scale > 0.0 and np.isfinite(scale)):
        return 0.0
    num = den = 0.0
    for u in us:
        n = u.size
        u = u / scale
        num += float((u**3).sum()) / n**3
        den += float((u**2).sum()) / n**2
    return num / (6.0 * den**1.5) if den > 0 else 0.0


def bootstrap_ci(
    data: Any,
    statistic: Callable[..., Any],
    *,
    n_resamples: int = 9999,
    method: BootstrapMethod | str = "bca",
    confidence: float = 0.95,
    seed: Seed = None,
    paired: bool = False,
    clusters: npt.ArrayLike | None = None,
    vectorized: bool = True,
    batch: int | None = None,
    return_distribution: bool = False,
) -> BootstrapResult:
    """Bootstrap confidence interval of ``statistic(*data)``.

    ``data`` is one 1-D sample or a tuple of samples; the statistic is called as
    ``statistic(*samples, axis=-1)`` on arrays of shape ``(rows, n_j)`` and must reduce the last axis
    (``np.mean``, ``np.median``, ``lambda x, y, axis: x.mean(axis) - y.mean(axis)``). Resamples are
    drawn in cache-sized chunks (``batch`` resamples at a time; no Python loop over resamples). Pass
    ``vectorized=False`` for a statistic taking 1-D samples only: it is then called once per resample.
    A statistic must not depend on the order of the observations (the jackknife rotates them).

    - ``paired=True``: samples of equal length, resampled with the same indices (pairs stay together).
    - ``clusters``: one label per observation (one sample, or paired samples); whole clusters are
      resampled with replacement and BCa's jackknife leaves one cluster out (Davison & Hinkley 1997,
      section 3.8). Unequal cluster sizes give ragged resamples, evaluated one by one.

    Methods, with ``theta*`` the bootstrap distribution and ``alpha = (1 - confidence) / 2``:

    - ``"percentile"``: ``[Q(alpha), Q(1 - alpha)]`` of ``theta*``;
    - ``"basic"``: ``[2 theta - Q(1 - alpha), 2 theta - Q(alpha)]``;
    - ``"bca"`` (Efron & Tibshirani 1993, ch. 14.3; eq. 14.14–14.15): ``[Q(a1), Q(a2)]`` with
      ``a1,2 = Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z = ±Phi^-1(alpha)``, the bias
      correction ``z0 = Phi^-1((#{theta* < theta} + #{theta* <= theta}) / 2B)`` and the acceleration
      ``a = sum U³ / (6 (sum U²)^1.5)`` from jackknife influence values ``U_i = (n-1)(mean(theta_(.)) -
      theta_(i))``.

    ``Q`` is numpy's linear percentile. These are exactly the computations of
    ``scipy.stats.bootstrap``; with one sample (or paired samples) and the same integer seed as
    scipy's ``rng`` the resamples, and hence the intervals, are identical. ``standard_error`` is the
    standard deviation of ``theta*`` (ddof=1).

    Documented edge cases: if every resample gives the same value (constant data) the interval is
    that point and ``degenerate`` is True; if the jackknife values are all equal, ``a = 0``; if
    ``theta`` lies outside all of ``theta*``, z0's proportion is clamped to ``[1/2B, 1 - 1/2B]``
    (scipy returns NaN in these cases).

        >>> r = bootstrap_ci([2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8], np.mean, seed=1)
        >>> r.method, round(r.estimate, 4), r.ci.low < r.estimate < r.ci.high
        ('bca', 3.3571, True)

    References: B. Efron and R. J. Tibshirani (1993), An Introduction to the Bootstrap, Chapman & Hall;
    A. C. Davison and D. V. Hinkley (1997), Bootstrap Methods and their Application, CUP.
    """
    if not callable(statistic):
        raise ValidationError(
            f"statistic must be callable, e.g. np.mean; got {statistic!r}.", argument="statistic"
        )
    chosen = str(method).lower()
    if chosen not in ("bca", "percentile", "basic"):
        raise ValidationError(
            f"method must be 'bca', 'percentile' or 'basic'; got {method!r}.",
            argument="method",
            value=repr(method),
        )
    level = check_confidence(confidence)
    resamples = _positive_int(n_resamples, "n_resamples", 2)
    chunk = None if batch is None else _positive_int(batch, "batch", 1)
    rng = _rng(seed)
    samples, multi = _samples(data)
    if paired and len({s.size for s in samples}) > 1:
        raise ValidationError(
            f"paired=True needs samples of equal length; got lengths {[s.size for s in samples]}.",
            argument="data",
        )
    groups: Clusters | None = None
    if clusters is not None:
        if multi and not paired:
            raise ValidationError(
                "clusters applies to one sample or to paired samples; pass paired=True or one sample.",
                argument="clusters",
            )
        labels = np.asarray(clusters)
        if labels.shape != (samples[0].size,):
            raise ValidationError(
                f"clusters needs one label per observation ({samples[0].size}); got shape {labels.shape}.",
                argument="clusters",
            )
        groups = Clusters(labels)
        if groups.count < 2:
            raise ValidationError(
                f"the cluster bootstrap needs at least 2 clusters; got {groups.count}.", argument="clusters"
            )

    estimate_raw = statistic(*samples, axis=-1) if vectorized else statistic(*samples)
    estimate_arr = np.asarray(estimate_raw, dtype=np.float64)
    if estimate_arr.shape != ():
        raise ValidationError(
            f"statistic(*data) must return one number; got shape {estimate_arr.shape}.", argument="statistic"
        )
    estimate = float(estimate_arr)
    check_finite(np.array([estimate]), "evaluations on the original data")
    theta = bootstrap_distribution(
        samples, statistic, n_resamples=resamples, rng=rng, paired=paired, clusters=groups,
        vectorized=vectorized, batch=chunk,
    )  # fmt: skip
    check_finite(theta, "resamples")

    jack: list[FloatArray] | None = None
    if chosen == "bca":
        jack = jackknife_values(
            samples, statistic, paired=paired, clusters=groups, vectorized=vectorized, batch=chunk
        )
        for values in jack:
            check_finite(values, "jackknife (leave-one-out) samples")
    return bootstrap_interval(
        theta,
        estimate,
        method=chosen,
        confidence=level,
        jackknife=jack,
        n_observations=tuple(s.size for s in samples),
        return_distribution=return_distribution,
    )


def bootstrap_interval(
    theta: FloatArray,
    estimate: float,
    *,
    method: BootstrapMethod,
    confidence: float,
    jackknife: list[FloatArray] | None = None,
    n_observations: tuple[int, ...],
    return_distribution: bool = False,
) -> BootstrapResult:
    """The :class:`BootstrapResult` of a bootstrap distribution ``theta`` around ``estimate``.

    The interval step of :func:`bootstrap_ci`, for resampling schemes it does not run itself (e.g. a
    stratified cluster bootstrap in crucible-bench): percentile, basic, or BCa with the bias correction
    from ``theta`` and the acceleration from ``jackknife`` — one array of leave-one-out values per
    sample, as in ``scipy.stats.bootstrap`` (required for ``"bca"``).
    """
    resamples = int(theta.size)
    alpha = (1.0 - confidence) / 2.0
    z0: float | None = None
    accel: float | None = None
    if method == "bca":
        if jackknife is None:
            raise ValidationError("method='bca' needs the jackknife values.", argument="jackknife")
        below = np.count_nonzero(theta < estimate) + np.count_nonzero(theta <= estimate)
        proportion = min(max(below / (2.0 * resamples), 0.5 / resamples), 1.0 - 0.5 / resamples)
        z0 = float(special.ndtri(proportion))
        accel = _acceleration(jackknife)
        z_alpha = float(special.ndtri(alpha))
        num1, num2 = z0 + z_alpha, z0 - z_alpha
        probs = [
            float(special.ndtr(z0 + num1 / (1.0 - accel * num1))),
            float(special.ndtr(z0 + num2 / (1.0 - accel * num2))),
        ]
    else:
        probs = [alpha, 1.0 - alpha]
    low, high = (float(v) for v in np.percentile(theta, [p * 100.0 for p in probs]))
    if method == "basic":
        low, high = 2.0 * estimate - high, 2.0 * estimate - low
    spread = float(theta.max() - theta.min())
    return BootstrapResult(
        estimate=estimate,
        ci=ConfidenceInterval(low, high),
        standard_error=float(np.std(theta, ddof=1)) if spread > 0 else 0.0,
        bias=float(theta.mean()) - estimate if spread > 0 else float(theta[0]) - estimate,
        method=method,
        confidence=confidence,
        n_resamples=resamples,
        n_observations=n_observations,
        bias_correction=z0,
        acceleration=accel,
        degenerate=spread == 0.0,
        distribution=tuple(theta.tolist()) if return_distribution else None,
    )
