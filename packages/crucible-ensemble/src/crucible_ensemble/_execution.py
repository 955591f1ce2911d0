"""The four execution strategies: parallel, sequential, hedged and cascade.

Every member call goes through :func:`ask`, which records the completion or the error and reads the
answer at once. The ensemble adds **no retries** of its own: a member's client retries (e.g.
``OpenAICompatibleModel(max_retries=...)``) are the only retry layer, except in ``hedged`` execution,
where the :class:`~crucible_hedging.Hedger`'s attempts are, and members must have ``max_retries=0``
(checked when the ensemble is built).

Cost of hedged calls: a losing attempt that still completed (its response arrived before, or in
spite of, the cancellation) is billed, so its tokens and cost are added to the member's; an attempt
cancelled in flight returned no usage, so what the provider bills for it is unknown and not counted
(``MemberResponse.attempts`` says how many requests were sent).
"""

from __future__ import annotations

import builtins
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import anyio

from crucible_core.errors import CrucibleError
from crucible_core.models import Completion, GenerationParams, Message
from crucible_ensemble._process import Reader, Reply, make_ballots
from crucible_ensemble._voting import VotingMethod
from crucible_hedging import Hedger, attempt_errors

__all__ = ["Execution", "Run", "Stop", "ask", "cascade", "parallel", "sequential"]

Execution = Literal["parallel", "sequential", "hedged", "cascade"]
Prompt = str | list[Message]


@dataclass(slots=True)
class Run:
    """One prediction in progress."""

    prompt: Prompt
    params: Sequence[GenerationParams]
    reader: Reader
    replies: list[Reply]
    hedgers: Sequence[Hedger] | None
    deadline: float


@dataclass(frozen=True, slots=True)
class Stop:
    """Why a sequential or cascade run stopped before calling every member (empty: it did not)."""

    early: bool = False
    reason: str = ""


def _attempts(exc: BaseException, hedged: bool) -> int:
    if hedged:
        return len(attempt_errors(exc))
    if isinstance(exc, CrucibleError):
        found = exc.details.get("attempts")
        if isinstance(found, int) and found > 0:
            return found
    return 1


async def _invoke(run: Run, reply: Reply) -> tuple[Completion, int]:
    model, params = reply.member.model, run.params[reply.index]
    if run.hedgers is None:
        completion = await model.generate(run.prompt, params=params)
        return completion, completion.attempts

    async def fetch() -> Completion:
        completion = await model.generate(run.prompt, params=params)
        reply.losers.append(completion)  # every attempt that completed; the winner is removed below
        return completion

    hedged = await run.hedgers[reply.index].call(fetch)
    reply.losers = [c for c in reply.losers if c is not hedged.value]
    return hedged.value, hedged.attempts


async def ask(run: Run, index: int) -> None:
    """Call member ``index`` once and record what happened in ``run.replies[index]``."""
    reply = run.replies[index]
    limit = reply.member.timeout
    start = time.perf_counter()
    try:
        if limit is None:
            completion, attempts = await _invoke(run, reply)
        else:
            with anyio.fail_after(limit):
                completion, attempts = await _invoke(run, reply)
    except Exception as exc:  # a failed member is an outcome, recorded and excluded from the vote
        reply.error = exc
        reply.status = "timeout" if isinstance(exc, builtins.TimeoutError) else "failed"
        reply.attempts = _attempts(exc, run.hedgers is not None)
        if reply.status == "timeout" and limit is not None and not isinstance(exc, CrucibleError):
            reply.note = f"no answer within the member's timeout={limit:g} s"
    except BaseException:  # cancelled: the ensemble's deadline passed (or the caller gave up)
        reply.status = "timeout"
        reply.note = "cancelled at the ensemble's timeout"
        raise
    else:
        reply.attempts = attempts
        run.reader.read(reply, completion)
    finally:
        reply.latency_s = time.perf_counter() - start


def _skip_rest(run: Run, note: str) -> int:
    skipped = 0
    for reply in run.replies:
        if reply.status == "pending":
            reply.status, reply.note = "skipped", note
            skipped += 1
    return skipped


async def parallel(run: Run, order: Sequence[int]) -> Stop:
    """All members at once in one task group; whatever has not answered at the deadline is cancelled
    and recorded as ``timeout``."""
    with anyio.CancelScope(deadline=run.deadline):
        async with anyio.create_task_group() as tg:
            for index in order:
                tg.start_soon(ask, run, index)
    _skip_rest(run, "not called: the ensemble's timeout had passed")
    return Stop()


async def sequential(
    run: Run,
    order: Sequence[int],
    voting: VotingMethod,
    min_responses: int,
    min_consensus: float | None,
) -> Stop:
    """One member at a time, in order. Stops once at least ``min_responses`` answers are in and either
    the members not yet called cannot change the winner (``VotingMethod.decided``: whatever they
    answer, with vote-share confidences recomputed; they may state confidences of their own unless
    ``confidence="vote_share"``) or the winner's share has reached ``min_consensus``."""
    reason = ""
    with anyio.CancelScope(deadline=run.deadline) as scope:
        for position, index in enumerate(order):
            await ask(run, index)
            rest = order[position + 1 :]
            if not rest:
                break
            ballots = make_ballots(run.replies)
            if len(ballots) < min_responses:
                continue
            weights = [run.replies[j].member.weight for j in rest]
            if voting.decided(ballots, weights, own_confidence=run.reader.mode != "vote_share"):
                reason = "the remaining members could not change the winner"
                break
            if min_consensus is not None:
                outcome = voting.vote(ballots)
                if not outcome.no_consensus and outcome.consensus >= min_consensus:
                    reason = f"consensus {outcome.consensus:.2f} reached min_consensus={min_consensus:g}"
                    break
    if scope.cancelled_caught:
        _skip_rest(run, "not called: the ensemble's timeout had passed")
        return Stop()
    skipped = _skip_rest(run, f"not called: stopped early ({reason})")
    return Stop(early=skipped > 0, reason=reason)


async def cascade(
    run: Run, order: Sequence[int], voting: VotingMethod, min_responses: int, threshold: float
) -> Stop:
    """Members from cheapest to most expensive; stops once at least ``min_responses`` answers are in
    and the current winner's confidence (the mean over its voters) is at least ``threshold``. A vote
    share alone (no member stated a confidence) counts only from two answers on: one answer always has
    a share of 1."""
    reason = ""
    with anyio.CancelScope(deadline=run.deadline) as scope:
        for position, index in enumerate(order):
            await ask(run, index)
            if position == len(order) - 1:
                break
            ballots = make_ballots(run.replies)
            if len(ballots) < min_responses:
                continue
            outcome = voting.vote(ballots)
            if outcome.no_consensus or not outcome.tallies or outcome.tallies[0].answer != outcome.answer:
                continue
            voters = set(outcome.tallies[0].members)
            mine = [b for b in ballots if b.index in voters]
            confidence = sum(b.confidence for b in mine) / len(mine)
            stated = any(b.confidence_is_own for b in mine)
            if confidence >= threshold and (stated or len(ballots) >= 2):
                reason = f"confidence {confidence:.2f} >= cascade_threshold {threshold:g}"
                break
    if scope.cancelled_caught:
        _skip_rest(run, "not called: the ensemble's timeout had passed")
        return Stop()
    skipped = _skip_rest(run, f"not called: stopped early ({reason})")
    return Stop(early=skipped > 0, reason=reason)


def deadline_after(timeout: float | None) -> float:
    """The absolute anyio deadline ``timeout`` seconds from now (infinity for None)."""
    return math.inf if timeout is None else anyio.current_time() + timeout
