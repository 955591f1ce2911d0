""":class:`RunResult` — a run's status, counts, cost and analysis — and the outcome table export."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import Field

from crucible_harness._analysis import analyse
from crucible_harness._results import Analysis, _Result, fmt
from crucible_harness._rundir import RESULTS
from crucible_harness._spec import AnalysisSpec
from crucible_harness._store import ResultsStore

__all__ = ["RunResult", "load_run", "outcomes_frame"]

_BASE_COLUMNS: dict[str, Any] = {
    "task_id": pl.Int64, "condition": pl.String, "item_id": pl.String, "item_index": pl.Int64,
    "repeat": pl.Int64, "variant": pl.String, "seed": pl.Int64, "status": pl.String, "prediction": pl.String,
    "text": pl.String, "prompt_tokens": pl.Int64, "completion_tokens": pl.Int64, "cost_usd": pl.Float64,
    "latency_s": pl.Float64, "attempts": pl.Int64, "error_type": pl.String, "error_kind": pl.String,
    "error_message": pl.String, "simulated": pl.Boolean, "metadata": pl.String, "session": pl.Int64,
    "started_at": pl.Float64, "finished_at": pl.Float64,
}  # fmt: skip


def outcomes_frame(rows: Sequence[Mapping[str, Any]], metrics: Sequence[str] = ()) -> pl.DataFrame:
    """One row per finished task; each score in a ``score.<name>`` Float64 column (null when absent);
    ``prediction`` and ``metadata`` as JSON text."""
    names: dict[str, None] = dict.fromkeys(metrics)
    for row in rows:
        for key in row["scores"]:
            names.setdefault(key, None)
    data: dict[str, list[Any]] = {column: [] for column in _BASE_COLUMNS}
    scores: dict[str, list[float | None]] = {name: [] for name in names}
    for row in rows:
        for column in _BASE_COLUMNS:
            value = row.get(column)
            if column in ("prediction", "metadata"):
                value = None if value is None else json.dumps(value, sort_keys=True, default=str)
            data[column].append(value)
        for name in names:
            scores[name].append(row["scores"].get(name))
    frame = pl.DataFrame(data, schema=_BASE_COLUMNS)
    if scores:
        frame = frame.with_columns(
            [pl.Series(f"score.{name}", values, dtype=pl.Float64) for name, values in scores.items()]
        )
    return frame


class RunResult(_Result):
    """The result of :func:`~crucible_harness.run`: status, counts, cost and the full :class:`Analysis`.

    ``status`` is ``completed`` (every task finished), ``stopped`` (the budget or a signal stopped it; see
    ``stop_reason``; resume it to go on) or ``failed`` (an exception; resume it after fixing the cause).
    ``counts`` has ``tasks``, ``ok``, ``failed`` (dead-lettered after retries), ``blocked`` and ``pending``.
    ``author``, ``tags`` and ``condition_descriptions`` (condition name -> its ``description``) come from
    the declaration; ``budget_warnings`` are the messages recorded when a budget's spend crossed
    ``budget.warn_at``.
    """

    run_id: str
    experiment: str
    version: str
    description: str
    hypothesis: str | None
    author: str | None = None
    tags: tuple[str, ...] = ()
    condition_descriptions: dict[str, str] = Field(default_factory=dict)
    budget_warnings: tuple[str, ...] = ()
    run_dir: str
    status: str
    stop_reason: str | None
    dataset: str
    seed: int
    repeats: int
    created_at: datetime
    updated_at: datetime
    sessions: int
    counts: dict[str, int]
    cost_usd: float
    simulated: bool
    analysis: Analysis
    reports: dict[str, str] = Field(default_factory=dict)

    @property
    def path(self) -> Path:
        return Path(self.run_dir)

    def summary(self) -> str:
        counts = self.counts
        lines = [
            f"Run {self.run_id} of {self.experiment!r}: {self.status}"
            + (f" ({self.stop_reason})" if self.stop_reason else ""),
            f"  {counts['tasks']} tasks: {counts['ok']} ok, {counts['failed']} failed, {counts['blocked']} blocked, "
            f"{counts['pending']} pending; cost ${self.cost_usd:.6f}; dataset {self.dataset}",
        ]
        lines += [f"  {warning}" for warning in self.budget_warnings]
        for cond in self.analysis.conditions:
            metric = cond.metric(self.analysis.primary_metric) if self.analysis.primary_metric else None
            score = ""
            if metric is not None:
                ci = f" [{fmt(metric.ci[0])}, {fmt(metric.ci[1])}]" if metric.ci else ""
                score = f"{metric.metric} {fmt(metric.mean)}{ci}, "
            lines.append(
                f"  {cond.name:<16} {score}{cond.ok} ok / {cond.failed} failed, ${cond.cost_usd:.6f}"
            )
        lines.append("  " + self.analysis.conclusion)
        if self.simulated:
            lines.append("  (simulated model outputs: a simulation, not a measurement)")
        return "\n".join(lines)

    def _store(self) -> ResultsStore:
        return ResultsStore(self.path / RESULTS)

    def outcomes(self) -> list[dict[str, Any]]:
        """Every finished task's outcome (plan order) as dicts, read from the results store."""
        with self._store() as store:
            return store.outcomes()

    def to_frame(self) -> pl.DataFrame:
        """The outcomes as a polars DataFrame (see :func:`outcomes_frame`)."""
        return outcomes_frame(self.outcomes(), self.analysis.metrics)

    def dead_letters(self) -> list[dict[str, Any]]:
        """The tasks that failed after retries, with their final error."""
        return [row for row in self.outcomes() if row["status"] == "failed"]

    def errors(self) -> list[dict[str, Any]]:
        """Every failed attempt (retried or not)."""
        with self._store() as store:
            return store.errors()


def load_run(run_dir: str | Path, *, reports: Mapping[str, str] | None = None) -> RunResult:
    """Read a run directory into a :class:`RunResult` (the analysis is recomputed from the store)."""
    directory = Path(run_dir)
    with ResultsStore(directory / RESULTS) as store:
        run = store.run_row()
        rows = store.outcomes()
        items = store.items()
        planned_by: dict[str, int] = {}
        for (condition, _variant), n in store.task_counts().items():
            planned_by[condition] = planned_by.get(condition, 0) + n
        counts = store.counts()
        sessions = len(store.sessions())
        warnings = tuple(str(w["message"]) for w in store.budget_warnings())
    spec = run["spec"]
    analysis_spec = AnalysisSpec(**spec.get("analysis", {}))
    conditions = [(c["name"], c.get("kind", "function")) for c in spec.get("conditions", [])]
    declared = spec.get("declared_metrics", [])
    analysis = analyse(
        rows, conditions=conditions, planned=planned_by, declared_metrics=declared, spec=analysis_spec,
        items=items, hypothesis=spec.get("hypothesis"), seed=int(run["seed"]),
    )  # fmt: skip
    if reports is None:
        from crucible_harness._rundir import REPORT_FILES

        reports = {fmt_: name for fmt_, name in REPORT_FILES.items() if (directory / name).is_file()}
    return RunResult(
        run_id=run["id"], experiment=run["experiment"], version=str(spec.get("version", "1")),
        description=spec.get("description") or "", hypothesis=spec.get("hypothesis"), run_dir=str(directory),
        author=spec.get("author"), tags=tuple(spec.get("tags") or ()), budget_warnings=warnings,
        condition_descriptions={c["name"]: c.get("description") or "" for c in spec.get("conditions", [])},
        status=run["status"], stop_reason=run["stop_reason"], dataset=spec.get("dataset_label", ""),
        seed=int(run["seed"]), repeats=int(spec.get("repeats", 1)),
        created_at=datetime.fromtimestamp(run["created_at"], UTC),
        updated_at=datetime.fromtimestamp(run["updated_at"], UTC), sessions=sessions, counts=counts,
        cost_usd=float(sum(r["cost_usd"] or 0.0 for r in rows)), simulated=any(r["simulated"] for r in rows),
        analysis=analysis, reports=dict(reports),
    )  # fmt: skip
