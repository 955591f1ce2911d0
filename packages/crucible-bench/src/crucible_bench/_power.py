"""Power analysis: t-tests, one-way ANOVA, two proportions and McNemar, solving for any one quantity.

Each function takes every quantity but one and returns a :class:`PowerResult` with all of them filled in.
Unknowns are solved with Brent's zeroin on R's search intervals with R's default tolerance
``tol = .Machine$double.eps^0.25`` (:mod:`crucible_bench._zeroin`), so solved values reproduce R's
``power.t.test`` / ``power.prop.test`` / ``power.anova.test`` to the last digit; pass ``tol=1e-10`` for the
precise root (R's own answers are only accurate to about ``tol``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from scipy import special

from crucible_bench._results import Alternative, PowerResult
from crucible_bench._validate import check_alternative, check_choice, check_number, check_probability
from crucible_bench._zeroin import R_TOL, zeroin
from crucible_core.errors import ValidationError

__all__ = ["minimum_detectable_effect", "power_anova", "power_mcnemar", "power_proportions", "power_ttest"]

TTestKind = Literal["two-sample", "one-sample", "paired"]


def _one_missing(**values: float | None) -> str:
    missing = [k for k, v in values.items() if v is None]
    if len(missing) != 1:
        raise ValidationError(
            f"exactly one of {', '.join(values)} must be None (the quantity to solve for); got "
            f"{', '.join(missing) or 'none'} missing.",
            argument=",".join(values),
        )
    return missing[0]


def _check_common(power: float | None, alpha: float | None, tol: float) -> None:
    """``power`` and ``alpha`` in (0, 1) when given; ``tol`` a finite positive number."""
    if power is not None:
        check_probability(power, "power")
    if alpha is not None:
        check_probability(alpha, "alpha")
    check_number(tol, "tol", low=0.0, low_open=True)


def _solve(f: Callable[[float], float], target: float, lo: float, hi: float, what: str, tol: float) -> float:
    flo, fhi = f(lo) - target, f(hi) - target
    if not (math.isfinite(flo) and math.isfinite(fhi)):
        raise ValidationError(
            f"the power curve is undefined at the ends of the search interval for {what} [{lo:g}, {hi:g}]. "
            "Check that every other input is a finite number in its range.",
            argument=what,
        )
    if flo * fhi > 0:
        raise ValidationError(
            f"no {what} in [{lo:g}, {hi:g}] reaches the requested value {target:g} (the curve runs from "
            f"{flo + target:.4g} to {fhi + target:.4g}). Check the other inputs.",
            argument=what,
        )
    return zeroin(lambda v: f(v) - target, lo, hi, tol=tol)


def _ttest_power(n: float, d: float, alpha: float, tsample: int, alternative: str, strict: bool) -> float:
    nu = (n - 1) * tsample
    ncp = math.sqrt(n / tsample) * d
    if alternative == "two-sided":
        qu = float(special.stdtrit(nu, 1 - alpha / 2))
        ncp = abs(ncp)
        p = 1 - float(special.nctdtr(nu, ncp, qu))
        if strict:
            p += float(special.nctdtr(nu, ncp, -qu))
        return p
    qu = float(special.stdtrit(nu, 1 - alpha))
    if alternative == "greater":
        return 1 - float(special.nctdtr(nu, ncp, qu))
    return float(special.nctdtr(nu, ncp, -qu))


def power_ttest(
    n: float | None = None,
    d: float | None = None,
    power: float | None = None,
    alpha: float | None = 0.05,
    *,
    kind: TTestKind = "two-sample",
    alternative: Alternative = "two-sided",
    strict: bool = False,
    tol: float = R_TOL,
) -> PowerResult:
    """Power of a t-test from the noncentral t, as R's ``power.t.test`` (with ``sd = 1``, ``delta = d``).

    ``n`` is per group (two-sample) or the number of pairs / observations; ``d`` is Cohen's d (d_z for
    paired data). With ``ν = (n − 1)·g`` (g = 2 for two samples, else 1), ``λ = sqrt(n/g)·d`` and
    ``q = t_{1−α/2, ν}``: ``power = P(T'_{ν,λ} > q)`` — plus ``P(T' < −q)`` when ``strict`` (R's default
    ``strict = FALSE`` ignores the far tail). One-sided tests use ``t_{1−α}`` and the sign of ``d``
    ("less" expects ``d < 0``). Solves for whichever of ``n``, ``d``, ``power``, ``alpha`` is None.

        >>> round(power_ttest(n=20, d=0.5).power, 4)
        0.3377
        >>> round(power_ttest(d=0.5, power=0.8).n, 2)
        63.77
    """
    check_alternative(alternative)
    check_choice(kind, "kind", ("two-sample", "one-sample", "paired"))
    target = _one_missing(n=n, d=d, power=power, alpha=alpha)
    g = 2 if kind == "two-sample" else 1
    if n is not None:
        n = check_number(n, "n", low=2.0)
    if d is not None:
        d = check_number(d, "d")
    _check_common(power, alpha, tol)
    sign = -1.0 if alternative == "less" else 1.0

    def pw(nv: float, dv: float, av: float) -> float:
        return _ttest_power(nv, dv, av, g, alternative, strict)

    if target == "power":
        assert n is not None and d is not None and alpha is not None
        power = pw(n, d, alpha)
    elif target == "n":
        assert d is not None and power is not None and alpha is not None
        n = _solve(lambda v: pw(v, d, alpha), power, 2.0, 1e7, "n", tol)
    elif target == "d":
        assert n is not None and power is not None and alpha is not None
        d = sign * _solve(lambda v: pw(n, sign * v, alpha), power, 1e-7, 1e7, "d", tol)
    else:
        assert n is not None and d is not None and power is not None
        alpha = _solve(lambda v: pw(n, d, v), power, 1e-10, 1 - 1e-10, "alpha", tol)
    name = {"two-sample": "two-sample t-test", "one-sample": "one-sample t-test", "paired": "paired t-test"}[
        kind
    ]
    return PowerResult(
        test=name,
        n=float(n),
        effect_size=float(d),
        effect_size_name="d" if kind != "paired" else "d_z",
        power=float(power),
        alpha=float(alpha),
        alternative=alternative,
        solved_for="effect_size" if target == "d" else target,  # type: ignore[arg-type]
        details={"n_total": float(n) * g, "strict": float(strict)},
    )


def _anova_power(k: int, n: float, f: float, alpha: float) -> float:
    df1, df2 = k - 1.0, (n - 1.0) * k
    crit = float(special.fdtri(df1, df2, 1 - alpha))
    return 1 - float(special.ncfdtr(df1, df2, k * n * f * f, crit))


def power_anova(
    groups: int,
    n: float | None = None,
    f: float | None = None,
    power: float | None = None,
    alpha: float | None = 0.05,
    *,
    tol: float = R_TOL,
) -> PowerResult:
    """Power of the one-way ANOVA F test, as R's ``power.anova.test`` / ``pwr::pwr.anova.test``.

    ``groups`` = k, ``n`` per group, Cohen's ``f = σ_means/σ``. Noncentrality ``λ = k·n·f²``,
    ``power = P(F'_{k−1, k(n−1), λ} > F_{1−α})``. (R's ``between.var/within.var`` equals ``f²·k/(k − 1)``.)
    """
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 2:
        raise ValidationError(f"groups must be an integer >= 2; got {groups!r}.", argument="groups")
    target = _one_missing(n=n, f=f, power=power, alpha=alpha)
    if n is not None:
        n = check_number(n, "n", low=2.0)
    if f is not None:
        f = check_number(f, "f", low=0.0)
    _check_common(power, alpha, tol)
    if target == "power":
        assert n is not None and f is not None and alpha is not None
        power = _anova_power(groups, n, f, alpha)
    elif target == "n":
        assert f is not None and power is not None and alpha is not None
        n = _solve(lambda v: _anova_power(groups, v, f, alpha), power, 2.0, 1e5, "n", tol)
    elif target == "f":
        assert n is not None and power is not None and alpha is not None
        f = _solve(lambda v: _anova_power(groups, n, v, alpha), power, 1e-7, 1e7, "f", tol)
    else:
        assert n is not None and f is not None and power is not None
        alpha = _solve(lambda v: _anova_power(groups, n, f, v), power, 1e-10, 1 - 1e-10, "alpha", tol)
    return PowerResult(
        test=f"one-way ANOVA ({groups} groups)",
        n=float(n),
        effect_size=float(f),
        effect_size_name="f",
        power=float(power),
        alpha=float(alpha),
        solved_for="effect_size" if target == "f" else target,  # type: ignore[arg-type]
        details={"groups": float(groups), "n_total": float(n) * groups},
    )


def _prop_power(p1: float, p2: float, n: float, alpha: float, alternative: str, strict: bool) -> float:
    tside = 2 if alternative == "two-sided" else 1
    qu = float(special.ndtri(1 - alpha / tside))
    d = abs(p1 - p2) if alternative == "two-sided" else (p2 - p1 if alternative == "greater" else p1 - p2)
    q1, q2 = 1 - p1, 1 - p2
    pooled = math.sqrt((p1 + p2) * (q1 + q2) / 2)
    sd = math.sqrt(p1 * q1 + p2 * q2)
    p = float(special.ndtr((math.sqrt(n) * d - qu * pooled) / sd))
    if strict and tside == 2:
        p += float(special.ndtr((-math.sqrt(n) * d - qu * pooled) / sd))
    return p


def power_proportions(
    p1: float,
    p2: float | None = None,
    n: float | None = None,
    power: float | None = None,
    alpha: float | None = 0.05,
    *,
    alternative: Alternative = "two-sided",
    strict: bool = False,
    tol: float = R_TOL,
) -> PowerResult:
    """Power of the two-sample test of proportions, as R's ``power.prop.test``.

    ``n`` per group. ``power = Φ((√n·|p₁ − p₂| − z_{1−α/2}·sqrt((p₁+p₂)(q₁+q₂)/2)) / sqrt(p₁q₁ + p₂q₂))``
    (Fleiss, Levin & Paik 2003; ``strict`` adds the far tail). One-sided: "greater" means ``p₂ > p₁``.
    Solving ``p2`` searches above ``p1`` (below it for "less"), as R does. ``effect_size`` is Cohen's h.
    """
    check_alternative(alternative)
    target = _one_missing(p2=p2, n=n, power=power, alpha=alpha)
    p1 = check_probability(p1, "p1")
    if p2 is not None:
        p2 = check_probability(p2, "p2")
    if n is not None:
        n = check_number(n, "n", low=0.0, low_open=True)
    _check_common(power, alpha, tol)

    def pw(p2v: float, nv: float, av: float) -> float:
        return _prop_power(p1, p2v, nv, av, alternative, strict)

    if target == "power":
        assert p2 is not None and n is not None and alpha is not None
        power = pw(p2, n, alpha)
    elif target == "n":
        assert p2 is not None and power is not None and alpha is not None
        n = _solve(lambda v: pw(p2, v, alpha), power, 1.0, 1e7, "n", tol)
    elif target == "p2":
        assert n is not None and power is not None and alpha is not None
        lo, hi = (0.0, p1) if alternative == "less" else (p1, 1.0)  # R: uniroot(c(p1, 1))
        p2 = _solve(lambda v: pw(v, n, alpha), power, lo, hi, "p2", tol)
    else:
        assert p2 is not None and n is not None and power is not None
        alpha = _solve(lambda v: pw(p2, n, v), power, 1e-10, 1 - 1e-10, "alpha", tol)
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    return PowerResult(
        test="two-sample test of proportions",
        n=float(n),
        effect_size=h,
        effect_size_name="h",
        power=float(power),
        alpha=float(alpha),
        alternative=alternative,
        solved_for="effect_size" if target == "p2" else target,  # type: ignore[arg-type]
        details={"p1": float(p1), "p2": float(p2), "difference": float(p2 - p1), "n_total": 2 * float(n)},
    )


def _mcnemar_power(delta: float, psi: float, n: float, alpha: float, tails: int) -> float:
    # ``delta`` is signed in the tested direction for a one-sided test (negative: the effect points
    # the other way and the power falls below alpha), ``|delta|`` for a two-sided one.
    z = float(special.ndtri(1 - alpha / tails))
    margin = (abs(delta) if tails == 2 else delta) * math.sqrt(n) - z * math.sqrt(psi)
    spread = psi - delta * delta
    if spread <= 0.0:  # every pair discordant in one direction: the statistic has no variance
        return 1.0 if margin > 0 else 0.0
    return float(special.ndtr(margin / math.sqrt(spread)))


def power_mcnemar(
    p10: float,
    p01: float,
    n: float | None = None,
    power: float | None = None,
    alpha: float | None = 0.05,
    *,
    alternative: Alternative = "two-sided",
    tol: float = R_TOL,
) -> PowerResult:
    """Power of McNemar's test for paired proportions (Connor 1987, normal approximation).

    ``p10`` and ``p01`` are the probabilities of the two discordant outcomes (condition 1 right and
    condition 2 wrong, and vice versa); ``ψ = p10 + p01``, ``δ = p10 − p01``, ``n`` the number of pairs::

        power = Φ((|δ|·√n − z_{1−α/2}·√ψ) / sqrt(ψ − δ²))
        n     = (z_{1−α/2}·√ψ + z_{power}·sqrt(ψ − δ²))² / δ²

    (``z_{1−α}`` and the signed ``δ`` for one-sided tests: ``"greater"`` tests ``p10 > p01``, ``"less"``
    tests ``p10 < p01``; an effect in the other direction has power below ``alpha`` and no ``n`` reaches a
    target power). Solves for ``n``, ``power`` or ``alpha``. ``effect_size`` is ``δ``;
    the odds ratio ``p10/p01`` is in ``details``. Reference: Connor (1987), Biometrics 43, 207–211.
    """
    check_alternative(alternative)
    target = _one_missing(n=n, power=power, alpha=alpha)
    # One discordant direction may be empty (all disagreements favour one condition): that is the
    # clearest effect there is, and Connor's formula stays defined as long as psi > delta**2.
    p10 = check_probability(p10, "p10", open_interval=False)
    p01 = check_probability(p01, "p01", open_interval=False)
    if n is not None:
        n = check_number(n, "n", low=0.0, low_open=True)
    _check_common(power, alpha, tol)
    psi, delta = p10 + p01, p10 - p01
    if psi > 1:
        raise ValidationError(f"p10 + p01 must not exceed 1; got {psi:g}.", argument="p01", value=psi)
    if delta == 0:
        raise ValidationError("p10 equals p01: there is no effect to detect.", argument="p01")
    tails = 2 if alternative == "two-sided" else 1
    tested = -delta if alternative == "less" else delta  # the effect in the tested direction
    if tails == 1 and tested < 0 and target != "power":
        raise ValidationError(
            f"alternative={alternative!r} tests p10 {'<' if alternative == 'less' else '>'} p01, but "
            f"p10 = {p10:g} and p01 = {p01:g} point the other way, so no n or alpha reaches the target power. "
            "Swap p10 and p01 or change alternative.",
            argument="alternative",
        )
    if target == "power":
        assert n is not None and alpha is not None
        power = _mcnemar_power(tested, psi, n, alpha, tails)
    elif target == "n":
        assert power is not None and alpha is not None
        check_probability(power, "power")
        za, zb = float(special.ndtri(1 - alpha / tails)), float(special.ndtri(power))
        n = (za * math.sqrt(psi) + zb * math.sqrt(max(psi - delta * delta, 0.0))) ** 2 / (delta * delta)
    else:
        assert n is not None and power is not None
        alpha = _solve(
            lambda v: _mcnemar_power(tested, psi, n, v, tails), power, 1e-12, 1 - 1e-12, "alpha", tol
        )
    return PowerResult(
        test="McNemar test (Connor 1987)",
        n=float(n),
        effect_size=delta,
        effect_size_name="p10 − p01",
        power=float(power),
        alpha=float(alpha),
        alternative=alternative,
        solved_for=target,  # type: ignore[arg-type]
        # the odds ratio is undefined (left out) when no pair went the other way
        details={"p10": p10, "p01": p01, "discordant": psi, **({"odds_ratio": p10 / p01} if p01 > 0 else {})},
    )


def minimum_detectable_effect(
    n: float,
    *,
    test: Literal["ttest", "anova", "proportions", "mcnemar"] = "ttest",
    kind: TTestKind = "two-sample",
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    groups: int | None = None,
    baseline: float | None = None,
    discordant: float | None = None,
    tol: float = R_TOL,
) -> PowerResult:
    """The smallest effect detectable with ``power`` at ``alpha`` for sample size ``n``.

    ``test="ttest"`` → Cohen's d (``kind`` as in :func:`power_ttest`); ``"anova"`` → Cohen's f (pass
    ``groups``); ``"proportions"`` → the proportion ``p2`` above ``baseline`` = p1 (in ``details``; the
    effect size is Cohen's h); ``"mcnemar"`` → ``δ = p10 − p01`` at a discordance ``ψ = discordant``.
    """
    check_choice(test, "test", ("ttest", "anova", "proportions", "mcnemar"))
    check_alternative(alternative)
    n = check_number(n, "n", low=0.0, low_open=True)
    if power is None or alpha is None:
        raise ValidationError(
            "minimum_detectable_effect needs both power and alpha (e.g. power=0.8, alpha=0.05).",
            argument="power" if power is None else "alpha",
        )
    _check_common(power, alpha, tol)
    if test == "ttest":
        return power_ttest(n=n, d=None, power=power, alpha=alpha, kind=kind, alternative=alternative, tol=tol)
    if test == "anova":
        if groups is None:
            raise ValidationError("test='anova' needs groups=k.", argument="groups")
        return power_anova(groups, n=n, f=None, power=power, alpha=alpha, tol=tol)
    if test == "proportions":
        if baseline is None:
            raise ValidationError(
                "test='proportions' needs baseline=p1 (the reference proportion).", argument="baseline"
            )
        return power_proportions(
            baseline, None, n=n, power=power, alpha=alpha, alternative=alternative, tol=tol
        )
    if discordant is None:
        raise ValidationError(
            "test='mcnemar' needs discordant=ψ (the expected share of discordant pairs).",
            argument="discordant",
        )
    psi = check_probability(discordant, "discordant")
    tails = 2 if alternative == "two-sided" else 1
    # no R function to mirror here, so solve tightly: the reported power is then the requested one
    delta = _solve(
        lambda v: _mcnemar_power(v, psi, n, alpha, tails),
        power,
        1e-9,
        psi * (1 - 1e-9),
        "delta",
        min(tol, 1e-12),
    )
    p10, p01 = (psi + delta) / 2, (psi - delta) / 2
    if alternative == "less":  # the detectable effect points the tested way: p10 < p01
        p10, p01 = p01, p10
    result = power_mcnemar(p10, p01, n=n, power=None, alpha=alpha, alternative=alternative)
    return result.model_copy(update={"solved_for": "effect_size"})
