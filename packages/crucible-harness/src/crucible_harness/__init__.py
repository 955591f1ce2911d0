"""Declare an LLM experiment once, run it safely with resume, and get the statistical analysis and reports.

    >>> from crucible_harness import Condition, Experiment, ModelSpec, run
    >>> exp = Experiment(
    ...     name="demo",
    ...     dataset={"items": [{"id": "q1", "prompt": "2+2?", "expected": "4"}]},
    ...     conditions=[Condition("sim", model=ModelSpec(name="sim", provider="simulated", sleep=False))],
    ...     metrics=["exact_match"],
    ... )
    >>> result = run(exp, output_dir=tmp_path / "run")  # doctest: +SKIP

See the README for the run-directory layout, resume, budgets, hooks, attacks and reports.
"""

from importlib.metadata import version as _version

from crucible_harness._estimate import ConditionEstimate, RunEstimate, aestimate, estimate
from crucible_harness._experiment import Condition, Experiment, Hooks
from crucible_harness._finalize import report
from crucible_harness._fluent import ExperimentBuilder, experiment
from crucible_harness._hooks import ConditionInfo, HookError, RunInfo
from crucible_harness._loader import apply_overrides, load_experiment
from crucible_harness._outcome import Outcome, TaskContext
from crucible_harness._plan import task_seed
from crucible_harness._registry import register, resolve
from crucible_harness._results import (
    Analysis,
    AttackSummary,
    ConditionSummary,
    LatencySummary,
    MetricSummary,
    PairwiseComparison,
)
from crucible_harness._runner import arun, run
from crucible_harness._runresult import RunResult, load_run
from crucible_harness._spec import (
    AnalysisSpec,
    Budget,
    DatasetSpec,
    EnsembleSpec,
    GenerationSpec,
    GuardSpec,
    HedgingSpec,
    Limits,
    ModelSpec,
    OutputSpec,
    Reproducibility,
)
from crucible_harness._store import ResultsStore

__version__ = _version("crucible-harness")

__all__ = [
    "Analysis",
    "AnalysisSpec",
    "AttackSummary",
    "Budget",
    "Condition",
    "ConditionEstimate",
    "ConditionInfo",
    "ConditionSummary",
    "DatasetSpec",
    "EnsembleSpec",
    "Experiment",
    "ExperimentBuilder",
    "GenerationSpec",
    "GuardSpec",
    "HedgingSpec",
    "HookError",
    "Hooks",
    "LatencySummary",
    "Limits",
    "MetricSummary",
    "ModelSpec",
    "Outcome",
    "OutputSpec",
    "PairwiseComparison",
    "Reproducibility",
    "ResultsStore",
    "RunEstimate",
    "RunInfo",
    "RunResult",
    "TaskContext",
    "__version__",
    "aestimate",
    "apply_overrides",
    "arun",
    "estimate",
    "experiment",
    "load_experiment",
    "load_run",
    "register",
    "report",
    "resolve",
    "run",
    "task_seed",
]
