"""Running one task of one condition: prompt, guard, model / ensemble / function, prediction."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crucible_core.models import Completion, GenerationParams, Message, Model
from crucible_datasets import Item
from crucible_harness._adapters import HEDGE_KEYS, HedgedModel, RateLimitedModel, prompt_tokens
from crucible_harness._experiment import Condition, Experiment
from crucible_harness._limits import RateLimits
from crucible_harness._models import (
    ModelRef,
    build_model,
    build_prompt,
    cost_of,
    extract_prediction,
    jsonable,
    price_of,
    prompt_text,
    text_field,
)
from crucible_harness._outcome import Outcome, TaskContext, as_outcome
from crucible_harness._plan import Plan, Task
from crucible_harness._spec import GuardSpec, HedgingSpec

__all__ = ["ConditionPrompts", "ConditionRuntime", "TaskResult", "condition_prompts"]

TaskResult = tuple[str, Outcome]  # (status "ok" | "blocked", outcome)


@dataclass(frozen=True, slots=True)
class ConditionPrompts:
    """The prompt of every (variant, item id) of a condition with a declared model or ensemble, the
    expected answer of each prompt text (the key of simulated models) and the perturbed prompt texts."""

    prompts: dict[tuple[str, str], str | list[Message]] = field(default_factory=dict)
    answers: dict[str, str | None] = field(default_factory=dict)
    perturbed: frozenset[str] = frozenset()


def condition_prompts(condition: Condition, tasks: Sequence[Task]) -> ConditionPrompts:
    """Build every prompt of ``condition`` once, before the run starts: a template that does not fit the
    items (``{question}`` on items without that field) raises here, before anything is written."""
    if condition.model is None and condition.ensemble is None:
        return ConditionPrompts()
    prompts: dict[tuple[str, str], str | list[Message]] = {}
    answers: dict[str, str | None] = {}
    perturbed: set[str] = set()
    for task in tasks:
        key = (task.variant, task.item.id)
        if key not in prompts:
            prompt = build_prompt(task.item, condition.prompt, condition.system)
            prompts[key] = prompt
            text = prompt_text(prompt)
            answers.setdefault(text, _expected_text(task.item.expected))
            if task.variant != "clean":
                perturbed.add(text)
    return ConditionPrompts(prompts, answers, frozenset(perturbed))


def _make_hedger(spec: HedgingSpec, name: str) -> Any:
    from crucible_hedging import FixedDelay, Hedger, LoadBudget, PercentileDelay

    strategy = (
        FixedDelay(spec.delay_s or 0.0) if spec.strategy == "fixed" else PercentileDelay(spec.percentile)
    )
    budget = LoadBudget(spec.max_extra, window=spec.window_s, min_per_second=spec.min_per_second)
    return Hedger(strategy, max_attempts=spec.max_attempts, budget=budget, name=name)


def _make_guard(guard: Any) -> tuple[Any, bool]:
    if guard is None:
        return None, False
    if not isinstance(guard, GuardSpec):
        return guard, False
    from crucible_adversary import Guard

    return Guard(guard.detectors, threshold=guard.threshold, pii_action=guard.pii_action), guard.check_outputs


class ConditionRuntime:
    """The live parts of one condition during a run: its model(s), hedger, guard and estimates."""

    def __init__(
        self,
        experiment: Experiment,
        condition: Condition,
        plan: Plan,
        *,
        connections: int,
        trace_store: Any = None,
        prompts: ConditionPrompts | None = None,
        limits: RateLimits | None = None,
    ) -> None:
        self.condition = condition
        # crucible_trace.SQLiteStore receiving one chain per ensemble vote (None: not recorded)
        self.trace_store = (
            trace_store if condition.ensemble is not None and condition.ensemble.trace else None
        )
        self.experiment = experiment
        self.name = condition.name
        self.is_async_fn = condition.fn is not None and inspect.iscoroutinefunction(condition.fn)
        if prompts is None:
            prompts = condition_prompts(condition, plan.by_condition[condition.name])
        self.prompts = prompts.prompts
        answers, perturbed = prompts.answers, prompts.perturbed
        seed = experiment.seed
        self.completion_tokens = (
            condition.generation.max_tokens or experiment.budget.expected_completion_tokens
        )
        limited = limits if limits is not None and limits.active else None
        # True: every request of this condition's models is charged to the rate limits by the model
        # itself (RateLimitedModel); a function condition without a declared model is charged by the
        # scheduler, one request per attempt
        self.meters_requests = limited is not None and (
            condition.model is not None or condition.ensemble is not None
        )

        def build(ref: ModelRef) -> Model:
            model = build_model(
                ref, seed=seed, connections=connections, answer_key=answers.get, perturbed=perturbed
            )
            if limited is not None:
                return RateLimitedModel(model, limited, completion_tokens=self.completion_tokens)
            return model

        self.model: Model | None = build(condition.model) if condition.model is not None else None
        self.hedger = (
            _make_hedger(condition.hedging, f"harness:{condition.name}")
            if condition.hedging is not None and self.model is not None
            else None
        )
        if self.hedger is not None:
            assert self.model is not None
            self.model = HedgedModel(self.model, self.hedger)  # also ctx.model of a function condition
        self.members: tuple[Model, ...] = ()
        self.member_refs: tuple[ModelRef, ...] = ()
        if condition.ensemble is not None:
            self.member_refs = condition.ensemble.members
            self.members = tuple(build(ref) for ref in self.member_refs)
        self._member_hedgers: dict[str, Any] = {}
        self.guard, self.check_outputs = _make_guard(condition.guard)
        self._params = condition.generation.params(None)
        self._estimate_cache: dict[tuple[str, str], tuple[float | None, float]] = {}
        refs = (condition.model,) if condition.model is not None else self.member_refs
        self.prices = [price_of(r) for r in refs if r is not None]

    async def aclose(self) -> None:
        for model in (self.model, *self.members):
            close = getattr(model, "aclose", None)
            if close is not None:
                await close()

    # -- estimates ------------------------------------------------------------------------------------
    def estimate(self, task: Task) -> tuple[float | None, float]:
        """(static cost estimate in USD or None when unknown, token estimate) of one task."""
        key = (task.variant, task.item.id)
        found = self._estimate_cache.get(key)
        if found is not None:
            return found
        prompt = self.prompts.get(key)
        if prompt is None and (self.model is not None or self.members):
            prompt = build_prompt(task.item, self.condition.prompt, self.condition.system)
        tokens_in = prompt_tokens(prompt) if prompt is not None else 0
        calls = max(len(self.prices), 1)
        tokens = float((tokens_in + self.completion_tokens) * calls)
        cost: float | None = None
        if self.prices and all(p is not None for p in self.prices):
            cost = sum(cost_of(p, tokens_in, self.completion_tokens) or 0.0 for p in self.prices)
        found = (cost, tokens)
        self._estimate_cache[key] = found
        return found

    # -- running ----------------------------------------------------------------------------------------
    def context(self, task: Task, run_id: str) -> TaskContext:
        return TaskContext(
            experiment=self.experiment.name,
            run_id=run_id,
            condition=self.name,
            item=task.item,
            repeat=task.repeat,
            variant=task.variant,
            seed=task.seed,
            params=self._params.model_copy(update={"seed": task.seed}),
            model=self.model,
            prompt=self.prompts.get((task.variant, task.item.id)),
        )

    def _check_input(self, item: Item, prompt: str | Sequence[Message] | None) -> Outcome | None:
        if self.guard is None:
            return None
        if prompt is not None:
            text = prompt_text(prompt)
        else:
            field = text_field(item)
            text = item.input[field] if field is not None else str(item.input)
        verdict = self.guard.validate_input(text)
        if verdict.allowed:
            return None
        return Outcome.model_construct(
            prediction=None, text=None, scores={}, prompt_tokens=0, completion_tokens=0, cost_usd=0.0,
            latency_s=0.0, simulated=False, metadata={"guard": verdict.to_dict(), "blocked": "input"},
        )  # fmt: skip

    def _check_output(self, outcome: Outcome) -> Outcome | None:
        if self.guard is None or not self.check_outputs or not outcome.text:
            return None
        verdict = self.guard.validate_output(outcome.text)
        if verdict.allowed:
            return None
        metadata = {**outcome.metadata, "guard": verdict.to_dict(), "blocked": "output"}
        return outcome.model_copy(update={"prediction": None, "metadata": metadata})

    async def run(self, task: Task, ctx: TaskContext) -> TaskResult:
        """Run the task once (no retries here); errors propagate to the scheduler."""
        blocked = self._check_input(task.item, ctx.prompt)
        if blocked is not None:
            return "blocked", blocked
        if self.condition.fn is not None:
            if self.members:
                ctx.ensemble = self._ensemble(ctx.params)
            value = self.condition.fn(task.item, ctx)
            if inspect.isawaitable(value):
                value = await value
            outcome = _with_usage(as_outcome(value), ctx.completions)
        elif self.model is not None:
            assert ctx.prompt is not None
            completion = await self._generate(ctx.prompt, ctx.params)
            ctx.completions.append(completion)
            prediction = extract_prediction(completion.text, self.condition.answer, task.item)
            outcome = Outcome.from_completion(completion, prediction)
            if self.hedger is not None:
                outcome.metadata.update({k: completion.raw[k] for k in HEDGE_KEYS if k in completion.raw})
        else:
            assert ctx.prompt is not None
            outcome = await self._predict(ctx.prompt, ctx.params, task)
        flagged = self._check_output(outcome)
        return ("blocked", flagged) if flagged is not None else ("ok", outcome)

    async def _generate(self, prompt: str | Sequence[Message], params: GenerationParams) -> Completion:
        model = self.model
        assert model is not None
        return await model.generate(prompt if isinstance(prompt, str) else list(prompt), params=params)

    def _member_hedger(self, member: Any) -> Any:
        label = str(member.label)
        if label not in self._member_hedgers:
            spec = self.condition.hedging or HedgingSpec()
            self._member_hedgers[label] = _make_hedger(spec, f"harness:{self.name}:{label}")
        return self._member_hedgers[label]

    def _ensemble(self, params: GenerationParams) -> Any:
        from crucible_ensemble import Ensemble, Member

        spec = self.condition.ensemble
        assert spec is not None
        weights = spec.weights or tuple(1.0 for _ in self.members)
        return Ensemble(
            [Member(model, weight=w) for model, w in zip(self.members, weights, strict=True)],
            voting=spec.voting,
            execution=spec.execution,
            normalizer=spec.normalizer,
            min_responses=spec.min_responses,
            cascade_threshold=spec.cascade_threshold,
            timeout=None,
            params=params,
            logprobs=False,
            hedger=self._member_hedger if spec.execution == "hedged" else None,
            name=self.name,
            trace=self.trace_store is not None,
        )

    async def _predict(
        self, prompt: str | Sequence[Message], params: GenerationParams, task: Task
    ) -> Outcome:
        ensemble = self._ensemble(params)
        result = await ensemble.predict(prompt if isinstance(prompt, str) else list(prompt))
        chain_id = None
        if self.trace_store is not None and result.trace is not None:
            chain_id = self._save_chain(result.trace, task)
        votes = [
            {"member": r.member, "status": r.status, "answer": jsonable(getattr(r, "answer", None))}
            for r in result.responses
        ]
        return Outcome.model_construct(
            prediction=jsonable(result.answer), text=None, scores={}, prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens, cost_usd=result.cost_usd, latency_s=result.latency_s,
            simulated=result.simulated,
            metadata={"consensus": result.consensus, "confidence": result.confidence, "calls": result.calls,
                      "votes": votes, "cost_known": result.cost_known,
                      **({"trace_chain": chain_id} if chain_id is not None else {})},
        )  # fmt: skip

    def _save_chain(self, chain: Any, task: Task) -> str:
        """Store the vote's chain under an id derived from the task, so a resumed task overwrites the
        chain of its interrupted attempt instead of adding a second one."""
        chain_id = f"chain_task{task.id}"
        named = chain.model_copy(
            update={
                "id": chain_id,
                "name": f"{self.name} | {task.item.id} | repeat {task.repeat} | {task.variant}",
                "metadata": {
                    **chain.metadata,
                    "condition": self.name,
                    "item_id": task.item.id,
                    "repeat": task.repeat,
                    "variant": task.variant,
                    "task_id": task.id,
                },
            }
        )
        store = self.trace_store
        assert store is not None
        store.save(named)
        return chain_id


def _expected_text(expected: Any) -> str | None:
    if expected is None:
        return None
    if isinstance(expected, list | tuple):
        return str(expected[0]) if expected else None
    return str(expected)


def _with_usage(outcome: Outcome, completions: list[Completion]) -> Outcome:
    """Fill an outcome's missing usage, cost and simulated flag from the completions made via ctx."""
    if not completions:
        return outcome
    update: dict[str, Any] = {}
    if outcome.prompt_tokens is None:
        update["prompt_tokens"] = sum(c.usage.prompt_tokens for c in completions)
    if outcome.completion_tokens is None:
        update["completion_tokens"] = sum(c.usage.completion_tokens for c in completions)
    if outcome.cost_usd is None:
        update["cost_usd"] = sum(c.cost_usd for c in completions)
    if any(c.simulated for c in completions) and not outcome.simulated:
        update["simulated"] = True
    return outcome.model_copy(update=update) if update else outcome
