"""Voting methods on ballots: winners, documented tie-breaks, consensus, early-stop decisions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crucible_core.errors import ValidationError
from crucible_ensemble import (
    Ballot,
    BestConfidenceVote,
    CallableVote,
    MajorityVote,
    UnanimousVote,
    VotingMethod,
    WeightedVote,
)
from crucible_ensemble._config import VOTING_NAMES, resolve_voting


def ballots(*votes: tuple[str, float] | str, weights: list[float] | None = None) -> list[Ballot]:
    out = []
    for i, vote in enumerate(votes):
        answer, confidence = (vote, 1.0) if isinstance(vote, str) else vote
        weight = 1.0 if weights is None else weights[i]
        out.append(Ballot(index=i, member=f"m{i}", answer=answer, confidence=confidence, weight=weight))
    return out


def test_majority_plurality_and_consensus() -> None:
    outcome = MajorityVote().vote(ballots("B", "A", "B", "C", "B"))
    assert outcome.answer == "B"
    assert outcome.consensus == pytest.approx(3 / 5)
    assert [t.answer for t in outcome.tallies] == ["B", "A", "C"]
    assert outcome.tallies[0].members == [0, 2, 4]


def test_majority_tie_broken_by_summed_confidence() -> None:
    outcome = MajorityVote().vote(ballots(("A", 0.9), ("B", 0.6), ("B", 0.5), ("A", 0.1)))
    # 2-2 tie; B's voters sum 1.1 > A's 1.0
    assert outcome.answer == "B"
    assert outcome.consensus == pytest.approx(0.5)


def test_majority_tie_then_member_order() -> None:
    outcome = MajorityVote().vote(ballots(("C", 0.5), ("A", 0.5), ("A", 0.5), ("C", 0.5)))
    assert outcome.answer == "C"  # equal counts and confidence: C was given first
    outcome = MajorityVote().vote(ballots(("A", 0.5), ("C", 0.5), ("C", 0.5), ("A", 0.5)))
    assert outcome.answer == "A"


def test_weighted_uses_weight_times_confidence() -> None:
    votes = ballots(("A", 0.9), ("B", 0.5), ("B", 0.5), weights=[0.6, 0.3, 0.3])
    outcome = WeightedVote().vote(votes)
    # A: 0.54, B: 0.30 -> A wins against the majority
    assert outcome.answer == "A"
    assert outcome.consensus == pytest.approx(0.54 / 0.84)
    assert MajorityVote().vote(votes).answer == "B"


def test_best_confidence() -> None:
    outcome = BestConfidenceVote().vote(ballots(("A", 0.6), ("B", 0.95), ("A", 0.7)))
    assert outcome.answer == "B"
    assert outcome.consensus == pytest.approx(1 / 3)
    tie = BestConfidenceVote().vote(ballots(("A", 0.6), ("B", 0.8), ("C", 0.8)))
    assert tie.answer == "B"  # member order


def test_unanimous() -> None:
    agreed = UnanimousVote().vote(ballots("A", "A", "A"))
    assert (agreed.answer, agreed.consensus, agreed.no_consensus) == ("A", 1.0, False)
    split = UnanimousVote().vote(ballots("A", "A", "B"))
    assert split.answer is None and split.no_consensus
    assert split.consensus == pytest.approx(2 / 3)
    assert split.tallies[0].answer == "A"


def test_callable_vote() -> None:
    def longest(bs: list[Ballot]) -> str:
        return max((str(b.answer) for b in bs), key=len)

    outcome = CallableVote(longest).vote(ballots("paris", "rome", "paris, france"))
    assert outcome.answer == "paris, france"
    assert outcome.consensus == pytest.approx(1 / 3)
    assert outcome.tallies[0].answer == "paris, france"
    none = CallableVote(lambda bs: None).vote(ballots("a", "b"))
    assert none.answer is None and none.no_consensus
    with pytest.raises(ValidationError, match="must be callable"):
        CallableVote("majority")  # type: ignore[arg-type]


def test_decided_majority_and_weighted() -> None:
    majority = MajorityVote()
    assert majority.decided(ballots("A", "A"), remaining=[1.0])  # 2 > 0 + 1
    assert not majority.decided(ballots("A", "B"), remaining=[1.0])
    assert not majority.decided(ballots("A", "A"), remaining=[1.0, 1.0])  # 2 > 0 + 2 is false
    weighted = WeightedVote()
    stated = ballots(("A", 1.0), weights=[0.5])
    for b in stated:
        b.confidence_is_own = True
    assert weighted.decided(stated, remaining=[0.2, 0.2])
    assert not weighted.decided(stated, remaining=[0.3, 0.3])
    assert UnanimousVote().decided(ballots("A", "B"), remaining=[1.0])
    assert not UnanimousVote().decided(ballots("A", "A"), remaining=[1.0])
    sure = ballots(("A", 1.0))
    sure[0].confidence_is_own = True
    assert BestConfidenceVote().decided(sure, remaining=[1.0])
    unsure = ballots(("A", 0.99))
    unsure[0].confidence_is_own = True
    assert not BestConfidenceVote().decided(unsure, remaining=[1.0])


def test_decided_accounts_for_recomputed_vote_shares() -> None:
    """A vote share is not final: the members not yet heard change every share (issue 8, audit)."""
    # weights A 1.0, B 0.4, B 0.4; after A alone its share is 1.0 (score 1.0 > 0.8 of weight left), but
    # with all three in, A scores 1 x 1/3 and B scores 2 x 0.4 x 2/3 = 0.533: B wins
    heard = shared_ballots([("A", None)], weights=[1.0])
    everyone = shared_ballots([("A", None), ("B", None), ("B", None)], weights=[1.0, 0.4, 0.4])
    assert WeightedVote().vote(everyone).answer == "B"
    for own in (True, False):
        assert not WeightedVote().decided(heard, [0.4, 0.4], own_confidence=own)
    # best confidence: a lone answer has share 1.0, which is not a stated certainty
    assert BestConfidenceVote().vote(shared_ballots([("A", None), ("B", None), ("B", None)])).answer == "B"
    for own in (True, False):
        assert not BestConfidenceVote().decided(shared_ballots([("A", None)]), [1.0, 1.0], own_confidence=own)
    # enough agreement still decides: 3 x 1.0 x 3/5 = 1.8 beats 2 x 1.0 x 2/5 = 0.8 (shares only), but
    # not 2 x 1.0 stated by the remaining members
    agreed = shared_ballots([("A", None)] * 3)
    assert WeightedVote().decided(agreed, [1.0, 1.0], own_confidence=False)
    assert not WeightedVote().decided(agreed, [1.0, 1.0], own_confidence=True)
    assert WeightedVote().decided(shared_ballots([("A", None)] * 4), [1.0], own_confidence=True)
    assert BestConfidenceVote().decided(agreed, [1.0, 1.0], own_confidence=False)  # 3/5 > 2/5
    assert not BestConfidenceVote().decided(agreed, [1.0, 1.0, 1.0], own_confidence=False)  # 3/6 = 3/6
    assert not BestConfidenceVote().decided(agreed, [1.0, 1.0], own_confidence=True)


answers = st.lists(
    st.tuples(st.sampled_from("ABCD"), st.floats(0.0, 1.0, allow_nan=False)), min_size=1, max_size=9
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(answers)
def test_majority_properties(votes: list[tuple[str, float]]) -> None:
    outcome = MajorityVote().vote(ballots(*votes))
    counts: Counter[object] = Counter(a for a, _ in votes)
    assert counts[outcome.answer] == max(counts.values())
    assert 0.0 < outcome.consensus <= 1.0
    assert outcome.consensus == pytest.approx(counts[outcome.answer] / len(votes))
    assert sum(t.count for t in outcome.tallies) == len(votes)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(answers, st.lists(st.sampled_from("ABCD"), max_size=4))
def test_decided_is_never_wrong(votes: list[tuple[str, float]], rest: list[str]) -> None:
    """When ``decided`` says the remaining members cannot change the winner, they cannot."""
    heard = ballots(*votes)
    method = MajorityVote()
    if method.decided(heard, remaining=[1.0] * len(rest)):
        everyone = ballots(*votes, *[(a, 1.0) for a in rest])
        assert method.vote(everyone).answer == method.vote(heard).answer


def shared_ballots(
    votes: Sequence[tuple[str, float | None]], weights: Sequence[float] | None = None
) -> list[Ballot]:
    """Ballots as an ensemble builds them: None confidence -> the vote share of that answer."""
    counts = Counter(a for a, _ in votes)
    return [
        Ballot(
            index=i,
            member=f"m{i}",
            answer=a,
            confidence=c if c is not None else counts[a] / len(votes),
            weight=1.0 if weights is None else weights[i],
            confidence_is_own=c is not None,
        )
        for i, (a, c) in enumerate(votes)
    ]


mixed = st.lists(
    st.tuples(st.sampled_from("ABC"), st.none() | st.sampled_from([0.1, 0.2, 0.3, 0.5, 0.9])),
    min_size=2,
    max_size=8,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=400)
@given(mixed)
def test_fast_decisiveness_equals_revoting(votes: list[tuple[str, float | None]]) -> None:
    """MajorityVote's and UnanimousVote's closed forms agree with the generic re-vote."""
    ballots_ = shared_ballots(votes)
    for method in (MajorityVote(), UnanimousVote()):
        outcome = method.vote(ballots_)
        assert method.decisive(ballots_, outcome) == VotingMethod.decisive(method, ballots_, outcome)


def test_decisive_members_example() -> None:
    votes = shared_ballots([("A", None), ("A", None), ("B", None)])
    outcome = MajorityVote().vote(votes)
    # without member 0 or 1 it is a 1-1 tie that the earlier member (A) still wins: nobody decisive
    assert MajorityVote().decisive(votes, outcome) == set()
    votes = shared_ballots([("B", None), ("A", None), ("A", None)])
    # without member 1 or 2, B (given first) wins the 1-1 tie
    assert MajorityVote().decisive(votes, MajorityVote().vote(votes)) == {1, 2}


# One member: (answer, weight, confidence); the answer None means it abstained, the confidence None
# means it states none (its ballot carries the vote share).
WEIGHTS = [0.25, 0.5, 1.0, 2.0]
STATED = st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0]) | st.floats(0.0, 1.0)


def members(confidence: st.SearchStrategy[float | None], *, abstain: bool) -> st.SearchStrategy[list[Any]]:
    answer: st.SearchStrategy[str | None] = st.sampled_from("AAABC")
    if abstain:
        answer = answer | st.none()
    return st.lists(st.tuples(answer, st.sampled_from(WEIGHTS), confidence), min_size=1, max_size=5)


def _ballots(people: Sequence[tuple[str | None, float, float | None]]) -> list[Ballot]:
    answered = [(a, w, c) for a, w, c in people if a is not None]
    made = shared_ballots([(a, c) for a, _, c in answered], [w for _, w, _ in answered])
    # keep the member index of each ballot (abstainers leave gaps), as the ensemble does
    indices = [i for i, (a, _, _) in enumerate(people) if a is not None]
    for ballot, index in zip(made, indices, strict=True):
        ballot.index = index
    return made


def _winner(method: VotingMethod, ballots_: list[Ballot]) -> object:
    outcome = method.vote(ballots_)
    return None if outcome.no_consensus else outcome.answer


def _methods() -> list[VotingMethod]:
    return [resolve_voting(name) for name in sorted(VOTING_NAMES)]


def test_every_method_with_decided_is_checked() -> None:
    implementing = {type(m) for m in _methods() if type(m).decided is not VotingMethod.decided}
    assert implementing == {MajorityVote, WeightedVote, BestConfidenceVote, UnanimousVote}


def check_decided(
    prefix: list[tuple[str | None, float, float | None]],
    rest: list[tuple[str | None, float, float | None]],
    *,
    own_confidence: bool,
) -> None:
    heard = _ballots(prefix)
    if not heard:
        return
    everyone = _ballots(prefix + rest)
    for method in _methods():
        if method.decided(heard, [w for _, w, _ in rest], own_confidence=own_confidence):
            assert _winner(method, everyone) == _winner(method, heard), method


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=600)
@given(members(st.none(), abstain=False), members(st.none(), abstain=True))
@example([("A", 1.0, None)], [("B", 0.4, None), ("B", 0.4, None)])  # the audit's weighted example
@example([("A", 2.0, None)], [("B", 1.0, None), ("B", 0.5, None)])
@example([("A", 1.0, None)], [("B", 1.0, None), ("B", 1.0, None)])  # best confidence: share 1.0
def test_decided_is_sound_with_vote_shares(prefix: list[Any], rest: list[Any]) -> None:
    """No member states a confidence: every ballot carries its (recomputed) vote share."""
    check_decided(prefix, rest, own_confidence=False)
    check_decided(prefix, rest, own_confidence=True)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=600)
@given(members(STATED, abstain=False), members(STATED, abstain=True))
def test_decided_is_sound_with_stated_confidences(prefix: list[Any], rest: list[Any]) -> None:
    check_decided(prefix, rest, own_confidence=True)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=600)
@given(members(st.none() | STATED, abstain=False), members(st.none() | STATED, abstain=True))
def test_decided_is_sound_with_mixed_confidences(prefix: list[Any], rest: list[Any]) -> None:
    """Some members state a confidence and others do not, before and after the stop."""
    check_decided(prefix, rest, own_confidence=True)
    if all(c is None for _, _, c in rest):
        check_decided(prefix, rest, own_confidence=False)
