"""Voting methods: plurality, weighted, best confidence, unanimous, and user callables.

Every method takes the valid :class:`Ballot`\\s (members that gave a readable answer) and returns a
:class:`VoteOutcome`: the winner, its ``consensus`` (the winning share) and the tally. A member's
``confidence`` on its ballot is its own (log-probabilities or verbalised) when it has one, else its
*vote share*: the fraction of ballots with the same answer.

Ranked choice lives in :mod:`crucible_ensemble._ranked`, semantic clustering in
:mod:`crucible_ensemble._semantic`. Subclass :class:`VotingMethod` for a method of your own, or pass
a plain callable ``fn(ballots) -> answer``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crucible_core.errors import ValidationError

__all__ = [
    "Ballot",
    "without",
    "BestConfidenceVote",
    "CallableVote",
    "MajorityVote",
    "Tally",
    "UnanimousVote",
    "VoteOutcome",
    "VotingMethod",
    "WeightedVote",
    "tally",
]


@dataclass(slots=True)
class Ballot:
    """One member's vote: its answer, confidence in [0, 1], weight and (ranked voting) its ranking.

    ``confidence_is_own`` is False when ``confidence`` is the vote share (no log-probabilities and no
    verbalised confidence). ``text`` is the member's raw output.
    """

    index: int
    member: str
    answer: Hashable
    confidence: float
    weight: float = 1.0
    ranking: tuple[Hashable, ...] = ()
    confidence_is_own: bool = False
    text: str = ""


@dataclass(slots=True)
class Tally:
    """One candidate answer: the members who voted for it and its score under the method."""

    answer: Hashable
    members: list[int] = field(default_factory=list)
    count: int = 0
    confidence_sum: float = 0.0
    weighted: float = 0.0
    best: float = 0.0
    first: int = 0
    score: float = 0.0
    variants: list[Hashable] = field(default_factory=list)


@dataclass(slots=True)
class VoteOutcome:
    """What a voting method decided. ``tallies`` are ordered best first (the winner first unless
    ``answer`` is None); ``no_consensus`` marks a vote that found no acceptable winner."""

    answer: Hashable | None
    consensus: float
    tallies: list[Tally]
    no_consensus: bool = False
    details: dict[str, Any] = field(default_factory=dict)


def tally(ballots: Sequence[Ballot]) -> dict[Hashable, Tally]:
    """Group ballots by answer, in order of first appearance (member order)."""
    groups: dict[Hashable, Tally] = {}
    for position, ballot in enumerate(ballots):
        group = groups.get(ballot.answer)
        if group is None:
            group = groups[ballot.answer] = Tally(ballot.answer, first=position)
        group.members.append(ballot.index)
        group.count += 1
        group.confidence_sum += ballot.confidence
        group.weighted += ballot.weight * ballot.confidence
        if ballot.confidence > group.best:
            group.best = ballot.confidence
    return groups


def without(ballots: Sequence[Ballot], position: int) -> list[Ballot]:
    """``ballots`` without the one at ``position``; vote-share confidences are recomputed for the rest."""
    rest = [b for i, b in enumerate(ballots) if i != position]
    if all(b.confidence_is_own for b in rest):
        return rest
    counts: dict[Hashable, int] = {}
    for b in rest:
        counts[b.answer] = counts.get(b.answer, 0) + 1
    n = len(rest)
    return [
        b
        if b.confidence_is_own
        else Ballot(b.index, b.member, b.answer, counts[b.answer] / n, b.weight, b.ranking, False, b.text)
        for b in rest
    ]


class VotingMethod(ABC):
    """Base class of voting methods. ``name`` appears in results as ``strategy``."""

    name: str = "custom"
    needs_ranking: bool = False

    @abstractmethod
    def vote(self, ballots: Sequence[Ballot]) -> VoteOutcome:
        """Decide among ``ballots`` (at least one)."""

    def decided(
        self, ballots: Sequence[Ballot], remaining: Sequence[float], *, own_confidence: bool = True
    ) -> bool:
        """True when members not yet heard (their ``remaining`` weights) cannot change the winner.

        Used by ``execution="sequential"`` to stop early, so it must hold whatever the remaining
        members do: answer the winner, a rival or something new, or abstain — and a vote-share
        confidence of *every* ballot, heard or not, is recomputed as their answers arrive (see
        :func:`make_ballots <crucible_ensemble._process.make_ballots>`). The remaining members come
        after ``ballots`` in member order. ``own_confidence`` says whether they may state a confidence
        of their own (log-probabilities or verbalised: any value in [0, 1]); it is False when every
        later ballot carries its vote share (``confidence="vote_share"``). The default (never
        decided) is always safe.
        """
        return False

    def decisive(self, ballots: Sequence[Ballot], outcome: VoteOutcome) -> set[int]:
        """Indices of the members whose ballot, left out, changes the answer (None on no consensus).

        The default re-votes without each ballot in turn, vote-share confidences recomputed.
        """
        winner = None if outcome.no_consensus else outcome.answer
        found: set[int] = set()
        for position, ballot in enumerate(ballots):
            other = self.vote(without(ballots, position))
            if (None if other.no_consensus else other.answer) != winner:
                found.add(ballot.index)
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _ordered(groups: dict[Hashable, Tally], key: Callable[[Tally], tuple[float, ...]]) -> list[Tally]:
    return sorted(groups.values(), key=key, reverse=True)


class MajorityVote(VotingMethod):
    """Plurality: the answer given by the most members.

    Ties are broken deterministically by the higher summed confidence of the tied answers' voters,
    then by member order (the answer first given by an earlier member wins). ``consensus`` is the
    winner's count over the number of ballots.
    """

    name = "majority"

    def vote(self, ballots: Sequence[Ballot]) -> VoteOutcome:
        groups = tally(ballots)
        ordered = _ordered(groups, lambda t: (t.count, t.confidence_sum, -t.first))
        for t in ordered:
            t.score = float(t.count)
        return VoteOutcome(ordered[0].answer, ordered[0].count / len(ballots), ordered)

    def decided(
        self, ballots: Sequence[Ballot], remaining: Sequence[float], *, own_confidence: bool = True
    ) -> bool:
        """The count ranks first, and no confidence can lift a lower count: decided when the leader's
        count exceeds the runner-up's plus every remaining member."""
        if not ballots:
            return False
        counts = sorted((t.count for t in tally(ballots).values()), reverse=True)
        runner_up = counts[1] if len(counts) > 1 else 0
        return counts[0] > runner_up + len(remaining)

    def decisive(self, ballots: Sequence[Ballot], outcome: VoteOutcome) -> set[int]:
        """Same answer as the default (re-voting without each ballot), without building new ballots:
        leaving ballot ``i`` out lowers its answer's count by one and turns every vote share into
        ``count / (n - 1)``; each answer's (count, confidence sum, first position) key is recomputed in
        ballot order, exactly as :meth:`vote` would sum it."""
        n = len(ballots)
        groups: dict[Hashable, list[int]] = {}
        for position, b in enumerate(ballots):
            groups.setdefault(b.answer, []).append(position)
        found: set[int] = set()
        for position, b in enumerate(ballots):
            best: tuple[int, float, int] | None = None
            best_answer: Hashable = None
            for answer, positions in groups.items():
                count = len(positions) - (answer == b.answer)
                if count == 0:
                    continue
                share = count / (n - 1)
                confidence, first = 0.0, -1
                for p in positions:
                    if p == position:
                        continue
                    if first < 0:
                        first = p
                    other = ballots[p]
                    confidence += other.confidence if other.confidence_is_own else share
                key = (count, confidence, -first)
                if best is None or key > best:
                    best, best_answer = key, answer
            if best_answer != outcome.answer:
                found.add(b.index)
        return found


class WeightedVote(VotingMethod):
    """Each ballot counts ``weight x confidence``; the highest total wins.

    Ties: more ballots, then member order. ``consensus`` is the winner's total over the sum of all
    totals (its count share when every total is 0).
    """

    name = "weighted"

    def vote(self, ballots: Sequence[Ballot]) -> VoteOutcome:
        groups = tally(ballots)
        ordered = _ordered(groups, lambda t: (t.weighted, t.count, -t.first))
        total = 0.0
        for t in ordered:
            t.score = t.weighted
            total += t.weighted
        consensus = ordered[0].weighted / total if total > 0 else ordered[0].count / len(ballots)
        return VoteOutcome(ordered[0].answer, consensus, ordered)

    def decided(
        self, ballots: Sequence[Ballot], remaining: Sequence[float], *, own_confidence: bool = True
    ) -> bool:
        """Worst case over the remaining members, rival by rival (each existing answer and a new one).

        Write an answer's score as ``O + S * k / N``: ``O`` the summed ``weight x confidence`` of its
        ballots with their own confidence, ``S`` the summed weight of its vote-share ballots, ``k`` its
        count and ``N`` the number of ballots. Against rival ``R`` the adversary sends ``a`` remaining
        members to ``R`` (the ``a`` heaviest: each adds ``w`` with a stated confidence of 1.0, or
        ``w x share`` when only vote shares are possible), ``b`` to other answers (raising ``N``,
        which dilutes every vote share) and lets the rest abstain; a member joining the leader only
        helps it. For fixed ``a`` the margin is monotone in ``N``, so ``b = 0`` and ``b = r - a`` bound
        it. Decided when the leader stays strictly ahead of every rival in every case.
        """
        if not ballots:
            return False
        groups: dict[Hashable, list[float]] = {}  # answer -> [own, share weight, count]
        for b in ballots:
            g = groups.setdefault(b.answer, [0.0, 0.0, 0.0])
            if b.confidence_is_own:
                g[0] += b.weight * b.confidence
            else:
                g[1] += b.weight
            g[2] += 1
        leader = self.vote(ballots).answer
        own_l, share_l, count_l = groups.pop(leader)
        n, r = len(ballots), len(remaining)
        heaviest = [0.0]
        for w in sorted(remaining, reverse=True):
            heaviest.append(heaviest[-1] + w)
        tolerance = 1e-9 * (1.0 + sum(b.weight for b in ballots) + heaviest[-1])
        rivals = [(g, True) for g in groups.values()] + [([0.0, 0.0, 0.0], False)]
        for (own_r, share_r, count_r), exists in rivals:
            for a in range(0 if exists else 1, r + 1):
                joined = heaviest[a]
                for extra in {0, r - a}:
                    total = n + a + extra
                    lead = own_l + share_l * count_l / total
                    if own_confidence:
                        rival = own_r + joined + share_r * (count_r + a) / total
                    else:
                        rival = own_r + (share_r + joined) * (count_r + a) / total
                    if lead - rival <= tolerance:
                        return False
        return True


class BestConfidenceVote(VotingMethod):
    """The answer of the single most confident member (ties: member order).

    ``consensus`` is the share of ballots that gave that answer.
    """

    name = "best_confidence"

    def vote(self, ballots: Sequence[Ballot]) -> VoteOutcome:
        best = max(ballots, key=lambda b: (b.confidence, -b.index))
        groups = tally(ballots)
        winner = groups[best.answer]
        ordered = [
            winner,
            *_ordered(
                {k: v for k, v in groups.items() if k != best.answer}, lambda t: (t.best, t.count, -t.first)
            ),
        ]
        for t in ordered:
            t.score = t.best
        return VoteOutcome(best.answer, winner.count / len(ballots), ordered)

    def decided(
        self, ballots: Sequence[Ballot], remaining: Sequence[float], *, own_confidence: bool = True
    ) -> bool:
        """A *stated* confidence of 1.0 is final: a later member can at most tie it, and ties go to
        member order. A vote share is not: a lone first answer has share 1.0, and shares fall as other
        answers arrive. When the remaining members may state a confidence, anything short of a stated
        1.0 can be beaten. When they can only carry vote shares, each answer's best confidence is
        ``max(best stated, k / N)``; for every rival (each other answer and a new one) the adversary
        sends ``a`` remaining members to it and ``b`` elsewhere; the leader must stay strictly ahead
        at ``b = 0`` (the rival's share is highest) and ``b = r - a`` (the leader's is lowest).
        """
        if not ballots:
            return False
        if any(b.confidence_is_own and b.confidence >= 1.0 for b in ballots):
            return True  # the earliest stated 1.0 wins (a share of 1.0 means everyone agrees with it)
        best = max(ballots, key=lambda b: (b.confidence, -b.index))
        r = len(remaining)
        if r == 0:
            return True
        if own_confidence:
            return False
        groups: dict[Hashable, list[float]] = {}  # answer -> [best stated confidence, has shares, count]
        for b in ballots:
            g = groups.setdefault(b.answer, [0.0, 0.0, 0.0])
            if b.confidence_is_own:
                g[0] = max(g[0], b.confidence)
            else:
                g[1] = 1.0
            g[2] += 1
        stated_l, shared_l, count_l = groups.pop(best.answer)
        n = len(ballots)
        rivals = [(g, True) for g in groups.values()] + [([0.0, 0.0, 0.0], False)]
        for (stated_r, shared_r, count_r), exists in rivals:
            for a in range(0 if exists else 1, r + 1):
                for extra in {0, r - a}:
                    total = n + a + extra
                    lead = max(stated_l, count_l / total if shared_l else 0.0)
                    rival = max(stated_r, (count_r + a) / total if shared_r or a else 0.0)
                    if lead - rival <= 1e-12:
                        return False
        return True


class UnanimousVote(VotingMethod):
    """Every ballot must agree. On disagreement the outcome has ``no_consensus=True`` and the
    ensemble raises :class:`~crucible_ensemble.NoConsensus` or answers None (``on_no_consensus``);
    the tally (and the plurality leader's share as ``consensus``) is still reported."""

    name = "unanimous"

    def vote(self, ballots: Sequence[Ballot]) -> VoteOutcome:
        groups = tally(ballots)
        ordered = _ordered(groups, lambda t: (t.count, t.confidence_sum, -t.first))
        for t in ordered:
            t.score = float(t.count)
        if len(ordered) == 1:
            return VoteOutcome(ordered[0].answer, 1.0, ordered)
        return VoteOutcome(None, ordered[0].count / len(ballots), ordered, no_consensus=True)

    def decided(
        self, ballots: Sequence[Ballot], remaining: Sequence[float], *, own_confidence: bool = True
    ) -> bool:
        return len({b.answer for b in ballots}) > 1  # disagreement is final

    def decisive(self, ballots: Sequence[Ballot], outcome: VoteOutcome) -> set[int]:
        """Only a lone dissenter is decisive: without it the rest agree (and n >= 3 keeps 2 voters)."""
        groups = tally(ballots)
        if len(groups) != 2:
            return set()
        return {t.members[0] for t in groups.values() if t.count == 1}


class CallableVote(VotingMethod):
    """Wraps ``fn(ballots) -> answer`` (None = no acceptable answer). ``consensus`` is the share of
    ballots that gave the returned answer; the tally is the plurality tally."""

    name = "callable"

    def __init__(self, fn: Callable[[list[Ballot]], Hashable | None]) -> None:
        if not callable(fn):
            raise ValidationError(f"fn must be callable(ballots) -> answer; got {fn!r}", argument="voting")
        self.fn = fn

    def vote(self, ballots: Sequence[Ballot]) -> VoteOutcome:
        answer = self.fn(list(ballots))
        groups = tally(ballots)
        ordered = _ordered(groups, lambda t: (t.count, t.confidence_sum, -t.first))
        for t in ordered:
            t.score = float(t.count)
        if answer is None:
            return VoteOutcome(None, 0.0, ordered, no_consensus=True)
        try:
            chosen = groups.get(answer)
        except TypeError:
            raise ValidationError(
                f"the voting callable returned an unhashable answer {answer!r}; return one of the ballots' "
                "answers (or any hashable value)",
                argument="voting",
            ) from None
        if chosen is None:
            return VoteOutcome(answer, 0.0, ordered, details={"answer_not_voted": True})
        ordered.remove(chosen)
        return VoteOutcome(answer, chosen.count / len(ballots), [chosen, *ordered])

    def __repr__(self) -> str:
        return f"CallableVote({getattr(self.fn, '__name__', repr(self.fn))})"
