"""Pure processing of one prediction: read each member's text, build ballots, vote, assemble results.

No I/O here: the execution strategies (:mod:`crucible_ensemble._execution`) call :func:`read` as each
completion arrives and :func:`tally_votes` when they need the current winner.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from crucible_core.models import Completion
from crucible_ensemble._confidence import logprob_confidence, logprob_ranking, split_verbalized
from crucible_ensemble._member import Member
from crucible_ensemble._ranking import extract_ranking
from crucible_ensemble._results import ErrorInfo, MemberResponse, ResponseStatus, Vote
from crucible_ensemble._voting import Ballot, VoteOutcome, VotingMethod

__all__ = ["ConfidenceMode", "Reader", "Reply", "decisive_members", "make_ballots", "responses", "votes"]

ConfidenceMode = Literal["auto", "logprobs", "verbalized", "vote_share"]
Normalize = Callable[[str], Hashable | None]


@dataclass(slots=True)
class Reply:
    """Mutable record of one member's call while a prediction runs."""

    index: int
    member: Member
    status: ResponseStatus | Literal["pending"] = "pending"
    completion: Completion | None = None
    error: BaseException | None = None
    latency_s: float | None = None
    attempts: int = 0
    answer: Hashable | None = None
    ranking: tuple[Hashable, ...] | None = None
    confidence: float | None = None
    source: Literal["logprobs", "verbalized"] | None = None
    note: str | None = None
    losers: list[Completion] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Reader:
    """How to turn a completion into an answer, a confidence and (ranked voting) a ranking."""

    normalize: Normalize
    mode: ConfidenceMode
    verbal_allowed: bool
    needs_ranking: bool

    def read(self, reply: Reply, completion: Completion) -> None:
        """Fill ``reply`` from ``completion``; malformed output makes it ``abstained``, never raises."""
        reply.completion = completion
        text = completion.text if isinstance(completion.text, str) else ""
        stripped, verbal = split_verbalized(text)
        try:
            answer = self.normalize(stripped)
            if answer is not None:
                hash(answer)
        except Exception as exc:  # a normaliser failing on odd output is malformed output, counted
            reply.status, reply.note = "abstained", f"normalizer raised {type(exc).__name__}: {exc}"
            return
        ranking: tuple[Hashable, ...] | None = None
        if self.needs_ranking:
            ranking = extract_ranking(stripped, self.normalize)
            if ranking is not None:
                answer = ranking[0]
            elif answer is not None:
                ranking = logprob_ranking(text, completion.logprobs, answer, self.normalize)
        if answer is None:
            reply.status = "abstained"
            return
        reply.status, reply.answer = "answered", answer
        reply.ranking = ranking if ranking is not None else (answer,)
        if self.mode in ("auto", "logprobs") and completion.logprobs:
            reply.confidence = logprob_confidence(text, completion.logprobs, answer, self.normalize)
            if reply.confidence is not None:
                reply.source = "logprobs"
                return
        if verbal is not None and (
            self.mode == "verbalized" or (self.mode == "auto" and self.verbal_allowed)
        ):
            reply.confidence, reply.source = verbal, "verbalized"


def _ballot(r: Reply, confidence: float) -> Ballot:
    return Ballot(
        r.index,
        r.member.label,
        r.answer,
        confidence,
        r.member.weight,
        r.ranking or (r.answer,),
        r.confidence is not None,
        r.completion.text if r.completion is not None else "",
    )


def make_ballots(replies: Sequence[Reply]) -> list[Ballot]:
    """Ballots of the answered replies; a member without its own confidence gets its vote share (the
    fraction of ballots with the same answer)."""
    answered = [r for r in replies if r.status == "answered"]
    counts: dict[Hashable, int] = {}
    for r in answered:
        counts[r.answer] = counts.get(r.answer, 0) + 1
    n = len(answered)
    return [_ballot(r, r.confidence if r.confidence is not None else counts[r.answer] / n) for r in answered]


def decisive_members(voting: VotingMethod, ballots: Sequence[Ballot], outcome: VoteOutcome) -> set[int]:
    """Members whose ballot, left out, changes the answer (see :meth:`VotingMethod.decisive`)."""
    if len(ballots) == 1:
        return {ballots[0].index}
    return voting.decisive(ballots, outcome)


def votes(outcome: VoteOutcome) -> tuple[Vote, ...]:
    """The public tally."""
    total = sum(t.score for t in outcome.tallies)
    return tuple(
        Vote(
            answer=t.answer,
            count=t.count,
            score=t.score,
            share=t.score / total if total > 0 else 0.0,
            members=tuple(t.members),
            variants=tuple(t.variants),
        )
        for t in outcome.tallies
    )


def responses(
    replies: Sequence[Reply], outcome: VoteOutcome | None, decisive: set[int]
) -> tuple[tuple[MemberResponse, ...], float | None]:
    """The per-member records and the prediction's confidence: the mean confidence of the winner's
    voters (a member without its own confidence counts its vote share)."""
    share: dict[int, float] = {}
    winners: set[int] = set()
    if outcome is not None:
        n = sum(t.count for t in outcome.tallies)
        for t in outcome.tallies:
            for index in t.members:
                share[index] = t.count / n if n else 0.0
        if outcome.tallies and not outcome.no_consensus and outcome.answer is not None:
            lead = outcome.tallies[0]
            if lead.answer == outcome.answer:
                winners = set(lead.members)
    out: list[MemberResponse] = []
    winner_confidences: list[float] = []
    for r in replies:
        c = r.completion
        confidence, source = r.confidence, r.source
        if r.status == "answered" and confidence is None:
            confidence, source = share.get(r.index), "vote_share"
        if r.index in winners and confidence is not None:
            winner_confidences.append(confidence)
        status: ResponseStatus = "skipped" if r.status == "pending" else r.status
        prompt_tokens, completion_tokens, cost_usd, cost_known = (
            (0, 0, 0.0, True)
            if c is None
            else (c.usage.prompt_tokens, c.usage.completion_tokens, c.cost_usd, c.cost_known)
        )
        for loser in r.losers:  # hedged: losing attempts that completed anyway are billed too
            prompt_tokens += loser.usage.prompt_tokens
            completion_tokens += loser.usage.completion_tokens
            cost_usd += loser.cost_usd
            cost_known = cost_known and loser.cost_known
        out.append(
            MemberResponse(
                index=r.index,
                member=r.member.label,
                status=status,
                text=None if c is None else c.text,
                answer=r.answer,
                ranking=r.ranking if r.status == "answered" else None,
                confidence=confidence,
                confidence_source=source if confidence is not None else None,
                latency_s=r.latency_s,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd=cost_usd,
                cost_known=cost_known,
                attempts=r.attempts,
                model=None if c is None else c.model,
                simulated=False if c is None else c.simulated,
                decisive=r.index in decisive,
                error=None if r.error is None else ErrorInfo.from_exception(r.error),
                note=r.note,
            )
        )
    confidence = sum(winner_confidences) / len(winner_confidences) if winner_confidences else None
    return tuple(out), confidence
