"""The result of :func:`crucible_bench.compare`: the test, why it was chosen, and everything around it."""

from __future__ import annotations

from typing import Literal

from crucible_bench._format import fmt_ci, fmt_num, fmt_pct
from crucible_bench._results import Alternative, EffectSize, PowerResult, ResultModel, TestResult

__all__ = ["AssumptionCheck", "CiMethod", "Comparison"]

CiMethod = Literal["t", "bootstrap_bca", "newcombe", "agresti_min"]


class AssumptionCheck(ResultModel):
    """One assumption check: what was checked, with which test, and whether it held at ``alpha``."""

    name: str
    test: TestResult | None = None
    passed: bool | None = None
    detail: str

    def summary(self) -> str:
        verdict = {True: "holds", False: "violated", None: "not assessed"}[self.passed]
        return f"{self.name}: {verdict} ({self.detail})"


class Comparison(ResultModel):
    """Condition ``a`` versus condition ``b``: the chosen test with estimate, effect size, power and rationale.

    ``estimate`` is ``a − b`` (difference in means or in proportions, named by ``estimate_name``) with its
    ``ci``, computed as ``ci_method`` says: ``"t"`` (t interval), ``"bootstrap_bca"`` (BCa bootstrap, for
    the rank tests), ``"newcombe"`` (independent proportions) or ``"agresti_min"`` (paired proportions).
    ``power`` is the power the design had for the
    observed effect (descriptive only — it is a function of the p-value and says nothing new about this
    result); ``minimum_detectable_effect`` is the effect the design detects with 80 % power, the more useful
    number for planning the next run.
    """

    label_a: str = "a"
    label_b: str = "b"
    kind: Literal["binary", "continuous"]
    paired: bool
    paired_reason: str
    test: TestResult
    assumptions: tuple[AssumptionCheck, ...]
    rationale: str
    estimate: float
    estimate_name: str
    ci: tuple[float, float] | None
    ci_method: CiMethod | None = None
    confidence: float
    effect_size: EffectSize | None
    power: PowerResult | None
    minimum_detectable_effect: PowerResult | None
    alpha: float
    alternative: Alternative
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    notes: tuple[str, ...] = ()

    @property
    def p_value(self) -> float:
        """The chosen test's p-value."""
        return self.test.p_value

    @property
    def significant(self) -> bool:
        """Whether the chosen test rejects at ``alpha``."""
        return self.test.p_value < self.alpha

    def summary(self) -> str:
        """A paragraph: design, test and verdict, estimate with CI, effect size, power and the rationale."""
        design = f"{'paired' if self.paired else 'independent'} {self.kind} data"
        n_txt = f"n = {self.n_a} pairs" if self.paired else f"n = {self.n_a} vs {self.n_b}"
        verdict = "differ" if self.significant else "do not differ detectably"
        parts = [
            f"{self.label_a} vs {self.label_b} ({design}, {n_txt}): the conditions {verdict} at alpha = "
            f"{fmt_num(self.alpha, 3)}.",
            self.test.headline() + ".",
        ]
        est = f"{self.estimate_name} ({self.label_a} − {self.label_b}) = {fmt_num(self.estimate, 4)}"
        if self.ci is not None:
            est += f", {fmt_ci(self.ci, self.confidence, 4)}"
            if self.ci_method == "bootstrap_bca":
                est += " (BCa bootstrap)"
        parts.append(est + ".")
        if self.effect_size is not None:
            parts.append(f"Effect size: {self.effect_size.summary()}.")
        if self.power is not None:
            parts.append(f"Power for the observed effect: {fmt_num(self.power.power, 2)}.")
        if self.minimum_detectable_effect is not None:
            mde = self.minimum_detectable_effect
            parts.append(
                f"Minimum detectable {mde.effect_size_name} at {fmt_pct(mde.power)} power: "
                f"{fmt_num(mde.effect_size, 3)}."
            )
        parts.append(f"Test chosen because {self.rationale}.")
        return " ".join(parts)
