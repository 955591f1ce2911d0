"""Public result records of one prediction: per-member responses, the tally, and the prediction."""

from __future__ import annotations

import math
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from crucible_core.errors import CrucibleError
from crucible_core.redaction import redact, redact_text

__all__ = ["ConfidenceSource", "ErrorInfo", "MemberResponse", "PredictionResult", "ResponseStatus", "Vote"]

ResponseStatus = Literal["answered", "abstained", "failed", "timeout", "skipped"]
ConfidenceSource = Literal["logprobs", "verbalized", "vote_share"]


def json_answer(value: Any) -> Any:
    """An answer as a JSON value: str/bool/int/float/None as they are, anything else as its repr."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    return repr(value)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the fields."""
        return self.model_dump(mode="json")


class ErrorInfo(_Record):
    """Why a member (or a prediction) failed: the exception type, Crucible's ``kind`` and the message
    (redacted: a key echoed by a server never reaches a result)."""

    type: str
    kind: str
    message: str
    status_code: int | None = None

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        status = exc.details.get("status_code") if isinstance(exc, CrucibleError) else None
        message = str(exc) or type(exc).__name__
        return cls(
            type=type(exc).__name__,
            kind=getattr(exc, "kind", "error"),
            message=redact_text(message)[:2000],
            status_code=status if isinstance(status, int) else None,
        )

    def summary(self) -> str:
        return f"{self.type}: {self.message}"


class MemberResponse(_Record):
    """What one member did for one prediction.

    ``status``: ``answered`` (the normaliser read an answer), ``abstained`` (it answered, but the text
    held no readable answer: malformed output is recorded and counted, never fatal), ``failed`` (the
    call raised; see ``error``), ``timeout`` (no answer within the member's or the ensemble's time
    limit) or ``skipped`` (not called: a sequential or cascade run stopped early, or the deadline had
    passed; see ``note``). ``confidence_source`` says where ``confidence`` came from: ``logprobs``
    (token log-probabilities of the answer), ``verbalized`` (a stated "Confidence: 0.8") or
    ``vote_share`` (the share of members that gave the same answer). ``attempts`` counts HTTP
    requests (client retries, or hedged attempts). ``cost_usd`` and the token counts are those of
    the member's completion plus, in ``hedged`` execution, of every losing attempt that completed
    anyway; an attempt cancelled in flight returned no usage, so whatever the provider bills for it
    is unknown and not included (compare ``attempts``). ``decisive`` is True when leaving this
    member's vote out would have changed the ensemble's answer.
    """

    index: int
    member: str
    status: ResponseStatus
    text: str | None = None
    answer: Any = None
    ranking: tuple[Any, ...] | None = None
    confidence: float | None = None
    confidence_source: ConfidenceSource | None = None
    latency_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    attempts: int = 0
    model: str | None = None
    simulated: bool = False
    decisive: bool = False
    error: ErrorInfo | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True when the member gave a readable answer."""
        return self.status == "answered"

    def cause(self) -> str:
        """Why this member has no answer (or ``"answered"``), for error messages."""
        if self.status == "answered":
            return "answered"
        if self.status == "abstained":
            text = (self.text or "").strip().replace("\n", " ")
            return f"abstained: no answer could be read from {text[:80]!r}"
        if self.error is not None:
            return f"{self.status}: {self.error.summary()}"
        return f"{self.status}: {self.note or 'no response'}"

    def summary(self) -> str:
        if self.status != "answered":
            return f"[{self.index}] {self.member}: {self.cause()}"
        conf = "n/a" if self.confidence is None else f"{self.confidence:.2f} ({self.confidence_source})"
        latency = "n/a" if self.latency_s is None else f"{self.latency_s:.3f} s"
        return f"[{self.index}] {self.member}: {self.answer!r} confidence {conf}, {latency}"

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["answer"] = json_answer(self.answer)
        data["ranking"] = None if self.ranking is None else [json_answer(a) for a in self.ranking]
        return data


class Vote(_Record):
    """One candidate answer in the tally: who voted for it, how many, its score and share.

    ``score`` is what the voting method ranks by (count, summed weight x confidence, best confidence,
    Borda points...); ``share`` is the candidate's share of the total score. ``variants`` lists other
    answers merged into this one by semantic clustering.
    """

    answer: Any
    count: int
    score: float
    share: float
    members: tuple[int, ...]
    variants: tuple[Any, ...] = ()

    def summary(self) -> str:
        return f"{self.answer!r}: {self.count} vote(s), score {self.score:.3g}, share {self.share:.0%}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": json_answer(self.answer),
            "count": self.count,
            "score": self.score,
            "share": self.share,
            "members": list(self.members),
            "variants": [json_answer(v) for v in self.variants],
        }


class PredictionResult(_Record):
    """The ensemble's answer to one prompt, with everything behind it.

    ``answer`` is the winner (None when no member answered usefully, or on no consensus with
    ``on_no_consensus="none"``); ``consensus`` the winner's share (see the voting method);
    ``confidence`` the mean confidence of the members that voted for the winner. ``cost_usd`` and
    the token counts add up every member called; ``latency_s`` is the prediction's wall time.
    ``calls`` counts members called, ``skipped`` members not called (``stopped_early``), and
    ``saved_cost_usd`` estimates what the skipped calls would have cost (None when unknown).
    ``error`` is set only for a failed prediction recorded by ``predict_many(errors="record")``.
    ``trace`` is a crucible-trace ``Chain`` of the vote when the ensemble was built with ``trace=True``.
    ``simulated`` is True when any member was a simulator (``SimulatedModel``): such results are not
    measurements of a real model.
    """

    id: str
    answer: Any = None
    confidence: float | None = None
    consensus: float = 0.0
    votes: tuple[Vote, ...] = ()
    responses: tuple[MemberResponse, ...] = ()
    strategy: str
    execution: str
    normalizer: str
    cost_usd: float = 0.0
    cost_known: bool = True
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    calls: int = 0
    skipped: int = 0
    stopped_early: bool = False
    saved_cost_usd: float | None = None
    no_consensus: bool = False
    simulated: bool = False
    details: dict[str, Any] = {}
    error: ErrorInfo | None = None
    trace: Any = None

    @property
    def answered(self) -> int:
        """How many members gave a readable answer."""
        return sum(1 for r in self.responses if r.status == "answered")

    @property
    def failed(self) -> int:
        """How many members failed or timed out."""
        return sum(1 for r in self.responses if r.status in ("failed", "timeout"))

    @property
    def abstained(self) -> int:
        """How many members answered without a readable answer (malformed output)."""
        return sum(1 for r in self.responses if r.status == "abstained")

    def summary(self) -> str:
        """A few lines: answer, consensus, confidence, cost, latency, then one line per member."""
        head = "FAILED: " + self.error.summary() if self.error is not None else f"answer {self.answer!r}"
        conf = "n/a" if self.confidence is None else f"{self.confidence:.2f}"
        cost = f"${self.cost_usd:.6f}" + ("" if self.cost_known else " (partly unpriced)")
        early = ""
        if self.stopped_early:
            saved = "" if self.saved_cost_usd is None else f", saved ~${self.saved_cost_usd:.6f}"
            early = f"; stopped early ({self.skipped} skipped{saved})"
        label = " [SIMULATED]" if self.simulated else ""
        lines = [
            f"{head}{label} — {self.strategy}/{self.execution}, consensus {self.consensus:.0%}, "
            f"confidence {conf}, {self.calls} call(s), {cost}, {self.latency_s:.3f} s{early}"
        ]
        lines += ["  " + r.summary() for r in self.responses]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            name: getattr(self, name)
            for name in (
                "id", "confidence", "consensus", "strategy", "execution", "normalizer", "cost_usd",
                "cost_known", "prompt_tokens", "completion_tokens", "latency_s", "calls", "skipped",
                "stopped_early", "saved_cost_usd", "no_consensus", "simulated",
            )
        }  # fmt: skip
        data["answer"] = json_answer(self.answer)
        data["votes"] = [v.to_dict() for v in self.votes]
        data["responses"] = [r.to_dict() for r in self.responses]
        data["details"] = redact(_jsonable(self.details))
        data["error"] = None if self.error is None else self.error.to_dict()
        data["trace"] = None if self.trace is None else self.trace.model_dump(mode="json")
        return data

    def to_frame(self) -> pl.DataFrame:
        """One row per member: status, answer, confidence, latency, tokens, cost, decisive, error."""
        rows = []
        for r in self.responses:
            rows.append(
                {
                    "prediction_id": self.id,
                    "index": r.index,
                    "member": r.member,
                    "status": r.status,
                    "answer": None if r.answer is None else str(r.answer),
                    "won": r.status == "answered" and self.answer is not None and r.answer == self.answer,
                    "confidence": r.confidence,
                    "confidence_source": r.confidence_source,
                    "latency_s": r.latency_s,
                    "prompt_tokens": r.prompt_tokens,
                    "completion_tokens": r.completion_tokens,
                    "cost_usd": r.cost_usd,
                    "attempts": r.attempts,
                    "decisive": r.decisive,
                    "error": None if r.error is None else r.error.summary(),
                }
            )
        return pl.DataFrame(rows, infer_schema_length=None)

    def _repr_markdown_(self) -> str:
        lines = [
            f"**Ensemble answer** `{self.answer!r}` — consensus {self.consensus:.0%}, "
            f"{self.strategy}/{self.execution}",
            "",
            "| # | member | status | answer | confidence | latency (s) |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.responses:
            conf = "" if r.confidence is None else f"{r.confidence:.2f}"
            latency = "" if r.latency_s is None else f"{r.latency_s:.3f}"
            answer = "" if r.answer is None else f"`{r.answer!r}`"
            lines.append(f"| {r.index} | {r.member} | {r.status} | {answer} | {conf} | {latency} |")
        return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return json_answer(value)
