"""Statistics primitives shared by every Crucible package.

Descriptive statistics, R's nine quantile types, streaming mean/variance (Welford, mergeable), a
mergeable quantile sketch with a relative-error guarantee (DDSketch), proportion confidence intervals
(Wilson, Clopper–Pearson) and a vectorised bootstrap (percentile, basic, BCa).

    >>> from crucible_core.stats import describe, wilson_ci, bootstrap_ci
    >>> wilson_ci(42, 50).low > 0.7
    True
"""

from crucible_core.stats._bootstrap import (
    BootstrapMethod,
    BootstrapResult,
    bootstrap_ci,
    bootstrap_interval,
)
from crucible_core.stats._describe import Description, describe
from crucible_core.stats._interval import ConfidenceInterval
from crucible_core.stats._proportions import clopper_pearson_ci, wilson_ci
from crucible_core.stats._quantile import quantile
from crucible_core.stats._resample import Clusters
from crucible_core.stats._running import RunningStats
from crucible_core.stats._sketch import QuantileSketch

__all__ = [
    "BootstrapMethod",
    "BootstrapResult",
    "Clusters",
    "ConfidenceInterval",
    "Description",
    "QuantileSketch",
    "RunningStats",
    "bootstrap_ci",
    "bootstrap_interval",
    "clopper_pearson_ci",
    "describe",
    "quantile",
    "wilson_ci",
]
