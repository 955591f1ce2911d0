"""Thin :class:`~crucible_core.models.Model` adapters the harness puts around declared models.

* :class:`RateLimitedModel` charges the run's rate limits per request: every ``generate`` call takes one
  token of the requests/s bucket and the request's estimated tokens of the tokens/min bucket (settled to
  the usage the server reports once it answers). Hedged backups, ensemble member calls and retries
  all go through ``generate``, so each is charged as the request it is. Time spent waiting for a bucket
  does not count toward the task's ``limits.timeout_s`` (:func:`~crucible_harness._limits.task_timeout`).
* :class:`HedgedModel` sends each ``generate`` call through a crucible-hedging ``Hedger`` and records
  what the hedger did in ``Completion.raw`` (``hedged``, ``hedge_attempts``, ``hedge_winner``).

Both forward every other attribute (``aclose``, ``max_retries``, ``pricing``...) to the wrapped model.
They are only built when a condition needs them, so a plain model condition without rate limits or
hedging calls its model directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crucible_core.models import Completion, GenerationParams, Message, Model, approximate_tokens
from crucible_harness._limits import RateLimits, acquire_outside_timeout

__all__ = ["HEDGE_KEYS", "HedgedModel", "RateLimitedModel", "prompt_tokens"]

HEDGE_KEYS = ("hedged", "hedge_attempts", "hedge_winner")


def prompt_tokens(prompt: str | Sequence[Message]) -> int:
    """The approximate token count of a prompt (whitespace words, as crucible-core counts them)."""
    if isinstance(prompt, str):
        return approximate_tokens(prompt)
    return sum(approximate_tokens(m.content) for m in prompt)


class _Adapter:
    __slots__ = ("model",)

    def __init__(self, model: Model) -> None:
        self.model = model

    @property
    def name(self) -> str:
        return self.model.name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(object.__getattribute__(self, "model"), attribute)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model!r})"


class RateLimitedModel(_Adapter):
    """``model`` whose every request is charged to ``limits`` (see the module docstring).

    The tokens/min estimate of a request is its prompt's approximate tokens plus ``params.max_tokens``
    (else ``completion_tokens``, the budget's ``expected_completion_tokens``); a request that fails keeps
    its estimate charged (a provider counts the tokens of a request it rejected late, too).
    """

    __slots__ = ("_completion_tokens", "_requests", "_tokens")

    def __init__(self, model: Model, limits: RateLimits, *, completion_tokens: int) -> None:
        super().__init__(model)
        self._requests = limits.requests
        self._tokens = limits.tokens
        self._completion_tokens = completion_tokens

    async def generate(
        self, prompt: str | list[Message], *, params: GenerationParams | None = None
    ) -> Completion:
        if self._requests is not None:
            await acquire_outside_timeout(self._requests, 1.0)
        bucket = self._tokens
        if bucket is None:
            return await self.model.generate(prompt, params=params)
        completion_tokens = params.max_tokens if params is not None and params.max_tokens else None
        estimate = float(prompt_tokens(prompt) + (completion_tokens or self._completion_tokens))
        await acquire_outside_timeout(bucket, estimate)
        completion = await self.model.generate(prompt, params=params)
        bucket.adjust(completion.usage.prompt_tokens + completion.usage.completion_tokens - estimate)
        return completion


class HedgedModel(_Adapter):
    """``model`` whose every request goes through ``hedger`` (a crucible-hedging ``Hedger``)."""

    __slots__ = ("hedger",)

    def __init__(self, model: Model, hedger: Any) -> None:
        super().__init__(model)
        self.hedger = hedger

    async def generate(
        self, prompt: str | list[Message], *, params: GenerationParams | None = None
    ) -> Completion:
        model = self.model
        result = await self.hedger.call(lambda: model.generate(prompt, params=params))
        completion: Completion = result.value
        hedge = {"hedge_attempts": result.attempts, "hedged": result.hedged, "hedge_winner": result.winner}
        return completion.model_copy(update={"raw": {**completion.raw, **hedge}})
