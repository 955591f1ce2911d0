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

__all__ = ["PowerSummary", "power_summary"]

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


def _t_summary(
    x: NDArray[np.float64], y: NDArray[np.float64], paired: bool, d: float | None, alpha: float,
    minimum: float | None,
) -> PowerSummary:  # fmt: skip
    if paired:
        n, kind = float(x.size), "paired"
        sd = float(np.std(x - y, ddof=1)) if x.size > 1 else 0.0
    else:
        n, kind = 2 * x.size * y.size / (x.size + y.size), "two-sample"
        sd = (
            math.sqrt((float(np.var(x, ddof=1)) + float(np.var(y, ddof=1))) / 2)
            if min(x.size, y.size) > 1
            else 0.0
        )
    if n < 2:
        return PowerSummary()
    mde = cb.power_ttest(n=n, d=None, power=0.8, alpha=alpha, kind=kind)  # type: ignore[arg-type]
    at_minimum = _t(n, minimum / sd, kind, alpha) if minimum is not None and sd > 0 else None
    return PowerSummary(_t(n, d, kind, alpha), mde.effect_size, mde.effect_size_name, at_minimum)


def _mcnemar_summary(
    x: NDArray[np.float64], y: NDArray[np.float64], alpha: float, minimum: float | None
) -> PowerSummary:
    n = x.size
    b = int(((x == 1) & (y == 0)).sum())
    c = int(((x == 0) & (y == 1)).sum())
    achieved = mde = at_minimum = None
    name = None
    if b != c and 0 < b + c < n:
        achieved = cb.power_mcnemar(b / n, c / n, n=n, power=None, alpha=alpha).power
    if 0 < b + c < n:
        try:
            found = cb.minimum_detectable_effect(n, test="mcnemar", discordant=(b + c) / n, alpha=alpha)
            mde, name = found.effect_size, found.effect_size_name
        except ValidationError:  # no effect below the discordance reaches 80 % power
            pass
    if minimum is not None and minimum < 1:
        psi = min(1.0, max((b + c) / n, minimum))
        at_minimum = cb.power_mcnemar(
            (psi + minimum) / 2, (psi - minimum) / 2, n=n, power=None, alpha=alpha
        ).power
    return PowerSummary(achieved, mde, name, at_minimum)


def _proportions_summary(
    x: NDArray[np.float64], y: NDArray[np.float64], alpha: float, minimum: float | None
) -> PowerSummary:
    n = 2 * x.size * y.size / (x.size + y.size)
    p_a, p_b = float(x.mean()), float(y.mean())
    achieved = mde = at_minimum = None
    name = None
    if p_a != p_b and 0 < p_a < 1 and 0 < p_b < 1:
        achieved = cb.power_proportions(p_b, p_a, n=n, power=None, alpha=alpha).power
    if 0 < p_b < 1:
        try:
            found = cb.minimum_detectable_effect(n, test="proportions", baseline=p_b, alpha=alpha)
            mde, name = found.effect_size, found.effect_size_name
        except ValidationError:
            pass
        if minimum is not None:
            target = p_b + minimum if p_b + minimum < 1 else p_b - minimum
            if 0 < target < 1:
                at_minimum = cb.power_proportions(p_b, target, n=n, power=None, alpha=alpha).power
    return PowerSummary(achieved, mde, name, at_minimum)


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
    """The :class:`PowerSummary` of a comparison of ``x`` with ``y`` by ``test``.

    ``test`` is ``"auto"`` (what :func:`crucible_bench.compare` chose: McNemar / two proportions for 0/1
    scores, t otherwise) or the declared test; ``effect`` is the test's standardised effect (Cohen's d or
    d_z) for t tests.
    """
    if test in _NO_POWER:
        return PowerSummary(
            note=f"power and the minimum detectable effect are not available for {_NO_POWER[test]} "
            "(crucible-bench has no power function for it)"
        )
    if test == "mcnemar" or (test == "auto" and binary):
        return (
            _mcnemar_summary(x, y, alpha, minimum) if paired else _proportions_summary(x, y, alpha, minimum)
        )
    return _t_summary(x, y, paired, effect, alpha, minimum)
