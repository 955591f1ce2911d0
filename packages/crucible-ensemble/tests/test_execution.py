"""The four execution strategies against real loopback model servers, counting the server's requests."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from crucible_core.errors import ValidationError
from crucible_core.models import OpenAICompatibleModel
from crucible_core.testing import FakeLLMServer, FaultPlan
from crucible_ensemble import Ensemble, EnsembleError, Member
from crucible_hedging import FixedDelay, Hedger

Server = Callable[..., FakeLLMServer]
Client = Callable[..., OpenAICompatibleModel]
ANSWERS = "ABCD"


def key(qid: int) -> str:
    return ANSWERS[qid % 4]


def confident_when_easy(qid: int) -> Any:
    """Right every time; the answer token's probability is 0.95 for Q0-Q9 (easy), 0.5 from Q10 on."""
    answer = key(qid)
    p = 0.95 if qid < 10 else 0.5
    tokens = [
        {"token": "Answer", "logprob": 0.0},
        {"token": ":", "logprob": 0.0},
        {"token": " " + answer, "logprob": math.log(p)},
    ]
    return {"text": f"Answer: {answer}", "logprobs": tokens}


@pytest.mark.anyio
async def test_sequential_and_cascade_make_fewer_calls_on_easy_questions(
    fake_llm_server: Server, client: Client, responders: Any
) -> None:
    questions = [f"Q{i}: which option?" for i in range(20)]
    answer = lambda body: confident_when_easy(responders.question_id(body))  # noqa: E731
    servers = [fake_llm_server(answer) for _ in range(3)]
    models = [client(s, f"m{i}") for i, s in enumerate(servers)]
    counts: dict[str, list[int]] = {}
    for execution in ("parallel", "sequential", "cascade"):
        for s in servers:
            s.reset()
        ensemble = Ensemble(models, execution=execution, normalizer="multiple_choice", min_responses=1)
        results = await ensemble.predict_many(questions, concurrency=8)
        assert [r.answer for r in results] == [key(i) for i in range(20)]
        counts[execution] = [s.request_count for s in servers]
        assert sum(r.calls for r in results) == sum(counts[execution])
    assert counts["parallel"] == [20, 20, 20]
    # sequential: after two agreeing answers the third cannot change the winner
    assert counts["sequential"] == [20, 20, 0]
    # cascade (threshold 0.8): easy questions stop after the first member (p = 0.95); on hard ones the
    # winner's confidence stays 0.5 and every member is asked
    assert counts["cascade"] == [20, 10, 10]
    assert sum(counts["sequential"]) < sum(counts["parallel"])
    assert sum(counts["cascade"]) < sum(counts["parallel"])


@pytest.mark.anyio
async def test_cascade_orders_by_cost_and_reports_savings(fake_llm_server: Server, client: Client) -> None:
    servers = [fake_llm_server(lambda body: confident_when_easy(0)) for _ in range(3)]
    members = [
        Member(client(servers[0], "big", pricing={"big": (10.0, 30.0)}), cost=0.01),
        Member(client(servers[1], "small", pricing={"small": (0.1, 0.2)}), cost=0.0001),
        Member(client(servers[2], "medium", pricing={"medium": (1.0, 2.0)}), cost=0.001),
    ]
    ensemble = Ensemble(members, execution="cascade", normalizer="multiple_choice", cascade_threshold=0.9)
    result = await ensemble.predict("Q0: which option?")
    assert [s.request_count for s in servers] == [0, 1, 0]
    assert result.stopped_early and result.calls == 1 and result.skipped == 2
    assert result.saved_cost_usd == pytest.approx(0.011)
    assert result.details["stop_reason"].startswith("confidence 0.95")
    small = result.responses[1]
    assert small.status == "answered" and small.confidence == pytest.approx(0.95)
    # usage: 3 prompt words at $0.1/M, 2 completion words at $0.2/M
    assert result.cost_usd == pytest.approx(small.cost_usd) == pytest.approx((3 * 0.1 + 2 * 0.2) / 1e6)
    assert [r.status for r in result.responses] == ["skipped", "answered", "skipped"]
    assert "stopped early" in (result.responses[0].note or "")


@pytest.mark.anyio
async def test_sequential_min_consensus_stop(fake_llm_server: Server, client: Client) -> None:
    servers = [fake_llm_server(lambda body: "The answer is B.") for _ in range(5)]
    models = [client(s, f"m{i}") for i, s in enumerate(servers)]
    decided = await Ensemble(models, execution="sequential", normalizer="multiple_choice").predict("Q1")
    assert decided.calls == 3  # 3 > 0 + 2 remaining
    for s in servers:
        s.reset()
    early = Ensemble(
        models, execution="sequential", normalizer="multiple_choice", min_responses=2, min_consensus=0.9
    )
    result = await early.predict("Q1")
    assert [s.request_count for s in servers] == [1, 1, 0, 0, 0]
    assert result.stopped_early and "min_consensus" in result.details["stop_reason"]
    # members 2-4 were never called and declare no cost: the saving is unknown, not guessed
    assert result.saved_cost_usd is None
    priced = Ensemble(
        [Member(m, cost=0.002) for m in models],
        execution="sequential",
        normalizer="multiple_choice",
        min_responses=2,
        min_consensus=0.9,
    )
    assert (await priced.predict("Q1")).saved_cost_usd == pytest.approx(3 * 0.002)


@pytest.mark.anyio
async def test_hedged_execution_counts_every_request(fake_llm_server: Server, client: Client) -> None:
    slow_first = fake_llm_server(
        lambda body: "The answer is B.", faults=FaultPlan(script=["slow"], slow_s=3.0)
    )
    failing_first = fake_llm_server(lambda body: "The answer is B.", faults=["500"])
    steady = fake_llm_server(lambda body: "The answer is C.")
    models = [client(slow_first, "slow"), client(failing_first, "flaky"), client(steady, "steady")]
    ensemble = Ensemble(
        models,
        execution="hedged",
        normalizer="multiple_choice",
        hedger=lambda member: Hedger(FixedDelay(0.1), max_attempts=2, name=member.label),
    )
    result = await ensemble.predict("Q1")
    assert result.answer == "B"
    # slow: the hedge fired after 0.1 s and won; flaky: the 500 sent the second attempt at once
    assert [s.request_count for s in (slow_first, failing_first, steady)] == [2, 2, 1]
    assert [r.attempts for r in result.responses] == [2, 2, 1]
    assert ensemble.hedgers is not None
    stats = [h.stats(ci=False) for h in ensemble.hedgers]
    assert [(s.count, s.attempts, s.hedge_rate) for s in stats] == [(1, 2, 1.0), (1, 2, 1.0), (1, 1, 0.0)]


def test_hedged_execution_refuses_client_retries(fake_llm_server: Server, client: Client) -> None:
    server = fake_llm_server(lambda body: "B")
    with pytest.raises(ValidationError, match="max_retries=0") as caught:
        Ensemble([client(server, "a"), client(server, "b", max_retries=2)], execution="hedged")
    assert caught.value.details["index"] == 1


@pytest.mark.anyio
async def test_no_retries_added_on_top_of_client_retries(fake_llm_server: Server, client: Client) -> None:
    broken = fake_llm_server(lambda body: "B", faults={"500": 1.0})
    fine = fake_llm_server(lambda body: "The answer is B.")
    models = [client(broken, "broken", max_retries=2, backoff_base=0.0), client(fine, "fine")]
    for execution in ("parallel", "sequential"):
        broken.reset()
        result = await Ensemble(models, execution=execution, normalizer="multiple_choice").predict("Q1")
        assert broken.request_count == 3  # 1 + max_retries, and not one more
        assert result.responses[0].status == "failed"
        assert result.responses[0].attempts == 3
        assert result.responses[0].error is not None and result.responses[0].error.status_code == 500
        assert result.answer == "B" and result.failed == 1


@pytest.mark.anyio
async def test_timeout_uses_partial_results(fake_llm_server: Server, client: Client) -> None:
    fast = [fake_llm_server(lambda body: "The answer is A.") for _ in range(2)]
    slow = fake_llm_server(lambda body: "The answer is D.", latency=5.0)
    models = [client(fast[0], "f0"), client(slow, "slow"), client(fast[1], "f1")]
    ensemble = Ensemble(models, normalizer="multiple_choice", timeout=0.5, min_responses=2)
    result = await ensemble.predict("Q1")
    assert result.answer == "A" and result.consensus == 1.0
    assert [r.status for r in result.responses] == ["answered", "timeout", "answered"]
    assert "timeout" in (result.responses[1].note or "")
    per_member = Ensemble(
        [*models[:1], Member(models[1], timeout=0.3)], normalizer="multiple_choice", timeout=None
    )
    partial = await per_member.predict("Q1")
    assert partial.responses[1].status == "timeout"
    assert "timeout=0.3" in (partial.responses[1].note or "")


@pytest.mark.anyio
async def test_malformed_output_is_recorded_and_counted(fake_llm_server: Server, client: Client) -> None:
    broken_json = fake_llm_server(lambda body: "B", faults=["malformed"])
    no_choices = fake_llm_server(lambda body: "B", faults=["incomplete"])
    rambling = fake_llm_server(lambda body: "I would rather not say.")
    good = fake_llm_server(lambda body: "**B**")
    models = [client(s, f"m{i}") for i, s in enumerate((broken_json, no_choices, rambling, good))]
    result = await Ensemble(models, normalizer="multiple_choice").predict("Q1")
    assert result.answer == "B"
    assert [r.status for r in result.responses] == ["failed", "failed", "abstained", "answered"]
    assert [r.error.type if r.error else None for r in result.responses] == [
        "DataError",
        "DataError",
        None,
        None,
    ]
    assert result.failed == 2 and result.abstained == 1 and result.answered == 1
    assert result.responses[2].text == "I would rather not say."
    assert "abstained" in result.responses[2].cause()


@pytest.mark.anyio
async def test_sequential_deadline_skips_the_rest(fake_llm_server: Server, client: Client) -> None:
    slow = fake_llm_server(lambda body: "The answer is A.", latency=5.0)
    later = [fake_llm_server(lambda body: "The answer is A.") for _ in range(2)]
    models = [client(slow, "slow"), *(client(s, f"later{i}") for i, s in enumerate(later))]
    ensemble = Ensemble(models, execution="sequential", normalizer="multiple_choice", timeout=0.3)
    with pytest.raises(EnsembleError) as caught:
        await ensemble.predict("Q1")
    statuses = [(r.status, r.note) for r in caught.value.responses]
    assert statuses[0] == ("timeout", "cancelled at the ensemble's timeout")
    assert statuses[1:] == [("skipped", "not called: the ensemble's timeout had passed")] * 2
    assert [s.request_count for s in later] == [0, 0]


@pytest.mark.anyio
async def test_default_hedgers_are_per_member(fake_llm_server: Server, client: Client) -> None:
    server = fake_llm_server(lambda body: "The answer is D.")
    ensemble = Ensemble(
        [client(server, "a"), client(server, "b")], execution="hedged", normalizer="multiple_choice"
    )
    assert ensemble.hedgers is not None and ensemble.hedgers[0] is not ensemble.hedgers[1]
    result = await ensemble.predict("Q1")
    assert result.answer == "D" and result.execution == "hedged" and server.request_count == 2
    shared = Hedger(FixedDelay(1.0))
    assert Ensemble(
        [client(server, "c"), client(server, "d")], execution="hedged", hedger=shared
    ).hedgers == (
        shared,
        shared,
    )


@pytest.mark.anyio
@pytest.mark.parametrize("confidence", ["auto", "vote_share"])
@pytest.mark.parametrize(
    ("voting", "weights"), [("weighted", [1.0, 0.4, 0.4]), ("best_confidence", [1.0] * 3)]
)
async def test_sequential_never_stops_on_a_winner_the_rest_can_overturn(
    fake_llm_server: Server, client: Client, confidence: str, voting: str, weights: list[float]
) -> None:
    """Vote-share confidences change as answers arrive: the first answer alone (share 1.0) must not
    stop a sequential run that the later members overturn (issue 8, audit)."""
    servers = [fake_llm_server(lambda body, a=a: f"The answer is {a}.") for a in "ABB"]
    members = [
        Member(client(s, f"m{i}"), weight=w) for i, (s, w) in enumerate(zip(servers, weights, strict=True))
    ]
    answers = {}
    for execution in ("parallel", "sequential"):
        ensemble = Ensemble(
            members,
            voting=voting,
            execution=execution,
            normalizer="multiple_choice",
            confidence=confidence,  # type: ignore[arg-type]
        )
        answers[execution] = await ensemble.predict("Q1")
    # weighted: A scores 1 x 1/3, B 2 x 0.4 x 2/3 = 0.533; best confidence: B's share 2/3 beats A's 1/3
    assert answers["parallel"].answer == answers["sequential"].answer == "B"
    assert answers["sequential"].calls == 3 and not answers["sequential"].stopped_early


@pytest.mark.anyio
async def test_sequential_weighted_still_saves_calls_on_easy_questions(
    fake_llm_server: Server, client: Client
) -> None:
    servers = [fake_llm_server(lambda body: "The answer is B.") for _ in range(5)]
    models = [client(s, f"m{i}") for i, s in enumerate(servers)]
    calls = {}
    for confidence in ("vote_share", "auto"):
        for voting in ("weighted", "best_confidence", "majority"):
            ensemble = Ensemble(
                models,
                voting=voting,
                execution="sequential",
                normalizer="multiple_choice",
                confidence=confidence,  # type: ignore[arg-type]
            )
            for s in servers:
                s.reset()
            result = await ensemble.predict("Q1")
            assert result.answer == "B" and result.calls == sum(s.request_count for s in servers)
            calls[voting, confidence] = result.calls
    # shares only: 3 agreeing answers (3 x 3/5) beat the 2 left (2 x 2/5), and share 3/5 > 2/5
    assert calls["weighted", "vote_share"] == calls["best_confidence", "vote_share"] == 3
    # when later members may state a confidence of 1.0, weighted needs a fourth answer (4 x 4/5 > 1);
    # best confidence cannot stop short of a stated 1.0
    assert calls["weighted", "auto"] == 4 and calls["best_confidence", "auto"] == 5
    assert calls["majority", "auto"] == calls["majority", "vote_share"] == 3


class FinishesEveryRequest:
    """A model whose requests run to completion even when the caller cancels them (as a provider may
    finish, and bill, a request whose client went away)."""

    max_retries = 0

    def __init__(self, inner: OpenAICompatibleModel) -> None:
        self.inner = inner
        self.name = inner.name

    async def generate(self, prompt: Any, *, params: Any = None) -> Any:
        with anyio.CancelScope(shield=True):
            return await self.inner.generate(prompt, params=params)


@pytest.mark.anyio
async def test_hedged_cost_includes_losing_attempts_that_completed(
    fake_llm_server: Server, client: Client
) -> None:
    server = fake_llm_server(lambda body: "The answer is B.", faults=FaultPlan(script=["slow"], slow_s=0.5))
    one = await client(fake_llm_server(lambda body: "The answer is B."), "m").generate("Q1")
    assert one.cost_known and one.cost_usd > 0
    ensemble = Ensemble(
        [FinishesEveryRequest(client(server, "m"))],  # type: ignore[list-item]
        execution="hedged",
        normalizer="multiple_choice",
        hedger=Hedger(FixedDelay(0.1), max_attempts=2),
    )
    result = await ensemble.predict("Q1")
    # attempt 1 won after the 0.1 s hedge delay; attempt 0 still completed (0.5 s) and is billed
    assert server.request_count == 2 and result.responses[0].attempts == 2
    assert result.cost_usd == pytest.approx(2 * one.cost_usd)
    assert result.responses[0].prompt_tokens == 2 * one.usage.prompt_tokens
    assert result.responses[0].completion_tokens == 2 * one.usage.completion_tokens
    # a loser cancelled in flight reports no usage: only the winner is counted
    plain_server = fake_llm_server(
        lambda body: "The answer is B.", faults=FaultPlan(script=["slow"], slow_s=3.0)
    )
    plain = Ensemble(
        [client(plain_server, "m")],
        execution="hedged",
        normalizer="multiple_choice",
        hedger=Hedger(FixedDelay(0.1), max_attempts=2),
    )
    cancelled = await plain.predict("Q1")
    assert plain_server.request_count == 2 and cancelled.responses[0].attempts == 2
    assert cancelled.cost_usd == pytest.approx(one.cost_usd)
