"""Power of a pairwise comparison: achieved power, the minimum detectable effect, and the power to detect
``analysis.minimum_effect`` — each from the crucible-bench power function that matches the test.

==================  ===============================================  ==========================================
test                power function                                   effect size of the MDE
==================  ===============================================  ==========================================
paired t            ``power_ttest(kind="paired")``                   Cohen's d_z
Welch t             ``power_ttest(kind="two-sample")``, n harmonic   Cohen's d
McNemar             ``power_mcnemar`` (Connor 1987)                  p10 − p01 (the difference in proportions)
two proportions     ``power_proportions`` (``power.prop.test``)      Cohen's h
Wilcoxon (auto)     paired / two-sample t (asymptotic relative efficiency >= 0.864, as ``compare`` does)
Wilcoxon, sign,     none in crucible-bench: reported as not available (``power_note``)
permutation (named)
==================  ===============================================  ==========================================

The power to detect the minimum effect ``m`` (in metric units) is prospective: for t tests
``d = m / SD`` (SD of the paired differences, or the pooled SD of the two samples); for McNemar
``δ = m`` at the observed share of discordant pairs ``ψ`` (at least ``m``, since ``|δ| <= ψ``); for two
proportions ``p2 = p1 + m`` around the observed proportion ``p1`` of condition b (``p1 − m`` when that
would pass 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import crucible_bench as cb
from crucible_core.errors import ValidationError

__all__ = ["PowerSummary", "power_at_minimum", "power_summary"]

_NO_POWER = {
    "wilcoxon": "the Wilcoxon signed-rank test",
    "sign": "the sign test",
    "permutation": "the permutation test",
}


@dataclass(frozen=True, slots=True)
class PowerSummary:
    """Achieved power, the MDE at 80 % power (and its effect-size name), the power at the minimum effect."""

    power: float | None = None
    mde: float | None = None
    mde_name: str | None = None
    at_minimum: float | None = None
    note: str | None = None


def _t(n: float, d: float | None, kind: str, alpha: float) -> float | None:
    if d is None or not math.isfinite(d) or d == 0 or n < 2:
        return None
    return cb.power_ttest(n=n, d=abs(d), power=None, alpha=alpha, kind=kind).power  # type: ignore[arg-type]


def _t_design(x: NDArray[np.float64], y: NDArray[np.float64], paired: bool) -> tuple[float, str, float]:
    """(n, power_ttest kind, SD of the effect) of a t comparison (harmonic n when unpaired)."""
    if paired:
        sd = float(np.std(x - y, ddof=1)) if x.size > 1 else 0.0
        return float(x.size), "paired", sd
    n = 2 * x.size * y.size / (x.size + y.size)
    sd = (
        math.sqrt((float(np.var(x, ddof=1)) + float(np.var(y, ddof=1))) / 2)
        if min(x.size, y.size) > 1
        else 0.0
    )
    return n, "two-sample", sd


def _discordant(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[int, int, int]:
    """(n, b, c): pairs, a right and b wrong, b right and a wrong."""
    return x.size, int(((x == 1) & (y == 0)).sum()), int(((x == 0) & (y == 1)).sum())


def _t_at_minimum(
    x: NDArray[np.float64], y: NDArray[np.float64], paired: bool, alpha: float, minimum: float
) -> float | None:
    n, kind, sd = _t_design(x, y, paired)
    return _t(n, minimum / sd, kind, alpha) if sd > 0 else None


def _mcnemar_at_minimum(
    x: NDArray[np.float64], y: NDArray[np.float64], alpha: float, minimum: float
) -> float | None:
    if not 0 < minimum < 1:
        return None
    n, b, c = _discordant(x, y)
    psi = min(1.0, max((b + c) / n, minimum))
    return cb.power_mcnemar((psi + minimum) / 2, (psi - minimum) / 2, n=n, power=None, alpha=alpha).power


def _proportions_at_minimum(
    x: NDArray[np.float64], y: NDArray[np.float64], alpha: float, minimum: float
) -> float | None:
    n = 2 * x.size * y.size / (x.size + y.size)
    p_b = float(y.mean())
    target = p_b + minimum if p_b + minimum < 1 else p_b - minimum
    if not (0 < p_b < 1 and 0 < target < 1):
        return None
    return cb.power_proportions(p_b, target, n=n, power=None, alpha=alpha).power


def power_at_minimum(
    test: str,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    paired: bool,
    binary: bool,
    alpha: float,
    minimum: float | None,
) -> float | None:
    """The prospective power to detect ``minimum`` (module docstring), or None (no minimum, no power
    function for ``test``, or an undefined design)."""
    if minimum is None or test in _NO_POWER:
        return None
    if test == "mcnemar" or (test == "auto" and binary):
        return (
            _mcnemar_at_minimum(x, y, alpha, minimum)
            if paired
            else _proportions_at_minimum(x, y, alpha, minimum)
        )
    return _t_at_minimum(x, y, paired, alpha, minimum)


def _t_summary(
    x: NDArray[np.float64], y: NDArray[np.float64], paired: bool, d: float | None, alpha: float
) -> PowerSummary:
    n, kind, _ = _t_design(x, y, paired)
    if n < 2:
        return PowerSummary()
    mde = cb.power_ttest(n=n, d=None, power=0.8, alpha=alpha, kind=kind)  # type: ignore[arg-type]
    return PowerSummary(_t(n, d, kind, alpha), mde.effect_size, mde.effect_size_name)


def _mcnemar_summary(x: NDArray[np.float64], y: NDArray[np.float64], alpha: float) -> PowerSummary:
    n, b, c = _discordant(x, y)
    achieved = mde = None
    name = None
    if b != c and 0 < b + c < n:
        achieved = cb.power_mcnemar(b / n, c / n, n=n, power=None, alpha=alpha).power
    if 0 < b + c < n:
        try:
            found = cb.minimum_detectable_effect(n, test="mcnemar", discordant=(b + c) / n, alpha=alpha)
            mde, name = found.effect_size, found.effect_size_name
        except ValidationError:  # no effect below the discordance reaches 80 % power
            pass
    return PowerSummary(achieved, mde, name)


def _proportions_summary(x: NDArray[np.float64], y: NDArray[np.float64], alpha: float) -> PowerSummary:
    n = 2 * x.size * y.size / (x.size + y.size)
    p_a, p_b = float(x.mean()), float(y.mean())
    achieved = mde = None
    name = None
    if p_a != p_b and 0 < p_a < 1 and 0 < p_b < 1:
        achieved = cb.power_proportions(p_b, p_a, n=n, power=None, alpha=alpha).power
    if 0 < p_b < 1:
        try:
            found = cb.minimum_detectable_effect(n, test="proportions", baseline=p_b, alpha=alpha)
            mde, name = found.effect_size, found.effect_size_name
        except ValidationError:
            pass
    return PowerSummary(achieved, mde, name)


def power_summary(
    test: str,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    paired: bool,
    binary: bool,
    effect: float | None,
    alpha: float,
    minimum: float | None,
) -> PowerSummary:
    """The :class:`PowerSummary` of a comparison of ``x`` with ``y`` by a declared ``test`` (for
    ``tests="auto"`` :func:`crucible_bench.compare` reports power and the MDE itself; only
    :func:`power_at_minimum` is added). ``effect`` is the test's standardised effect (Cohen's d or d_z)
    for t tests.
    """
    if test in _NO_POWER:
        return PowerSummary(
            note=f"power and the minimum detectable effect are not available for {_NO_POWER[test]} "
            "(crucible-bench has no power function for it)"
        )
    if test == "mcnemar" or (test == "auto" and binary):
        found = _mcnemar_summary(x, y, alpha) if paired else _proportions_summary(x, y, alpha)
    else:
        found = _t_summary(x, y, paired, effect, alpha)
    at_minimum = power_at_minimum(test, x, y, paired=paired, binary=binary, alpha=alpha, minimum=minimum)
    return PowerSummary(found.power, found.mde, found.mde_name, at_minimum)
