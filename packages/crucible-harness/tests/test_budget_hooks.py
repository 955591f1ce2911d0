"""Cost estimates, the live budget (stop, resume with more), and hooks (all called; a failing one stops)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from crucible_core.models import Usage, default_pricing
from crucible_datasets import Item
from crucible_harness import (
    Condition,
    ConditionInfo,
    Experiment,
    HookError,
    ModelSpec,
    RunInfo,
    RunResult,
    TaskContext,
    apply_overrides,
    arun,
    estimate,
)

QUIET = {"formats": [], "figures": False, "progress": "quiet", "telemetry": False}


def _priced(n: int, **fields: Any) -> Experiment:
    items = [{"id": f"q{i:02d}", "prompt": f"What is {i} + {i}?", "expected": str(2 * i)} for i in range(n)]
    return Experiment(
        name="budget",
        dataset={"items": items},
        conditions=[
            Condition("free", model=ModelSpec(name="free", provider="simulated", sleep=False)),
            Condition(
                "paid", model=ModelSpec(name="paid", provider="simulated", sleep=False, price=(100.0, 200.0))
            ),
        ],
        metrics=["gsm8k_answer"],
        limits={"concurrency": 3},
        **({"outputs": QUIET} | fields),
    )


def test_estimate_uses_prompt_lengths_and_the_pricing_table(
    items: Callable[[int], list[dict[str, Any]]],
) -> None:
    async def fn(item: Item, ctx: TaskContext) -> str:
        return "x"

    exp = Experiment(
        name="est",
        dataset={"items": items(10)},
        conditions=[
            Condition(
                "gpt", model={"name": "gpt-4o-mini", "api_key": "sk-unused"}, generation={"max_tokens": 20}
            ),
            Condition("fn", fn=fn),
        ],
        budget={"total_usd": 0.001},
    )
    result = estimate(exp)
    gpt, fn_estimate = result.conditions
    prompt_tokens = sum(len(f"What is {i} + {i}?".split()) for i in range(10))
    assert gpt.prompt_tokens == prompt_tokens and gpt.completion_tokens == 200 and gpt.calls == 10
    expected = default_pricing().cost(
        "gpt-4o-mini", Usage(prompt_tokens=prompt_tokens, completion_tokens=200)
    )
    assert gpt.cost_usd == pytest.approx(expected.usd)
    assert fn_estimate.cost_usd is None and "unknown" in (fn_estimate.note or "")
    assert not result.complete and result.within_budget is True
    assert "gpt-4o-mini" in result.summary()


@pytest.mark.anyio
async def test_total_budget_stops_scheduling_and_resume_with_more_budget_finishes(tmp_path: Path) -> None:
    budget = {"total_usd": 0.02, "expected_completion_tokens": 8}
    with capture_logs() as logs:
        first = await arun(_priced(40, budget=budget), output_dir=tmp_path / "run")
    assert first.status == "stopped" and first.stop_reason is not None
    assert "total_usd" in first.stop_reason
    assert first.cost_usd <= 0.02  # estimates bound the spend: the budget is never exceeded
    assert 0 < first.counts["pending"] < 80
    assert any(entry["event"] == "cost budget warning" for entry in logs)
    bigger = apply_overrides(_priced(40, budget=budget), ["budget.total_usd=10"])
    second = await arun(bigger, output_dir=tmp_path / "run", resume=True)
    assert second.status == "completed" and second.counts["pending"] == 0
    with sqlite3.connect(tmp_path / "run" / "results.sqlite") as conn:
        stops = conn.execute("SELECT status, stop_reason FROM sessions ORDER BY id").fetchall()
    assert stops[0][0] == "stopped" and "budget" in stops[0][1] and stops[1] == ("completed", None)


@pytest.mark.anyio
async def test_condition_budget_stops_only_that_condition(tmp_path: Path) -> None:
    exp = _priced(30, budget={"per_condition_usd": {"paid": 0.01}, "expected_completion_tokens": 8})
    result = await arun(exp, output_dir=tmp_path / "run")
    free, paid = result.analysis.conditions
    assert free.pending == 0 and paid.pending > 0
    assert paid.cost_usd <= 0.01 and "per_condition_usd['paid']" in (result.stop_reason or "")


@pytest.mark.anyio
async def test_budget_without_halting_only_warns(tmp_path: Path) -> None:
    exp = _priced(20, budget={"total_usd": 0.005, "halt_on_exceed": False, "expected_completion_tokens": 8})
    result = await arun(exp, output_dir=tmp_path / "run")
    assert result.status == "completed" and result.cost_usd > 0.005


@pytest.mark.anyio
async def test_every_hook_is_called(tmp_path: Path, items: Callable[[int], list[dict[str, Any]]]) -> None:
    calls: Counter[str] = Counter()
    seen: dict[str, Any] = {}

    def before_run(info: RunInfo) -> None:
        calls["before_run"] += 1
        seen["info"] = info

    async def after_run(result: RunResult) -> None:
        calls["after_run"] += 1
        seen["result"] = result

    def before_condition(condition: Condition, info: ConditionInfo) -> None:
        calls[f"before_condition:{condition.name}"] += 1
        assert info.finished == 0 and info.pending == 5

    def after_condition(condition: Condition, info: ConditionInfo) -> None:
        calls[f"after_condition:{condition.name}"] += 1
        assert info.finished == info.total == 5

    async def before_task(ctx: TaskContext) -> None:
        calls["before_task"] += 1

    def after_task(ctx: TaskContext, record: dict[str, Any]) -> None:
        calls["after_task"] += 1
        assert record["status"] == "ok" and record["item_id"] == ctx.item.id

    async def answer(item: Item, ctx: TaskContext) -> str:
        return str(item.expected)

    exp = Experiment(
        name="hooks",
        dataset={"items": items(5)},
        conditions=[Condition("a", fn=answer), Condition("b", fn=answer)],
        hooks={"before_run": before_run, "after_run": after_run, "before_condition": before_condition,
               "after_condition": after_condition, "before_task": [before_task], "after_task": after_task},
        outputs=QUIET,
    )  # fmt: skip
    result = await arun(exp, output_dir=tmp_path / "run")
    assert calls == {
        "before_run": 1, "after_run": 1, "before_condition:a": 1, "before_condition:b": 1,
        "after_condition:a": 1, "after_condition:b": 1, "before_task": 10, "after_task": 10,
    }  # fmt: skip
    assert seen["info"].pending_tasks == 10 and not seen["info"].resumed
    assert seen["result"].run_id == result.run_id


@pytest.mark.anyio
async def test_a_failing_hook_stops_the_run_and_keeps_what_was_recorded(
    tmp_path: Path, items: Callable[[int], list[dict[str, Any]]]
) -> None:
    def explode(ctx: TaskContext, record: dict[str, Any]) -> None:
        if ctx.item.id == "q003":
            raise RuntimeError("hook bug")

    async def answer(item: Item, ctx: TaskContext) -> str:
        return "x"

    exp = Experiment(
        name="bad-hook", dataset={"items": items(8)}, conditions=[Condition("a", fn=answer)],
        hooks={"after_task": explode}, limits={"concurrency": 1}, outputs=QUIET,
    )  # fmt: skip
    with pytest.raises(HookError) as info:
        await arun(exp, output_dir=tmp_path / "run")
    error = info.value  # one error naming the hook, not an ExceptionGroup from the task groups
    assert not isinstance(error, BaseExceptionGroup)
    assert error.details["hook"] == "after_task" and "explode" in error.details["function"]
    assert "the after_task hook" in error.message and "RuntimeError: hook bug" in error.message
    assert isinstance(error.__cause__, RuntimeError) and str(error.__cause__) == "hook bug"
    assert error.details["run_dir"] == str(tmp_path / "run")
    with sqlite3.connect(tmp_path / "run" / "results.sqlite") as conn:
        recorded = conn.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0]
        status = conn.execute("SELECT status FROM run").fetchone()[0]
    assert recorded == 4 and status == "failed"


@pytest.mark.anyio
async def test_after_condition_fires_for_budget_stopped_conditions_and_on_every_resume(
    tmp_path: Path,
) -> None:
    seen: list[tuple[str, str, int, int, str | None]] = []

    def before(condition: Condition, info: ConditionInfo) -> None:
        seen.append(("before", condition.name, info.finished, info.pending, info.stop_reason))

    def after(condition: Condition, info: ConditionInfo) -> None:
        seen.append(("after", condition.name, info.finished, info.pending, info.stop_reason))

    budget = {"per_condition_usd": {"paid": 0.01}, "expected_completion_tokens": 8}
    hooks = {"before_condition": before, "after_condition": after}
    first = await arun(_priced(30, budget=budget, hooks=hooks), output_dir=tmp_path / "run")
    free, paid = first.analysis.conditions
    assert free.pending == 0 and 0 < paid.pending < 30
    assert [(s[0], s[1]) for s in seen[:2]] == [("before", "free"), ("before", "paid")]
    assert all(s[0] == "after" for s in seen[2:]) and len(seen) == 4
    afters = {s[1]: s for s in seen if s[0] == "after"}
    assert set(afters) == {"free", "paid"}  # the budget-stopped condition gets its after_condition too
    assert afters["free"][2:] == (30, 0, None)
    assert afters["paid"][2] == 30 - paid.pending and afters["paid"][3] == paid.pending
    assert "per_condition_usd['paid']" in (afters["paid"][4] or "")

    # a resume is a new session: every condition's hooks fire again, the finished one with nothing pending
    seen.clear()
    more = apply_overrides(_priced(30, budget=budget, hooks=hooks), ["budget.per_condition_usd.paid=100"])
    second = await arun(more, output_dir=tmp_path / "run", resume=True)
    assert second.status == "completed"
    befores = {s[1]: s for s in seen if s[0] == "before"}
    afters = {s[1]: s for s in seen if s[0] == "after"}
    assert befores["free"][2:] == (30, 0, None) and afters["free"][2:] == (30, 0, None)
    assert befores["paid"][3] == paid.pending and afters["paid"][2:] == (30, 0, None)


@pytest.mark.anyio
async def test_budget_warning_is_recorded_and_reported(tmp_path: Path) -> None:
    budget = {"total_usd": 0.02, "warn_at": 0.5, "expected_completion_tokens": 8}
    exp = _priced(40, budget=budget, outputs={**QUIET, "formats": ["markdown", "html", "latex"]})
    result = await arun(exp, output_dir=tmp_path / "run")
    [warning] = result.budget_warnings
    assert warning.startswith("budget warning: the spend") and "total_usd=$0.02" in warning
    with sqlite3.connect(tmp_path / "run" / "results.sqlite") as conn:
        rows = conn.execute("SELECT session, scope, limit_usd, warn_at FROM budget_warnings").fetchall()
    assert rows == [(1, "total", 0.02, 0.5)]
    assert f"| Budget warning | {warning} |" in (tmp_path / "run" / "report.md").read_text()
    assert "Budget warning" in (tmp_path / "run" / "report.html").read_text()
    assert "Budget warning" in (tmp_path / "run" / "report.tex").read_text()
    assert warning in result.summary()
    # a resume does not warn again about the same budget; one with a larger budget warns at its threshold
    again = await arun(exp, output_dir=tmp_path / "run", resume=True)
    assert again.budget_warnings == (warning,)
    bigger = apply_overrides(exp, ["budget.total_usd=0.03"])
    third = await arun(bigger, output_dir=tmp_path / "run", resume=True)
    assert len(third.budget_warnings) == 2 and "total_usd=$0.03" in third.budget_warnings[1]
