"""``run`` / ``arun``: prepare the run directory, run the pending tasks, analyse, export and report."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio

from crucible_core import events
from crucible_core.environment import git_state
from crucible_core.errors import ValidationError
from crucible_core.ids import new_id
from crucible_core.logging import get_logger
from crucible_harness._budget import BudgetGuard
from crucible_harness._conditions import ConditionPrompts, ConditionRuntime, condition_prompts
from crucible_harness._describe import describe_experiment
from crucible_harness._experiment import Experiment, metric_outputs
from crucible_harness._finalize import finalize
from crucible_harness._hooks import HookError, RunInfo, call_hooks
from crucible_harness._limits import RateLimits
from crucible_harness._plan import Plan, build_plan, load_items
from crucible_harness._progress import make_progress
from crucible_harness._rundir import (
    EXPERIMENT,
    RESULTS,
    TELEMETRY,
    TRACES,
    default_run_dir,
    write_environment,
    write_json,
)
from crucible_harness._runresult import RunResult
from crucible_harness._scheduler import Scheduler
from crucible_harness._store import ResultsStore

__all__ = ["RUN_EVENT", "arun", "run"]

RUN_EVENT = "crucible.harness.run"
_log = get_logger("crucible_harness")


def run(
    experiment: Experiment,
    *,
    output_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    progress: str | None = None,
    source: str | None = None,
    overrides: Sequence[str] = (),
) -> RunResult:
    """Run ``experiment`` to completion in its own event loop (see :func:`arun`)."""
    return anyio.run(
        functools.partial(
            arun, experiment, output_dir=output_dir, resume=resume, retry_failed=retry_failed, progress=progress,
            source=source, overrides=overrides,
        )
    )  # fmt: skip


async def arun(
    experiment: Experiment,
    *,
    output_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    progress: str | None = None,
    source: str | None = None,
    overrides: Sequence[str] = (),
) -> RunResult:
    """Run every (condition, item, repeat, variant) task of ``experiment`` and return the :class:`RunResult`.

    ``output_dir`` is the run directory (default ``<outputs.directory>/<name>-<time>-<suffix>``). With
    ``resume=True`` it must hold an earlier run of the same experiment (same fingerprint): finished tasks
    are skipped and only the rest run; ``retry_failed=True`` also reruns dead-lettered tasks. ``progress``
    overrides ``outputs.progress`` (``"rich"``, ``"quiet"``, ``"auto"``). ``source`` records the file the
    experiment came from and ``overrides`` the ``key=value`` overrides applied to it, so that
    ``crucible-harness run --resume DIR`` can reload the same declaration.
    """
    if not isinstance(experiment, Experiment):
        raise ValidationError(
            f"experiment must be an Experiment; got {type(experiment).__name__}. Build one with "
            "Experiment(...) or crucible_harness.experiment(...).build()",
            argument="experiment",
        )
    run_dir = (
        Path(output_dir)
        if output_dir is not None
        else default_run_dir(experiment.name, experiment.outputs.directory)
    )
    exists = (run_dir / RESULTS).is_file()
    if resume and not exists:
        raise ValidationError(
            f"resume=True but {str(run_dir)!r} holds no run (no {RESULTS}); pass the directory of an earlier run",
            argument="output_dir",
            value=str(run_dir),
        )
    if not resume and exists:
        raise ValidationError(
            f"{str(run_dir)!r} already holds a run; pass resume=True to continue it, or another output_dir",
            argument="output_dir",
            value=str(run_dir),
        )
    if experiment.reproducibility.require_clean_git:
        state = git_state(source or Path.cwd())
        if state is not None and state.dirty:
            raise ValidationError(
                f"reproducibility.require_clean_git is set and the git tree at {state.root} has uncommitted "
                "changes; commit them or set require_clean_git=False",
                argument="reproducibility.require_clean_git",
            )
    items, dataset_label = await load_items(experiment)
    plan = build_plan(experiment, items, dataset_label)
    # every prompt is built (so every template checked against the items) before anything is written
    prompts = {c.name: condition_prompts(c, plan.by_condition[c.name]) for c in experiment.conditions}
    store, run_id = _open_store(experiment, plan, run_dir, resume=resume, source=source, overrides=overrides)
    try:
        return await _run_session(
            experiment, plan, prompts, store, run_id, run_dir, resume, retry_failed, progress, source
        )
    finally:
        store.close()


def _spec_json(experiment: Experiment, plan: Plan, overrides: Sequence[str]) -> dict[str, Any]:
    spec = describe_experiment(experiment)
    spec["source_overrides"] = list(overrides)
    spec["declared_metrics"] = [name for metric in experiment.metrics for name in metric_outputs(metric)]
    spec["dataset_label"] = plan.dataset_label
    return spec


def _open_store(
    experiment: Experiment,
    plan: Plan,
    run_dir: Path,
    *,
    resume: bool,
    source: str | None,
    overrides: Sequence[str],
) -> tuple[ResultsStore, str]:
    spec = _spec_json(experiment, plan, overrides)
    if resume:
        store = ResultsStore(run_dir / RESULTS)
        row = store.run_row()
        if row["fingerprint"] != plan.fingerprint:
            store.close()
            raise ValidationError(
                f"{str(run_dir)!r} holds a run of a different plan (its conditions, metrics, items, repeats or "
                "seed differ from this experiment's); resume it with the same declaration, or start a new run",
                argument="output_dir",
                value=str(run_dir),
            )
        store.update_spec(spec)  # limits, budget, analysis and outputs may change between sessions
        write_json(run_dir / EXPERIMENT, spec)
        return store, str(row["id"])
    run_id = new_id("run")
    run_dir.mkdir(parents=True, exist_ok=True)
    store = ResultsStore(run_dir / RESULTS, create=True)
    store.create_run(
        run_id=run_id, experiment=experiment.name, fingerprint=plan.fingerprint, spec=spec,
        source=None if source is None else str(Path(source).resolve()), seed=experiment.seed,
    )  # fmt: skip
    store.add_items(
        (i, item.id, item.input, item.expected, item.metadata) for i, item in enumerate(plan.items)
    )
    store.add_tasks(plan.rows())
    write_json(run_dir / EXPERIMENT, spec)
    return store, run_id


@contextlib.asynccontextmanager
async def _telemetry(experiment: Experiment, run_dir: Path, run_id: str, session: int) -> AsyncIterator[Any]:
    """Capture every Crucible event of the session into telemetry.sqlite, or the PostgreSQL database named by
    ``outputs.telemetry`` (a killed process loses at most the telemetry batch not yet flushed, about 0.2 s
    of events; the results store is unaffected)."""
    target = experiment.outputs.telemetry
    if target is False:
        yield None
        return
    from crucible_telemetry import PostgresStore, SQLiteStore, Telemetry

    store = (
        PostgresStore(target, schema=experiment.outputs.telemetry_schema)
        if isinstance(target, str)
        else SQLiteStore(run_dir / TELEMETRY)
    )
    telemetry = Telemetry(store=store, capture_environment=False)
    try:
        scope = telemetry.experiment(
            experiment.name, hypothesis=experiment.hypothesis, tags=list(experiment.tags),
            metadata={"run_id": run_id, "session": session, "version": experiment.version},
        )  # fmt: skip
        with scope:
            yield scope
    finally:
        await anyio.to_thread.run_sync(telemetry.close)


def _trace_store(experiment: Experiment, run_dir: Path) -> Any:
    """The run's ``traces.sqlite`` (crucible-trace) when some ensemble condition records its votes."""
    if not any(c.ensemble is not None and c.ensemble.trace for c in experiment.conditions):
        return None
    from crucible_trace import SQLiteStore

    return SQLiteStore(run_dir / TRACES)


def _tune_gc() -> tuple[int, int, int]:
    """Garbage-collector settings for the session; returns the previous thresholds to restore.

    The objects alive before the tasks start (plan, items, modules) are moved out of the collector's reach
    (:func:`gc.freeze`), so full collections do not rescan them and pause the event loop for tens of
    milliseconds; the youngest generation's threshold is raised to 10,000 allocations (HTTP clients
    allocate thousands of short-lived objects per request), which halves the collections. Both are undone
    when the session ends (:func:`gc.unfreeze`, the previous thresholds).
    """
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(max(previous[0], 10_000), previous[1], previous[2])
    return previous


async def _run_session(
    experiment: Experiment, plan: Plan, prompts: dict[str, ConditionPrompts], store: ResultsStore, run_id: str,
    run_dir: Path, resumed: bool, retry_failed: bool, progress_mode: str | None, source: str | None,
) -> RunResult:  # fmt: skip
    if retry_failed:
        store.forget_failed()
    finished = store.finished_ids()
    pending = {name: [t for t in tasks if t.id not in finished] for name, tasks in plan.by_condition.items()}
    totals = {name: len(tasks) for name, tasks in plan.by_condition.items()}
    n_pending = sum(len(v) for v in pending.values())
    session = store.start_session(resumed=resumed, telemetry_experiment=None)
    write_environment(run_dir, session, capture=experiment.reproducibility.capture_environment, source=source)
    info = RunInfo(run_id, run_dir, experiment.name, session, resumed, len(plan.tasks), n_pending)
    progress = make_progress(progress_mode or experiment.outputs.progress)  # type: ignore[arg-type]
    status, stop_reason = "failed", "an exception stopped the run"
    runtimes: dict[str, ConditionRuntime] = {}
    thresholds = gc.get_threshold()
    try:
        await call_hooks(experiment.hooks.before_run, "before_run", info)
        connections = experiment.limits.concurrency
        trace_store = _trace_store(experiment, run_dir)
        rates = RateLimits.of(experiment.limits)
        for condition in experiment.conditions:
            runtimes[condition.name] = ConditionRuntime(
                experiment, condition, plan, connections=connections, trace_store=trace_store,
                prompts=prompts[condition.name], limits=rates,
            )  # fmt: skip
        by_status = store.counts_by_condition()
        outcomes_by = {name: sum(counts.values()) for name, counts in by_status.items()}
        failed_by = {name: counts.get("failed", 0) for name, counts in by_status.items()}
        spent = store.spent()

        def warn(scope: str, spent_usd: float, limit_usd: float, message: str) -> None:
            store.record_budget_warning(
                session=session, scope=scope, spent_usd=spent_usd, limit_usd=limit_usd,
                warn_at=experiment.budget.warn_at, message=message,
            )  # fmt: skip
            progress.note(message)

        warned = [(w["scope"], w["limit_usd"]) for w in store.budget_warnings()]
        budget = BudgetGuard(experiment.budget, spent, outcomes_by, warned=warned, on_warning=warn)
        scheduler = Scheduler(
            experiment, runtimes, pending, totals, store, run_id=run_id, session=session, budget=budget,
            progress=progress, failed=failed_by, rates=rates,
        )  # fmt: skip
        progress.start(
            {name: (totals[name], totals[name] - len(pending[name])) for name in totals}, spent, failed_by
        )
        thresholds = _tune_gc()
        async with _telemetry(experiment, run_dir, run_id, session):
            with events.experiment_context(run_id=run_id):
                events.emit(RUN_EVENT + ".start", {"pending": float(n_pending)}, {"session": session})
                await scheduler.run()
                left = sum(len(q) for q in scheduler.pending.values())
                events.emit(RUN_EVENT + ".stop", {"left": float(left)}, {"session": session})
        stop_reason = scheduler.reason
        status = "completed" if left == 0 else "stopped"
        if stop_reason is None and left:
            stop_reason = f"{left} task(s) were not started"
    except BaseException as exc:
        stop_reason = f"{type(exc).__name__}: {exc}"[:500]
        if isinstance(exc, HookError):
            exc.details["run_dir"] = str(run_dir)
        if isinstance(exc, anyio.get_cancelled_exc_class() | KeyboardInterrupt):
            status, stop_reason = "stopped", "interrupted"
        raise
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        progress.stop()
        for runtime in runtimes.values():
            with contextlib.suppress(Exception):
                await runtime.aclose()
        store.finish_session(session, status, stop_reason)
        store.set_status(status, stop_reason)
    if stop_reason:
        _log.warning("run stopped before finishing", run_id=run_id, reason=stop_reason)
    result = await anyio.to_thread.run_sync(functools.partial(finalize, run_dir, experiment.outputs))
    try:
        await call_hooks(experiment.hooks.after_run, "after_run", result)
    except HookError as exc:
        exc.details["run_dir"] = str(run_dir)
        raise
    return result
