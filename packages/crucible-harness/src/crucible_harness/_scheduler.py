"""The scheduler: workers per condition under a global limit, rate limits, retries, budget, recording.

Each condition gets ``min(per-condition limit, global limit)`` workers that take its pending tasks in
plan order; a worker holds one slot of the global :class:`anyio.CapacityLimiter` while its task runs
(retries included). Before a task starts: the stop flag, the budget and the condition's ``Retry-After``
cooldown. The requests/s and tokens/min buckets are charged per model request by the condition's
models themselves (:class:`~crucible_harness._adapters.RateLimitedModel`: ensemble members, hedged
backups and retries each count); a function condition without a declared model, whose calls the
harness cannot see, is charged one request (and the task's token estimate) per attempt here. A finished
task is scored and appended to the results store at once (one SQLite transaction), then reported to
the progress display and hooks.

Hooks: ``before_condition`` fires for every condition when the session starts (also for a condition
with nothing left to run on a resume) and ``after_condition`` once its workers are done, whether it
finished, its budget stopped it (``ConditionInfo.stop_reason``) or the total budget did. A hook that
raises stops the session and surfaces as one :class:`~crucible_harness.HookError` (not an
``ExceptionGroup``).
"""

from __future__ import annotations

import json
import random
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

import anyio

from crucible_core import events
from crucible_core.errors import CrucibleError, TimeoutError
from crucible_core.redaction import redact, redact_text
from crucible_harness._budget import BudgetGuard
from crucible_harness._conditions import ConditionRuntime
from crucible_harness._experiment import Condition, Experiment
from crucible_harness._hooks import ConditionInfo, call_hooks
from crucible_harness._limits import (
    Cooldown,
    RateLimits,
    backoff_delay,
    is_retryable,
    retry_after_of,
    task_timeout,
)
from crucible_harness._models import clean_text, jsonable
from crucible_harness._outcome import Outcome
from crucible_harness._plan import Task
from crucible_harness._progress import Progress
from crucible_harness._scoring import score
from crucible_harness._store import FLUSH_INTERVAL_S, ResultsStore

__all__ = ["TASK_EVENT", "Scheduler"]

TASK_EVENT = "crucible.harness.task.stop"


def _leaves(group: BaseExceptionGroup[Any]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return out


def unwrap_group(group: BaseExceptionGroup[Any]) -> BaseException:
    """The one error a task group raised (the first, noting the others), or the group itself when it holds
    anything but ordinary exceptions (a cancellation, ``KeyboardInterrupt``)."""
    leaves = _leaves(group)
    if not leaves or not all(isinstance(e, Exception) for e in leaves):
        return group
    first = leaves[0]
    if len(leaves) > 1:
        others = "; ".join(f"{type(e).__name__}: {e}" for e in leaves[1:])
        first.add_note(f"{len(leaves) - 1} more error(s) at the same time: {others}"[:1000])
    return first


def _error_record(error: BaseException) -> dict[str, Any]:
    if isinstance(error, CrucibleError):
        return {
            "type": type(error).__name__,
            "kind": error.kind,
            "retryable": bool(error.retryable),
            "message": redact_text(error.message)[:2000],
        }
    return {
        "type": type(error).__name__,
        "kind": None,
        "retryable": False,
        "message": redact_text(str(error))[:2000],
    }


class Scheduler:
    """Runs the pending tasks of one session (see the module docstring)."""

    def __init__(
        self,
        experiment: Experiment,
        runtimes: Mapping[str, ConditionRuntime],
        pending: Mapping[str, list[Task]],
        totals: Mapping[str, int],
        store: ResultsStore,
        *,
        run_id: str,
        session: int,
        budget: BudgetGuard,
        progress: Progress,
        failed: Mapping[str, int],
        rates: RateLimits | None = None,
    ) -> None:
        self.experiment = experiment
        self.runtimes = runtimes
        self.pending = {name: deque(tasks) for name, tasks in pending.items()}
        self.remaining = {name: len(tasks) for name, tasks in pending.items()}
        self.totals = dict(totals)
        self.store = store
        self.run_id = run_id
        self.session = session
        self.budget = budget
        self.progress = progress
        self.failed = {name: int(failed.get(name, 0)) for name in runtimes}
        self.stop_reason: str | None = None
        self.condition_stops: dict[str, str] = {}
        self.started_tasks = 0
        self.first_task_at: float | None = None
        limits = experiment.limits
        self.limits = limits
        self.limiter = anyio.CapacityLimiter(limits.concurrency)
        self.rates = rates if rates is not None else RateLimits.of(limits)
        self.requests = self.rates.requests
        self.tokens = self.rates.tokens
        # conditions whose attempts the scheduler charges to the rate limits (see the module docstring)
        self.charged = {
            name: self.rates.active and not runtime.meters_requests for name, runtime in runtimes.items()
        }
        self.cooldowns = {name: Cooldown() for name in runtimes}
        self.metrics = experiment.metrics
        self.store_text = experiment.outputs.store_text
        self.hooks = experiment.hooks

    # -- the session --------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            async with anyio.create_task_group() as outer:
                outer.start_soon(self._flusher)
                async with anyio.create_task_group() as group:
                    for condition in self.experiment.conditions:
                        await call_hooks(
                            self.hooks.before_condition,
                            "before_condition",
                            condition,
                            self.info(condition.name),
                        )
                        group.start_soon(self._condition, condition)
                outer.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            error = unwrap_group(group)
            if error is group:
                raise
            raise error from error.__cause__
        finally:
            self.store.flush()

    async def _condition(self, condition: Condition) -> None:
        """Run one condition's workers, then its ``after_condition`` hooks (however it ended)."""
        name = condition.name
        waiting = len(self.pending[name])
        if waiting:
            cap = condition.concurrency or self.limits.per_condition or self.limits.concurrency
            async with anyio.create_task_group() as workers:
                for _ in range(min(cap, self.limits.concurrency, waiting)):
                    workers.start_soon(self._worker, name)
        await call_hooks(self.hooks.after_condition, "after_condition", condition, self.info(name))

    async def _flusher(self) -> None:
        """Commit the open batch of outcomes once it is ``FLUSH_INTERVAL_S`` old (see the store)."""
        while True:
            await anyio.sleep(FLUSH_INTERVAL_S / 2)
            if self.store.flush_due():
                self.store.flush()

    async def _worker(self, name: str) -> None:
        queue = self.pending[name]
        runtime = self.runtimes[name]
        with events.experiment_context(run_id=self.run_id, condition=name):
            while queue and self.stop_reason is None and name not in self.condition_stops:
                task = queue.popleft()
                async with self.limiter:
                    if self.stop_reason is not None or name in self.condition_stops:
                        queue.appendleft(task)
                        return
                    await self._one(task, runtime)

    async def _one(self, task: Task, runtime: ConditionRuntime) -> None:
        estimate = tokens = 0.0
        refusal = None
        if self.budget.active or self.tokens is not None:
            static, tokens = runtime.estimate(task)
            estimate = self.budget.estimate(task.condition, static)
            refusal = self.budget.admit(task.condition, estimate)
        if refusal is not None and self.experiment.budget.halt_on_exceed:
            scope, reason = refusal
            if scope == "total":
                self.stop_reason = reason
            else:
                self.condition_stops[scope] = reason
            self.pending[task.condition].appendleft(task)
            self.progress.note(f"stopping{'' if scope == 'total' else ' ' + scope}: {reason}")
            return
        await self.cooldowns[task.condition].wait()
        ctx = runtime.context(task, self.run_id)
        if self.first_task_at is None:
            self.first_task_at = time.monotonic()
        self.started_tasks += 1
        await call_hooks(self.hooks.before_task, "before_task", ctx)
        started = time.time()
        status, outcome, attempts, error, latency = await self._attempts(task, runtime, ctx, tokens)
        finished = time.time()
        record = self._record(task, status, outcome, attempts, error, latency, started, finished)
        cost = record["cost_usd"] or 0.0
        self.budget.settle(task.condition, estimate, cost, reserved=refusal is None)
        if self.tokens is not None and status == "ok" and self.charged[task.condition]:
            used = (record["prompt_tokens"] or 0) + (record["completion_tokens"] or 0)
            self.tokens.adjust(used - tokens)
        if status == "failed":
            self.failed[task.condition] += 1
        self.progress.advance(task.condition, cost, status == "failed")
        events.emit(
            TASK_EVENT,
            {"latency_s": record["latency_s"], "cost_usd": cost, "attempts": float(attempts)},
            {"item_id": task.item.id, "repeat": task.repeat, "variant": task.variant, "status": status,
             "success": status == "ok"},
        )  # fmt: skip
        self.remaining[task.condition] -= 1
        await call_hooks(self.hooks.after_task, "after_task", ctx, record)

    async def _run_once(
        self, task: Task, runtime: ConditionRuntime, ctx: Any, timeout: float | None
    ) -> tuple[str, Outcome]:
        if timeout is None:
            return await runtime.run(task, ctx)
        result: tuple[str, Outcome] | None = None
        if self.rates.active:  # the timeout stops while a request waits for a rate limit
            with task_timeout(timeout):
                result = await runtime.run(task, ctx)
        else:
            with anyio.move_on_after(timeout):
                result = await runtime.run(task, ctx)
        if result is None:
            raise TimeoutError(
                f"task ({task.condition}, {task.item.id}, repeat {task.repeat}) ran past limits.timeout_s="
                f"{timeout:g} s; raise the timeout or check the endpoint",
                timeout_s=timeout,
            )
        return result

    async def _charge(self, tokens: float) -> None:
        """One request (and ``tokens`` estimated tokens) of a condition the harness cannot meter."""
        if self.requests is not None:
            await self.requests.acquire(1.0)
        if self.tokens is not None:
            await self.tokens.acquire(tokens)

    async def _attempts(
        self, task: Task, runtime: ConditionRuntime, ctx: Any, tokens: float
    ) -> tuple[str, Outcome | None, int, BaseException | None, float]:
        timeout = self.limits.timeout_s
        attempt = 0
        rng: random.Random | None = None
        charged = self.charged[task.condition]
        while True:
            attempt += 1
            ctx.attempt = attempt
            if charged:
                await self._charge(tokens)
            start = time.monotonic()
            try:
                status, outcome = await self._run_once(task, runtime, ctx, timeout)
                return status, outcome, attempt, None, time.monotonic() - start
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as exc:  # every error is recorded; only retryable ones are retried
                error = exc
            retry = is_retryable(error) and attempt <= self.limits.max_retries
            hint = retry_after_of(error)
            delay: float | None = None
            if retry:
                rng = rng or random.Random(task.seed ^ 0x5EED)
                delay = backoff_delay(self.limits, attempt, hint, rng)
            self.store.record_error(
                task_id=task.id, attempt=attempt, error=_error_record(error), retry_after=hint, delay_s=delay,
                session=self.session,
            )  # fmt: skip
            if not retry:
                return "failed", None, attempt, error, time.monotonic() - start
            if hint is not None:
                self.cooldowns[task.condition].extend(min(hint, self.limits.backoff_max_s))
            ctx.completions.clear()
            await anyio.sleep(delay or 0.0)

    def _record(
        self,
        task: Task,
        status: str,
        outcome: Outcome | None,
        attempts: int,
        error: BaseException | None,
        latency: float,
        started: float,
        finished: float,
    ) -> dict[str, Any]:
        scores: dict[str, float] = {}
        metadata: dict[str, Any] = {}
        prediction: Any = None
        text: str | None = None
        tokens_in = tokens_out = None
        cost = None
        simulated = False
        if outcome is not None:
            metadata = dict(outcome.metadata)
            prediction = jsonable(outcome.prediction)
            text = clean_text(outcome.text) if self.store_text and outcome.text is not None else None
            tokens_in, tokens_out, cost = outcome.prompt_tokens, outcome.completion_tokens, outcome.cost_usd
            latency = outcome.latency_s if outcome.latency_s is not None else latency
            simulated = outcome.simulated
            scores = {k: float(v) for k, v in outcome.scores.items()}
            if status == "ok" and self.metrics:
                measured, problems = score(self.metrics, outcome.prediction, task.item)
                scores.update(measured)
                if problems:
                    metadata["score_problems"] = problems
        if task.variant != "clean":
            metadata["attack_changed"] = bool(task.item.metadata.get("attack_changed"))
        failure = _error_record(error) if error is not None else None
        record = {
            "task_id": task.id,
            "condition": task.condition,
            "item_id": task.item.id,
            "repeat": task.repeat,
            "variant": task.variant,
            "status": status,
            "prediction": prediction,
            "text": (redact_text(text) if text != prediction else None) if text else text,
            "scores": scores,
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "cost_usd": cost,
            "latency_s": latency,
            "attempts": attempts,
            "error_type": failure["type"] if failure else None,
            "error_kind": failure["kind"] if failure else None,
            "error_message": failure["message"] if failure else None,
            "simulated": simulated,
            "metadata": redact(jsonable(metadata)) if metadata else {},
        }
        if isinstance(prediction, str):
            clean_prediction = redact_text(prediction)
            if record["text"] is None and text:
                record["text"] = clean_prediction  # the prediction is the text: redact it once
            stored_prediction = json.dumps(clean_prediction)
        else:
            stored_prediction = None if prediction is None else json.dumps(redact(prediction))
        record |= {
            "session": self.session,
            "started_at": started,
            "finished_at": finished,
        }
        self.store.record(
            (
                task.id, task.condition, task.item.id, task.repeat, task.variant, status,
                stored_prediction, record["text"],
                json.dumps(scores), tokens_in, tokens_out, cost, latency, attempts, record["error_type"],
                record["error_kind"], record["error_message"], int(simulated),
                json.dumps(record["metadata"], default=str), self.session, started, finished,
            )
        )  # fmt: skip
        return record

    @property
    def reason(self) -> str | None:
        """Why the session stopped early (the total budget, or each condition's own budget)."""
        if self.stop_reason is not None:
            return self.stop_reason
        return "; ".join(self.condition_stops.values()) or None

    def info(self, name: str) -> ConditionInfo:
        """The progress of condition ``name`` (for hooks); ``stop_reason`` when tasks are left and a budget
        stopped it."""
        total, remaining = self.totals[name], self.remaining[name]
        stop = (self.condition_stops.get(name) or self.stop_reason) if remaining else None
        return ConditionInfo(
            name, total, total - remaining, remaining, self.budget.spent_by.get(name, 0.0), self.failed[name], stop,
        )  # fmt: skip
