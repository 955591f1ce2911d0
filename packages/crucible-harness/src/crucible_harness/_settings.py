"""Run settings of an experiment: limits, budget, analysis, outputs and reproducibility."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from crucible_harness._validation import Spec, invalid, register_choices

__all__ = [
    "CORRECTIONS",
    "REPORT_FORMATS",
    "TESTS",
    "AnalysisSpec",
    "Budget",
    "Limits",
    "OutputSpec",
    "Reproducibility",
]

ReportFormat = Literal["markdown", "latex", "html", "notebook", "json"]
REPORT_FORMATS: tuple[str, ...] = ("markdown", "latex", "html", "notebook", "json")
CORRECTIONS = ("holm", "bonferroni", "hochberg", "hommel", "BH", "fdr", "BY", "sidak", "none")
TESTS = ("auto", "ttest", "wilcoxon", "sign", "mcnemar", "permutation")
# the named tests that compare independent samples (analysis.paired=False): Welch's t-test and the
# permutation test of the difference in means; the others only exist for paired data
UNPAIRED_TESTS = ("auto", "ttest", "permutation")
_FORMAT_ALIASES = {"md": "markdown", "tex": "latex", "ipynb": "notebook", "jupyter": "notebook"}


class Limits(Spec):
    """How hard the run may push: concurrency, rate limits, timeout and retries.

    ``requests_per_second`` and ``tokens_per_minute`` count model requests, as a provider does: every
    request of a declared model is charged (each ensemble member call, each hedged backup, each retry),
    with its estimated tokens (prompt words + ``max_tokens`` or ``budget.expected_completion_tokens``)
    settled to the usage the server reports. A function condition without a declared model is charged one
    request per attempt. Time spent waiting for a rate limit does not count toward ``timeout_s``.

    Retries (only for errors whose ``retryable`` is true: network, timeout, rate limit) wait
    ``uniform(0, min(backoff_max_s, backoff_base_s * 2**(attempt-1)))`` ("full jitter"; Brooker 2015),
    or exactly the server's ``Retry-After`` when it sent one (capped at ``backoff_max_s``).
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    concurrency: int = Field(default=16, ge=1)
    per_condition: int | None = Field(default=None, ge=1)
    requests_per_second: float | None = Field(default=None, gt=0.0)
    tokens_per_minute: float | None = Field(default=None, gt=0.0)
    timeout_s: float | None = Field(default=120.0, gt=0.0)
    max_retries: int = Field(default=3, ge=0)
    backoff_base_s: float = Field(default=0.5, ge=0.0)
    backoff_max_s: float = Field(default=30.0, ge=0.0)
    jitter: bool = True

    @model_validator(mode="after")
    def _backoff(self) -> Limits:
        if self.backoff_max_s < self.backoff_base_s:
            raise invalid(
                "backoff_max_s", f"is below backoff_base_s={self.backoff_base_s}", self.backoff_max_s
            )
        return self


class Budget(Spec):
    """Cost limits in USD. Before each task the runner checks that the spend so far, the estimates of
    the tasks in flight and this task's estimate stay within ``total_usd`` (and the condition's entry in
    ``per_condition_usd``); otherwise it schedules nothing more (with ``halt_on_exceed``), lets the tasks
    in flight finish and records why the run stopped. A warning is logged at ``warn_at`` of a budget.
    ``expected_completion_tokens`` is used by estimates when a condition sets no ``max_tokens``."""

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    total_usd: float | None = Field(default=None, gt=0.0)
    per_condition_usd: dict[str, float] = Field(default_factory=dict)
    warn_at: float = Field(default=0.8, gt=0.0, le=1.0)
    halt_on_exceed: bool = True
    expected_completion_tokens: int = Field(default=256, ge=1)

    @field_validator("per_condition_usd")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for key, usd in value.items():
            if not math.isfinite(usd) or usd <= 0:
                raise invalid(f"per_condition_usd[{key!r}]", "must be > 0", usd)
        return value


class AnalysisSpec(Spec):
    """How conditions are compared (see :mod:`crucible_harness._analysis`).

    ``correction`` is a :func:`crucible_bench.p_adjust` method applied once across every test of the
    report (all pairwise comparisons and all attack tests: one family); ``tests="auto"`` lets
    :func:`crucible_bench.compare` choose (McNemar for paired 0/1 scores, paired t or Wilcoxon otherwise).
    A named test is run as named: ``ttest``, ``wilcoxon``, ``sign``, ``mcnemar`` or ``permutation`` with
    ``paired=True``; with ``paired=False`` only ``ttest`` (Welch) and ``permutation`` exist (the others
    are refused here). ``minimum_effect`` (in metric units) is the smallest difference that matters:
    conclusions say whether the CI rules it in or out, and each comparison reports the power its design
    had to detect it. ``baseline`` compares every condition with
    that one instead of all pairs. ``cluster_by`` names an item field (metadata or input) whose equal
    values form a cluster, giving clustered standard errors (Miller 2024).
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    correction: str = "holm"
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    paired: bool = True
    tests: str = "auto"
    minimum_effect: float | None = Field(default=None, gt=0.0)
    primary_metric: str | None = None
    baseline: str | None = None
    cluster_by: str | None = None
    n_resamples: int = Field(default=9999, ge=99)

    @field_validator("correction")
    @classmethod
    def _correction(cls, value: str) -> str:
        if value not in CORRECTIONS:
            raise invalid("correction", "unknown multiplicity correction", value)
        return value

    @field_validator("tests")
    @classmethod
    def _tests(cls, value: str) -> str:
        if value not in TESTS:
            raise invalid("tests", "unknown test", value)
        return value

    @model_validator(mode="after")
    def _tests_need_pairs(self) -> AnalysisSpec:
        if not self.paired and self.tests not in UNPAIRED_TESTS:
            raise invalid(
                "tests", f"tests={self.tests!r} compares paired items, but paired=False", self.tests,
                fix="set paired=True, or with paired=False use tests='auto' (Welch or Mann-Whitney, Fisher or "
                "chi-square), 'ttest' (Welch) or 'permutation'",
            )  # fmt: skip
        return self


class OutputSpec(Spec):
    """Where results go and what is written (see the run-directory layout in the README)."""

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    directory: str = "runs"
    formats: tuple[ReportFormat, ...] = ("markdown", "json", "html")
    figures: bool = True
    exports: tuple[Literal["parquet", "csv"], ...] = ("parquet", "csv")
    progress: Literal["auto", "rich", "quiet"] = "auto"
    # True: every event into the run's telemetry.sqlite; a postgresql:// URL: into that PostgreSQL
    # database instead (crucible-telemetry PostgresStore, needs crucible-telemetry[postgres]); False: off
    telemetry: bool | str = True
    telemetry_schema: str = "crucible_telemetry"  # the PostgreSQL schema when telemetry is a URL
    store_text: bool = True

    @field_validator("telemetry")
    @classmethod
    def _telemetry_url(cls, value: bool | str) -> bool | str:
        if isinstance(value, str) and not value.startswith(("postgresql://", "postgres://")):
            raise invalid(
                "outputs.telemetry", "must be true, false or a postgresql:// URL", value,
                fix="e.g. telemetry='postgresql://user@host:5432/db', or true for telemetry.sqlite",
            )  # fmt: skip
        return value

    @field_validator("formats", mode="before")
    @classmethod
    def _formats(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            return tuple(_FORMAT_ALIASES.get(str(v).lower(), str(v).lower()) for v in value)
        return value


class Reproducibility(Spec):
    """What is recorded to reproduce the run (environment.json), and whether a dirty git tree is refused."""

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    capture_environment: bool = True
    require_clean_git: bool = False
    # Common random numbers: task seeds depend on (item, repeat) only, so every condition built from the
    # same model specs draws the same samples and paired comparisons isolate the conditions' differences.
    common_random_numbers: bool = False


register_choices(
    Limits, Budget, AnalysisSpec, OutputSpec, Reproducibility, correction=CORRECTIONS, tests=TESTS
)
