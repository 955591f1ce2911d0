"""Rank-based k-sample tests: Kruskal–Wallis (independent groups) and Friedman (blocks)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from crucible_bench._effect_sizes import make_effect
from crucible_bench._ranks import rankdata, tie_sizes
from crucible_bench._results import TestResult
from crucible_bench._validate import NanPolicy, as_groups, check_nan_policy
from crucible_core.errors import ValidationError

__all__ = ["as_block_matrix", "friedman", "kruskal_wallis"]


def kruskal_wallis(*groups: ArrayLike, nan_policy: NanPolicy = "raise") -> TestResult:
    """Kruskal–Wallis rank-sum test, as R's ``kruskal.test``.

    ``H = (12/(N(N+1)) Σ R_i²/n_i − 3(N+1)) / (1 − Σ(t³ − t)/(N³ − N))`` with rank sums ``R_i`` and tie
    sizes ``t``; ``H ~ χ²(k − 1)``. Effect size: rank ε² ``= H / ((N² − 1)/(N + 1))``
    (``effectsize::rank_epsilon_squared``, no interval; η² thresholds). All values identical gives
    ``H = 0, p = 1`` with a note (R returns NaN).

    Reference: Kruskal & Wallis (1952), JASA 47, 583–621.
    """
    arrays = as_groups(groups, nan_policy=nan_policy, min_n=1)
    pooled = np.concatenate(arrays)
    n = pooled.size
    if n < 2:
        raise ValidationError(
            "kruskal_wallis needs at least 2 observations in total.", argument="groups", minimum=2
        )
    ranks = rankdata(pooled)
    edges = np.cumsum([0] + [a.size for a in arrays])
    stat = sum(float(ranks[s:e].sum()) ** 2 / (e - s) for s, e in itertools.pairwise(edges))
    t = tie_sizes(pooled)
    denom = 1 - float((t**3 - t).sum()) / (n**3 - n)
    notes: tuple[str, ...] = ()
    if denom <= 0:
        h, p = 0.0, 1.0
        notes = ("all values are identical: H = 0, p = 1",)
    else:
        h = (12 * stat / (n * (n + 1)) - 3 * (n + 1)) / denom
        p = float(special.chdtrc(len(arrays) - 1, h))
    eps = h / ((n * n - 1) / (n + 1))
    return TestResult(
        test="kruskal_wallis",
        method="Kruskal–Wallis rank-sum test",
        statistic=h,
        statistic_name="H",
        p_value=p,
        df=float(len(arrays) - 1),
        effect_size=make_effect("rank ε²", eps, None, None, None, "eta2"),
        n=n,
        details={
            f"mean_rank_{i + 1}": float(ranks[s:e].mean())
            for i, (s, e) in enumerate(itertools.pairwise(edges))
        },
        notes=notes,
    )


def as_block_matrix(
    data: Any, name: str = "data", *, nan_policy: NanPolicy = "raise", min_cols: int = 2
) -> NDArray[np.float64]:
    """A blocks × treatments float matrix from a 2-D array, nested lists or a wide polars DataFrame."""
    check_nan_policy(nan_policy)
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):
        data = data.to_numpy()
    try:
        x = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{name} must be a numeric 2-D matrix (blocks in rows, treatments in columns).", argument=name
        ) from None
    if x.ndim != 2 or x.shape[1] < min_cols or x.shape[0] < 2:
        raise ValidationError(
            f"{name} must be 2-D with at least 2 blocks (rows) and {min_cols} treatments (columns); got shape {x.shape}.",
            argument=name,
            shape=str(x.shape),
        )
    finite = np.isfinite(x)
    if not finite.all():
        if nan_policy == "omit":
            x = x[finite.all(axis=1)]
            if x.shape[0] < 2:
                raise ValidationError(
                    f"{name} has fewer than 2 complete rows after dropping missing values.", argument=name
                )
        else:
            i, j = (int(v) for v in np.argwhere(~finite)[0])
            raise ValidationError(
                f"{name}[{i}][{j}] is {float(x[i, j])!r}; every value must be finite. Pass nan_policy='omit' to drop incomplete rows.",
                argument=name,
                index=f"[{i}][{j}]",
            )
    return x


def friedman(data: Any, *, nan_policy: NanPolicy = "raise") -> TestResult:
    """Friedman rank test for a blocks × treatments matrix, as R's ``friedman.test(matrix)``.

    Values are ranked within each block (row); with column rank sums ``R_j``::

        X² = 12 Σ (R_j − n(k+1)/2)² / (n k (k+1) − Σ(t³ − t)/(k − 1)),   df = k − 1

    Effect size: Kendall's W ``= X² / (n(k − 1))`` (thresholds 0.1 / 0.3 / 0.5 as for r). ``data`` may be
    a 2-D array or a wide polars DataFrame (one column per treatment). Rows with missing values are
    dropped with ``nan_policy="omit"`` (R: ``complete.cases``). Ties in every block give ``X² = 0, p = 1``.

    Reference: Friedman (1937), JASA 32, 675–701.
    """
    x = as_block_matrix(data, nan_policy=nan_policy)
    n, k = x.shape
    ranks = np.apply_along_axis(rankdata, 1, x)
    ties = sum(float((t**3 - t).sum()) for t in (tie_sizes(row) for row in x))
    den = n * k * (k + 1) - ties / (k - 1)
    notes: tuple[str, ...] = ()
    if den <= 0:
        stat, p = 0.0, 1.0
        notes = ("every block is fully tied: X² = 0, p = 1",)
    else:
        stat = 12 * float(((ranks.sum(axis=0) - n * (k + 1) / 2) ** 2).sum()) / den
        p = float(special.chdtrc(k - 1, stat))
    w = stat / (n * (k - 1))
    return TestResult(
        test="friedman",
        method="Friedman rank-sum test",
        statistic=stat,
        statistic_name="Friedman chi-squared",
        p_value=p,
        df=float(k - 1),
        effect_size=make_effect("Kendall's W", w, None, None, None, "r"),
        n=n,
        details={f"mean_rank_{j + 1}": float(v) for j, v in enumerate(ranks.mean(axis=0))},
        notes=notes,
    )
