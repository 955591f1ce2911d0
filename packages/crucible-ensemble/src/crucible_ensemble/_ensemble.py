"""The :class:`Ensemble`: query members, normalise their answers, vote."""

from __future__ import annotations

import inspect
import math
import string
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal

from crucible_core.answers import Choices, choice_normalizer, extract_options
from crucible_core.errors import ValidationError
from crucible_core.ids import new_id
from crucible_core.models import GenerationParams, Message, Model
from crucible_ensemble import _events
from crucible_ensemble._batch import Progress, run_batch
from crucible_ensemble._confidence import wants_verbalized
from crucible_ensemble._config import (
    VotingLike,
    check_fraction,
    hedgers_for,
    member_params,
    resolve_members,
    resolve_normalizer,
    resolve_voting,
)
from crucible_ensemble._errors import EnsembleError, NoConsensus
from crucible_ensemble._execution import Execution, Run, Stop, cascade, deadline_after, parallel, sequential
from crucible_ensemble._member import Member
from crucible_ensemble._process import (
    ConfidenceMode,
    Reader,
    Reply,
    decisive_members,
    make_ballots,
    responses,
)
from crucible_ensemble._process import votes as public_votes
from crucible_ensemble._prompts import as_prompt, prompt_text
from crucible_ensemble._results import ErrorInfo, MemberResponse, PredictionResult
from crucible_ensemble._trace import build_chain, load_trace
from crucible_hedging import Hedger

__all__ = ["Ensemble"]

PromptLike = str | Sequence[Message | Mapping[str, Any]]
_EXECUTIONS = ("parallel", "sequential", "hedged", "cascade")
_MODES = ("auto", "logprobs", "verbalized", "vote_share")


class Ensemble:
    """Several models (or samples of one) answer; their normalised answers are put to a vote.

    ``voting``: ``majority`` | ``weighted`` | ``best_confidence`` | ``unanimous`` | ``ranked`` (=
    ``instant_runoff``) | ``borda`` | ``semantic``, a :class:`VotingMethod` (``SemanticVote(model=...)``,
    ``RankedVote("borda")``...) or a callable ``fn(ballots) -> answer``. ``execution``: ``parallel``
    (all at once), ``sequential`` (in order, stopping once the rest cannot change the winner or
    ``min_consensus`` is reached), ``hedged`` (parallel, each call through a crucible-hedging
    ``Hedger``; members need ``max_retries=0``), ``cascade`` (cheapest first — by ``Member.cost`` when
    given, else list order — stopping once the winner's confidence is at least ``cascade_threshold``).
    ``normalizer``: a crucible-core normaliser name or a callable ``text -> answer | None``;
    ``multiple_choice`` reads the options from each prompt (or ``predict(prompt, choices=...)``) so
    that an answer giving an option's text votes for its letter.

    ``min_responses`` readable answers are needed, else :class:`EnsembleError` lists each member's
    cause. ``min_consensus`` turns a weaker win into :class:`NoConsensus` (or ``answer=None`` with
    ``on_no_consensus="none"``). ``timeout`` bounds each prediction (seconds; None = unbounded).
    ``confidence``: ``auto`` (token log-probabilities, else a verbalised confidence when the prompt
    asks for one, else the vote share), ``logprobs``, ``verbalized`` or ``vote_share``.
    ``logprobs=True`` asks the members for log-probabilities (turn it off for endpoints that reject
    them). ``trace=True`` attaches a crucible-trace chain of each vote (``crucible-ensemble[trace]``).
    The ensemble itself never retries a call.
    """

    def __init__(
        self,
        members: Sequence[Member | Model],
        *,
        voting: VotingLike = "majority",
        execution: Execution = "parallel",
        normalizer: str | Callable[[str], Hashable | None] = "text",
        min_responses: int = 1,
        min_consensus: float | None = None,
        on_no_consensus: Literal["raise", "none"] = "raise",
        timeout: float | None = 30.0,
        confidence: ConfidenceMode = "auto",
        cascade_threshold: float = 0.8,
        params: GenerationParams | None = None,
        logprobs: bool = True,
        top_logprobs: int | None = None,
        hedger: Hedger | Callable[[Member], Hedger] | None = None,
        trace: bool = False,
        name: str = "ensemble",
    ) -> None:
        self.members = resolve_members(members)
        self.voting = resolve_voting(voting)
        if execution not in _EXECUTIONS:
            raise ValidationError(
                f"execution must be one of {', '.join(_EXECUTIONS)}; got {execution!r}",
                argument="execution",
                value=repr(execution),
            )
        self.execution: Execution = execution
        self._normalize, self.normalizer = resolve_normalizer(normalizer)
        n = len(self.members)
        if (
            isinstance(min_responses, bool)
            or not isinstance(min_responses, int)
            or not 1 <= min_responses <= n
        ):
            raise ValidationError(
                f"min_responses must be an int from 1 to the number of members ({n}); got {min_responses!r}",
                argument="min_responses",
                value=repr(min_responses),
            )
        self.min_responses = min_responses
        self.min_consensus = check_fraction("min_consensus", min_consensus, allow_none=True)
        if on_no_consensus not in ("raise", "none"):
            raise ValidationError(
                f"on_no_consensus must be 'raise' or 'none'; got {on_no_consensus!r}",
                argument="on_no_consensus",
            )
        self.on_no_consensus = on_no_consensus
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
        ):
            raise ValidationError(
                f"timeout must be seconds > 0 or None; got {timeout!r}",
                argument="timeout",
                value=repr(timeout),
            )
        self.timeout = None if timeout is None or math.isinf(timeout) else float(timeout)
        if confidence not in _MODES:
            raise ValidationError(
                f"confidence must be one of {', '.join(_MODES)}; got {confidence!r}", argument="confidence"
            )
        self.confidence: ConfidenceMode = confidence
        self.cascade_threshold = check_fraction("cascade_threshold", cascade_threshold) or 0.8
        if params is not None and not isinstance(params, GenerationParams):
            raise ValidationError(
                f"params must be a GenerationParams or None; got {type(params).__name__}", argument="params"
            )
        ask_logprobs = bool(logprobs) and (confidence in ("auto", "logprobs") or self.voting.needs_ranking)
        top = top_logprobs if top_logprobs is not None else (5 if self.voting.needs_ranking else None)
        self._params = tuple(
            member_params(m, params, logprobs=ask_logprobs, top_logprobs=top) for m in self.members
        )
        self._hedgers = hedgers_for(self.members, hedger) if execution == "hedged" else None
        self._trace = load_trace() if trace else None
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"name must be a non-empty string; got {name!r}", argument="name")
        self.name = name
        self._order = self._cascade_order() if execution == "cascade" else tuple(range(n))
        self._cost_sum = [0.0] * n
        self._cost_n = [0] * n

    def __repr__(self) -> str:
        names = ", ".join(m.label for m in self.members)
        return f"Ensemble([{names}], voting={self.voting!r}, execution={self.execution!r})"

    @property
    def hedgers(self) -> tuple[Hedger, ...] | None:
        """The per-member hedgers of ``execution="hedged"`` (their ``stats()`` show the hedging)."""
        return self._hedgers

    def _cascade_order(self) -> tuple[int, ...]:
        costs = [m.cost for m in self.members]
        if all(c is None for c in costs):
            return tuple(range(len(self.members)))
        return tuple(sorted(range(len(costs)), key=lambda i: (costs[i] is None, costs[i] or 0.0, i)))

    async def aclose(self) -> None:
        """Close every member model that has ``aclose`` (HTTP clients release their connections)."""
        seen: set[int] = set()
        for member in self.members:
            closer: Any = getattr(member.model, "aclose", None)
            if id(member.model) not in seen and callable(closer):
                seen.add(id(member.model))
                outcome = closer()
                if inspect.isawaitable(outcome):
                    await outcome

    async def __aenter__(self) -> Ensemble:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- one prediction ----------------------------------------------------------------------------
    async def predict(self, prompt: PromptLike, *, choices: Choices | None = None) -> PredictionResult:
        """Ask the members (per ``execution``), normalise, vote; see the class docstring.

        With ``normalizer="multiple_choice"`` the question's options are read from the prompt (``"A)
        Mars B) Jupiter"``, ``"(A) Mars"``, ``"A. Mars"`` one per line...; see
        :func:`~crucible_core.answers.extract_options`), so a member answering ``"Jupiter"`` votes
        ``"B"``, and letters past D count when the prompt has them. ``choices`` gives the options
        instead: their texts in letter order, or ``{letter: text}``.
        """
        normalised = as_prompt(prompt)
        normalize = self._normalizer_for(normalised, choices)
        prediction_id = new_id("pred")
        base: dict[str, Any] | None = None
        if _events.listening():
            base = {
                "ensemble": self.name,
                "prediction_id": prediction_id,
                "strategy": self.voting.name,
                "execution": self.execution,
            }
            _events.emit_start(base, [m.label for m in self.members])
        start = time.perf_counter_ns()
        try:
            result = await self._predict(normalised, normalize, prediction_id, base, start)
        except BaseException as exc:
            if base is not None:
                _events.emit_exception(base, exc, time.perf_counter_ns() - start)
            raise
        if base is not None:
            _events.emit_stop(base, result, time.perf_counter_ns() - start)
        return result

    def _normalizer_for(
        self, prompt: str | list[Message], choices: Choices | None
    ) -> Callable[[str], Hashable | None]:
        """The normaliser of one prediction: ``multiple_choice`` bound to the question's options."""
        if self.normalizer != "multiple_choice":
            if choices is not None:
                raise ValidationError(
                    f"choices= applies to normalizer='multiple_choice'; this ensemble's normalizer is "
                    f"{self.normalizer!r}",
                    argument="choices",
                )
            return self._normalize
        if choices is not None:
            try:
                return choice_normalizer(choices)
            except ValidationError as exc:
                raise ValidationError(str(exc), argument="choices") from None
        options = extract_options(prompt_text(prompt))
        if not options:
            return self._normalize
        # options read from a prompt may be a false reading of its prose: never fewer letters than A-D
        letters = string.ascii_uppercase[: max(4, len(options))]
        return choice_normalizer(list(options.values()), letters=letters)

    async def _predict(
        self,
        prompt: str | list[Message],
        normalize: Callable[[str], Hashable | None],
        prediction_id: str,
        base: dict[str, Any] | None,
        start: int,
    ) -> PredictionResult:
        text = prompt_text(prompt)
        reader = Reader(normalize, self.confidence, wants_verbalized(text), self.voting.needs_ranking)
        replies = [Reply(i, m) for i, m in enumerate(self.members)]
        run = Run(prompt, self._params, reader, replies, self._hedgers, deadline_after(self.timeout))
        if self.execution == "sequential":
            stop = await sequential(run, self._order, self.voting, self.min_responses, self.min_consensus)
        elif self.execution == "cascade":
            stop = await cascade(run, self._order, self.voting, self.min_responses, self.cascade_threshold)
        else:
            stop = await parallel(run, self._order)
        self._learn_costs(replies)
        ballots = make_ballots(replies)
        if len(ballots) < self.min_responses:
            records, _ = responses(replies, None, set())
            causes = [f"[{r.index}] {r.member}: {r.cause()}" for r in records]
            raise EnsembleError(
                f"ensemble {self.name!r}: {len(ballots)} readable answer(s), min_responses={self.min_responses}. "
                f"Members: " + "; ".join(causes) + ". Check the failing endpoints, raise timeout=, or lower "
                "min_responses.",
                responses=records,
                causes=causes,
                answered=len(ballots),
                min_responses=self.min_responses,
                prediction_id=prediction_id,
            )
        vote_start = time.perf_counter_ns()
        outcome = self.voting.vote(ballots)
        decisive = decisive_members(self.voting, ballots, outcome)
        vote_ns = time.perf_counter_ns() - vote_start
        weak = self.min_consensus is not None and outcome.consensus < self.min_consensus
        no_consensus = outcome.no_consensus or weak or outcome.answer is None
        records, confidence = responses(replies, outcome, decisive)
        details = dict(outcome.details)
        if no_consensus and outcome.tallies:
            details["leader"] = outcome.tallies[0].answer
        if stop.early:
            details["stop_reason"] = stop.reason
        result = self._result(
            prediction_id,
            records,
            start,
            stop,
            details,
            answer=None if no_consensus else outcome.answer,
            confidence=None if no_consensus else confidence,
            consensus=outcome.consensus,
            votes=public_votes(outcome),
            no_consensus=no_consensus,
        )
        if self._trace is not None:
            result = result.model_copy(update={"trace": build_chain(self._trace, result, self.name)})
        if base is not None:
            _events.emit_vote(base, result, vote_ns)
        if no_consensus and self.on_no_consensus == "raise":
            why = (
                f"the winner's share {outcome.consensus:.2f} is below min_consensus={self.min_consensus:g}"
                if weak and not outcome.no_consensus
                else f"the members disagree under {self.voting.name!r} voting"
            )
            raise NoConsensus(
                f"ensemble {self.name!r}: no consensus — {why}. Votes: "
                + ", ".join(f"{v.answer!r} x{v.count}" for v in result.votes)
                + ". Use on_no_consensus='none' to get answer=None instead.",
                result=result,
                consensus=outcome.consensus,
                prediction_id=prediction_id,
            )
        return result

    def _result(
        self,
        prediction_id: str,
        records: tuple[MemberResponse, ...],
        start: int,
        stop: Stop,
        details: dict[str, Any],
        **fields: Any,
    ) -> PredictionResult:
        called = [r for r in records if r.status != "skipped"]
        skipped = [r for r in records if r.status == "skipped"]
        saved: float | None = None
        if stop.early:
            estimates = [self._cost_estimate(r.index) for r in skipped]
            saved = None if any(e is None for e in estimates) else sum(e or 0.0 for e in estimates)
        return PredictionResult(
            id=prediction_id,
            responses=records,
            strategy=self.voting.name,
            execution=self.execution,
            normalizer=self.normalizer,
            cost_usd=sum(r.cost_usd for r in called),
            cost_known=all(r.cost_known for r in called),
            prompt_tokens=sum(r.prompt_tokens for r in called),
            completion_tokens=sum(r.completion_tokens for r in called),
            latency_s=(time.perf_counter_ns() - start) / 1e9,
            calls=len(called),
            skipped=len(skipped),
            stopped_early=stop.early,
            saved_cost_usd=saved,
            simulated=any(r.simulated for r in records),
            details=details,
            **fields,
        )

    def _learn_costs(self, replies: Sequence[Reply]) -> None:
        for r in replies:
            c = r.completion
            if c is not None and c.cost_known:
                self._cost_sum[r.index] += c.cost_usd
                self._cost_n[r.index] += 1

    def _cost_estimate(self, index: int) -> float | None:
        """USD per call of member ``index``: its declared ``cost``, else the mean observed so far."""
        declared = self.members[index].cost
        if declared is not None:
            return declared
        n = self._cost_n[index]
        return self._cost_sum[index] / n if n else None

    # -- batches -----------------------------------------------------------------------------------
    async def predict_many(
        self,
        prompts: Iterable[PromptLike],
        *,
        concurrency: int = 64,
        progress: Progress | None = None,
        errors: Literal["record", "raise"] = "record",
    ) -> list[PredictionResult]:
        """Predict every prompt, ``concurrency`` predictions at a time; results in input order.

        ``progress(done, total)`` (sync or async) is called after each prediction. With
        ``errors="record"`` (default) a prediction that raises :class:`EnsembleError` or
        :class:`NoConsensus` becomes a result with ``answer=None`` and ``error`` set (its member
        responses kept), so one bad item never loses the batch; ``errors="raise"`` re-raises it.
        """
        items = [as_prompt(p, argument=f"prompts[{i}]") for i, p in enumerate(prompts)]
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError(
                f"concurrency must be an int >= 1; got {concurrency!r}", argument="concurrency"
            )
        if errors not in ("record", "raise"):
            raise ValidationError(f"errors must be 'record' or 'raise'; got {errors!r}", argument="errors")
        if progress is not None and not callable(progress):
            raise ValidationError("progress must be a callable(done, total)", argument="progress")
        return await run_batch(self.predict, self._failed, items, concurrency, progress, errors)

    def _failed(self, exc: EnsembleError, started: int) -> PredictionResult:
        prediction_id = str(exc.details.get("prediction_id") or new_id("pred"))
        result = self._result(prediction_id, exc.responses, started, Stop(), {})
        return result.model_copy(update={"error": ErrorInfo.from_exception(exc)})
