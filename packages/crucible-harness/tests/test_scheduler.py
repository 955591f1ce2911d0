"""Scheduling: concurrency limits, rate limits, timeouts, retries (Retry-After) and the dead-letter table."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crucible_core.errors import NetworkError, RateLimitError, ValidationError
from crucible_core.testing import FakeLLMServer, FaultPlan
from crucible_datasets import Item
from crucible_harness import Condition, Experiment, Limits, ModelSpec, Outcome, TaskContext, arun
from crucible_harness._limits import TokenBucket, backoff_delay, is_retryable, retry_after_of

QUIET = {"formats": [], "figures": False, "progress": "quiet", "telemetry": False}


@pytest.mark.anyio
async def test_global_and_per_condition_concurrency(tmp_path: Path) -> None:
    running: Counter[str] = Counter()
    peaks: Counter[str] = Counter()

    async def work(item: Item, ctx: TaskContext) -> str:
        running[ctx.condition] += 1
        running["all"] += 1
        peaks[ctx.condition] = max(peaks[ctx.condition], running[ctx.condition])
        peaks["all"] = max(peaks["all"], running["all"])
        await anyio.sleep(0.01)
        running[ctx.condition] -= 1
        running["all"] -= 1
        return "done"

    exp = Experiment(
        name="limits",
        dataset={"items": [f"q{i}" for i in range(24)]},
        conditions=[Condition("narrow", fn=work, concurrency=2), Condition("wide", fn=work)],
        limits={"concurrency": 5},
        outputs=QUIET,
    )
    result = await arun(exp, output_dir=tmp_path / "run")
    assert result.counts["ok"] == 48
    assert peaks["narrow"] == 2
    assert peaks["all"] == 5


@pytest.mark.anyio
async def test_requests_per_second_bucket_spaces_tasks(tmp_path: Path) -> None:
    starts: list[float] = []

    async def stamp(item: Item, ctx: TaskContext) -> str:
        starts.append(anyio.current_time())
        return "ok"

    exp = Experiment(
        name="rate",
        dataset={"items": [f"q{i}" for i in range(30)]},
        conditions=[Condition("stamp", fn=stamp)],
        limits={"concurrency": 30, "requests_per_second": 20},
        outputs=QUIET,
    )
    await arun(exp, output_dir=tmp_path / "run")
    # a bucket of 20 tokens refilled at 20/s: the last 10 tasks wait for 10 refills (>= 0.5 s in total)
    assert max(starts) - min(starts) >= 10 / 20 * 0.95


@pytest.mark.anyio
async def test_token_bucket_waits_for_refill_and_settles_debts() -> None:
    bucket = TokenBucket(rate=100.0, capacity=100.0)
    await bucket.acquire(100)
    assert bucket.waited_s == 0.0
    start = anyio.current_time()
    await bucket.acquire(50)  # empty bucket: 50 tokens at 100/s
    assert anyio.current_time() - start >= 0.45
    assert bucket.waited_s == pytest.approx(0.5, abs=0.05)
    bucket.adjust(-1000)  # a call used far fewer tokens than estimated: capped at capacity
    assert bucket.tokens <= 100.0


def test_error_classification() -> None:
    assert is_retryable(RateLimitError("slow down", retry_after=2.0))
    assert not is_retryable(ValidationError("bad"))
    assert not is_retryable(RuntimeError("user code"))
    assert retry_after_of(RateLimitError("x", retry_after=1.5)) == 1.5
    assert retry_after_of(RateLimitError("x")) is None


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=80)
@given(
    attempt=st.integers(min_value=1, max_value=30),
    base=st.floats(min_value=0.0, max_value=5.0),
    extra=st.floats(min_value=0.0, max_value=60.0),
    hint=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e4)),
    jitter=st.booleans(),
)
def test_backoff_is_bounded_full_jitter_or_the_server_hint(
    attempt: int, base: float, extra: float, hint: float | None, jitter: bool
) -> None:
    limits = Limits(backoff_base_s=base, backoff_max_s=base + extra, jitter=jitter)
    delay = backoff_delay(limits, attempt, hint, random.Random(attempt))
    if hint is not None:
        assert delay == min(hint, limits.backoff_max_s)
    else:
        ceiling = min(limits.backoff_max_s, base * 2.0 ** (attempt - 1))
        assert 0.0 <= delay <= ceiling
        if not jitter:
            assert delay == ceiling


@pytest.mark.anyio
async def test_timeouts_are_retried_then_dead_lettered(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()

    async def slow(item: Item, ctx: TaskContext) -> str:
        calls[item.id] += 1
        if item.id == "1":
            await anyio.sleep(10)
        return "fast"

    exp = Experiment(
        name="timeouts",
        dataset={"items": ["quick", "slow"]},
        conditions=[Condition("c", fn=slow)],
        limits={"timeout_s": 0.2, "max_retries": 1, "backoff_base_s": 0.0},
        outputs=QUIET,
    )
    result = await arun(exp, output_dir=tmp_path / "run")
    assert result.counts == {"tasks": 2, "ok": 1, "failed": 1, "blocked": 0, "pending": 0}
    assert calls == {"0": 1, "1": 2}
    [dead] = result.dead_letters()
    assert dead["item_id"] == "1" and dead["error_type"] == "TimeoutError" and dead["attempts"] == 2
    assert [e["attempt"] for e in result.errors()] == [1, 2]


def _faulty_server(plan: dict[str, list[str]], retry_after: float) -> tuple[FakeLLMServer, Counter[str]]:
    """A server whose answer to each prompt follows ``plan[prompt]`` (then "ok")."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def prompt_of(body: dict[str, Any] | None) -> str:
        return str(((body or {}).get("messages") or [{}])[-1].get("content"))

    def choose(index: int, body: dict[str, Any] | None) -> str:
        prompt = prompt_of(body)
        with lock:
            n = seen[prompt]
            seen[prompt] += 1
        script = plan.get(prompt, [])
        return script[n] if n < len(script) else "ok"

    def respond(body: dict[str, Any]) -> str:
        return "The answer is 4."

    return FakeLLMServer(respond, faults=FaultPlan(choose=choose, retry_after=retry_after)), seen


@pytest.mark.anyio
async def test_retryable_errors_are_retried_honouring_retry_after(tmp_path: Path) -> None:
    plan = {"rate": ["429", "429"], "flaky": ["500"], "bad": ["400"] * 5, "down": ["503"] * 5}
    server, seen = _faulty_server(plan, retry_after=0.3)
    with server:
        exp = Experiment(
            name="retries",
            dataset={
                "items": [
                    {"id": p, "prompt": p, "expected": "4"} for p in ["rate", "flaky", "bad", "down", "fine"]
                ]
            },
            conditions=[
                Condition(
                    "m",
                    model=ModelSpec(name="fake", base_url=server.base_url, api_key="sk-x"),
                    answer="number",
                )
            ],
            metrics=["exact_match"],
            limits={"max_retries": 2, "backoff_base_s": 0.01, "backoff_max_s": 1.0, "concurrency": 5},
            outputs={**QUIET, "formats": ["markdown"]},
        )
        result = await arun(exp, output_dir=tmp_path / "run")
    rows = {r["item_id"]: r for r in result.outcomes()}
    assert {k: (r["status"], r["attempts"]) for k, r in rows.items()} == {
        "rate": ("ok", 3), "flaky": ("ok", 2), "bad": ("failed", 1), "down": ("failed", 3), "fine": ("ok", 1),
    }  # fmt: skip
    assert seen == {"rate": 3, "flaky": 2, "bad": 1, "down": 3, "fine": 1}  # the client itself never retried
    assert rows["bad"]["error_type"] == "ValidationError" and rows["down"]["error_type"] == "NetworkError"
    errors = list(result.errors())
    rate_errors = [e for e in errors if e["task_id"] == rows["rate"]["task_id"]]
    assert [(e["error_type"], e["retry_after"], e["delay_s"]) for e in rate_errors] == [
        ("RateLimitError", 0.3, 0.3), ("RateLimitError", 0.3, 0.3),
    ]  # fmt: skip
    flaky = [e for e in errors if e["task_id"] == rows["flaky"]["task_id"]]
    assert flaky[0]["retryable"] == 1 and 0.0 <= flaky[0]["delay_s"] <= 0.01
    bad = [e for e in errors if e["task_id"] == rows["bad"]["task_id"]]
    assert bad[0]["retryable"] == 0 and bad[0]["delay_s"] is None
    with sqlite3.connect(tmp_path / "run" / "results.sqlite") as conn:
        dead = conn.execute(
            "SELECT item_id, error_type, attempts FROM dead_letters ORDER BY item_id"
        ).fetchall()
    assert dead == [("bad", "ValidationError", 1), ("down", "NetworkError", 3)]
    assert result.analysis.condition("m").failed == 2  # type: ignore[union-attr]
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Dead letters" in report and "NetworkError" in report


@pytest.mark.anyio
async def test_resume_can_retry_dead_letters(
    tmp_path: Path, items: Callable[[int], list[dict[str, Any]]]
) -> None:
    fail = {"on": True}

    async def sometimes(item: Item, ctx: TaskContext) -> str:
        if fail["on"] and item.id == "q001":
            raise ValueError("broken today")
        return str(item.expected)

    exp = Experiment(
        name="dl", dataset={"items": items(3)}, conditions=[Condition("c", fn=sometimes)], outputs=QUIET
    )
    first = await arun(exp, output_dir=tmp_path / "run")
    assert first.counts["failed"] == 1 and first.dead_letters()[0]["error_message"] == "broken today"
    fail["on"] = False
    again = await arun(exp, output_dir=tmp_path / "run", resume=True)
    assert again.counts["failed"] == 1  # a plain resume skips finished tasks, failed ones included
    fixed = await arun(exp, output_dir=tmp_path / "run", resume=True, retry_failed=True)
    assert fixed.counts == {"tasks": 3, "ok": 3, "failed": 0, "blocked": 0, "pending": 0}
    assert fixed.sessions == 3


@pytest.fixture
def buckets(monkeypatch: pytest.MonkeyPatch) -> dict[float, TokenBucket]:
    """Every TokenBucket the run makes, by its refill rate (requests/s, or tokens/min / 60)."""
    from crucible_harness import _limits

    made: dict[float, TokenBucket] = {}

    class Recording(TokenBucket):
        def __init__(self, rate: float, capacity: float) -> None:
            super().__init__(rate, capacity)
            made[rate] = self

    monkeypatch.setattr(_limits, "TokenBucket", Recording)
    return made


RPS, TPM = 10_000.0, 600_000_000.0  # high enough never to wait: the tests count, they do not time


def _first_attempt(fault: str) -> tuple[Callable[[int, dict[str, Any] | None], str], Counter[str]]:
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def choose(index: int, body: dict[str, Any] | None) -> str:
        prompt = str(((body or {}).get("messages") or [{}])[-1].get("content"))
        with lock:
            seen[prompt] += 1
            return fault if seen[prompt] == 1 else "ok"

    return choose, seen


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["ensemble", "retries", "hedged"])
async def test_rate_limits_are_charged_per_model_request(
    tmp_path: Path, buckets: dict[float, TokenBucket], kind: str
) -> None:
    n = 4
    choose, _ = _first_attempt({"ensemble": "ok", "retries": "500", "hedged": "slow"}[kind])
    with FakeLLMServer(lambda body: "The answer is 4.", faults=FaultPlan(choose=choose, slow_s=20)) as server:
        spec = {"base_url": server.base_url, "api_key": "sk-rate"}
        if kind == "ensemble":
            members = [ModelSpec(name=f"m{i}", **spec) for i in range(3)]
            condition = Condition("c", ensemble={"members": members, "normalizer": "number"}, answer="number")
        else:
            hedging = {"strategy": "fixed", "delay_s": 0.05, "max_extra": 1.0} if kind == "hedged" else None
            condition = Condition("c", model=ModelSpec(name="m", **spec), hedging=hedging, answer="number")
        exp = Experiment(
            name="per-request", dataset={"items": [{"id": f"q{i}", "prompt": f"p{i} x y", "expected": "4"}
                                                   for i in range(n)]},
            conditions=[condition], metrics=["exact_match"], outputs=QUIET,
            limits={"requests_per_second": RPS, "tokens_per_minute": TPM, "backoff_base_s": 0.0, "timeout_s": 15},
        )  # fmt: skip
        result = await arun(exp, output_dir=tmp_path / "run")
        requests = server.request_count
    assert result.counts["ok"] == n
    assert requests == {"ensemble": 3 * n, "retries": 2 * n, "hedged": 2 * n}[kind]
    # one requests/s token and one tokens/min charge for every request the server received
    assert buckets[RPS].acquisitions == requests and buckets[RPS].acquired == requests
    tokens = buckets[TPM / 60.0]
    assert tokens.acquisitions == requests
    estimate = 3 + 256  # "pN x y" is 3 words; no max_tokens, so budget.expected_completion_tokens
    assert tokens.acquired == requests * estimate
    if kind == "retries":  # answered requests are settled to their usage; the failed ones keep their estimate
        used = sum(r["prompt_tokens"] + r["completion_tokens"] for r in result.outcomes())
        assert tokens.acquired + tokens.adjusted == pytest.approx(used + n * estimate)


@pytest.mark.anyio
async def test_scheduler_charges_function_conditions_per_attempt_including_retries(
    tmp_path: Path, buckets: dict[float, TokenBucket]
) -> None:
    """A function condition without a declared model is charged by the scheduler: one request and the
    task's token estimate per attempt, settled to the reported usage when the task succeeds."""
    attempts: Counter[str] = Counter()

    async def flaky(item: Item, ctx: TaskContext) -> Outcome:
        attempts[item.id] += 1
        if attempts[item.id] == 1:
            raise NetworkError("connection reset")
        return Outcome(prediction="x", prompt_tokens=10, completion_tokens=5)

    exp = Experiment(
        name="fn-rate", dataset={"items": [f"q{i}" for i in range(5)]},
        conditions=[Condition("f", fn=flaky, generation={"max_tokens": 20})],
        limits={"requests_per_second": RPS, "tokens_per_minute": TPM, "backoff_base_s": 0.0}, outputs=QUIET,
    )  # fmt: skip
    result = await arun(exp, output_dir=tmp_path / "run")
    assert result.counts["ok"] == 5 and sum(attempts.values()) == 10
    assert buckets[RPS].acquisitions == 10
    tokens = buckets[TPM / 60.0]
    assert tokens.acquisitions == 10 and tokens.acquired == 10 * 20  # estimate: max_tokens, no prompt
    assert tokens.adjusted == 5 * (15 - 20)  # each success settled to its 15 tokens
    assert tokens.acquired + tokens.adjusted == 5 * 15 + 5 * 20  # the failed attempts keep their estimate


@pytest.mark.anyio
async def test_waiting_for_the_rate_limit_does_not_count_toward_the_task_timeout(tmp_path: Path) -> None:
    # 10 requests/s with 30 tasks in flight: the last requests wait about 2 s for a token, far past the
    # 0.8 s timeout, yet the model itself answers at once: no task may time out
    exp = Experiment(
        name="queue", dataset={"items": [f"q{i}" for i in range(30)]},
        conditions=[Condition("m", model=ModelSpec(name="sim", provider="simulated", sleep=False))],
        limits={"concurrency": 30, "requests_per_second": 10, "timeout_s": 0.8, "max_retries": 0},
        outputs=QUIET,
    )  # fmt: skip
    result = await arun(exp, output_dir=tmp_path / "run")
    assert result.counts["ok"] == 30 and result.counts["failed"] == 0 and result.errors() == []
