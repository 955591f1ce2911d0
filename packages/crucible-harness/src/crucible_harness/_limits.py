"""Rate limits (token buckets for requests/s and tokens/min), server cooldowns and retry delays."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import anyio

from crucible_core.errors import CrucibleError, RateLimitError
from crucible_harness._spec import Limits

__all__ = [
    "Cooldown",
    "RateLimits",
    "TokenBucket",
    "acquire_outside_timeout",
    "backoff_delay",
    "is_retryable",
    "retry_after_of",
    "task_timeout",
]

# the clock of the task attempt running in this context (see task_timeout)
_TASK_TIMEOUT: ContextVar[_AttemptClock | None] = ContextVar("crucible_harness_task_timeout", default=None)


class TokenBucket:
    """A token bucket: ``rate`` tokens per second up to ``capacity``; :meth:`acquire` waits in FIFO order.

    A request for more than ``capacity`` waits for a full bucket and leaves it in debt, so a large
    request is never starved. :meth:`adjust` settles the difference between an estimate taken before a
    call and the real usage after it (tokens/min limits are estimated up front, as providers count them).
    ``acquisitions`` counts the calls of :meth:`acquire`, ``acquired`` the tokens they took and
    ``adjusted`` the net of :meth:`adjust` (so ``acquired + adjusted`` is what was charged in the end).
    """

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = float(rate)
        self.capacity = max(float(capacity), 1.0)
        self.tokens = self.capacity
        self._updated = anyio.current_time()
        self._lock = anyio.Lock()
        self.waited_s = 0.0
        self.acquisitions = 0
        self.acquired = 0.0
        self.adjusted = 0.0

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self, amount: float = 1.0) -> None:
        async with self._lock:
            self._refill(anyio.current_time())
            need = min(amount, self.capacity)
            if self.tokens < need:
                wait = (need - self.tokens) / self.rate
                self.waited_s += wait
                await anyio.sleep(wait)
                self._refill(anyio.current_time())
            self.tokens -= amount
            self.acquisitions += 1
            self.acquired += amount

    def ready(self, amount: float) -> bool:
        """True when :meth:`acquire` of ``amount`` would not wait (no queue, enough tokens already)."""
        return not self._lock.locked() and self.tokens >= min(amount, self.capacity)

    def adjust(self, delta: float) -> None:
        """Take ``delta`` more tokens (negative gives some back)."""
        self.tokens = min(self.capacity, self.tokens - delta)
        self.adjusted += delta


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The run's two buckets (None: no such limit), shared by the scheduler and the condition models.

    ``requests`` (``limits.requests_per_second``; burst of one second, at least 1) is charged one token
    per model request, ``tokens`` (``limits.tokens_per_minute``; burst of one minute) the request's
    estimated tokens, settled to the reported usage afterwards. See :class:`~crucible_harness._adapters.
    RateLimitedModel` for declared models and :class:`~crucible_harness._scheduler.Scheduler` for function
    conditions without one.
    """

    requests: TokenBucket | None = None
    tokens: TokenBucket | None = None

    @classmethod
    def of(cls, limits: Limits) -> RateLimits:
        """The buckets of ``limits`` (call it inside the run's event loop)."""
        rps, tpm = limits.requests_per_second, limits.tokens_per_minute
        return cls(
            TokenBucket(rps, max(1.0, rps)) if rps else None,
            TokenBucket(tpm / 60.0, tpm) if tpm else None,
        )

    @property
    def active(self) -> bool:
        return self.requests is not None or self.tokens is not None


class Cooldown:
    """A pause shared by a condition's tasks after a server asked to wait (``Retry-After``)."""

    __slots__ = ("until",)

    def __init__(self) -> None:
        self.until = 0.0

    def extend(self, seconds: float) -> None:
        self.until = max(self.until, anyio.current_time() + seconds)

    async def wait(self) -> None:
        if self.until:
            remaining = self.until - anyio.current_time()
            if remaining > 0:
                await anyio.sleep(remaining)


def is_retryable(error: BaseException) -> bool:
    """True only for Crucible errors that declare ``retryable`` (network, timeout, rate limit)."""
    return isinstance(error, CrucibleError) and bool(error.retryable)


def retry_after_of(error: BaseException) -> float | None:
    """The server's ``Retry-After`` hint in seconds, if the error carries one."""
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        value = float(error.retry_after)
        return value if math.isfinite(value) and value >= 0 else None
    return None


def backoff_delay(limits: Limits, attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based).

    With a ``Retry-After`` hint: the hint, capped at ``backoff_max_s``. Otherwise "full jitter"
    (Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015):
    ``uniform(0, min(backoff_max_s, backoff_base_s * 2 ** (attempt - 1)))``, or the ceiling itself with
    ``jitter=False``.
    """
    if retry_after is not None:
        return min(retry_after, limits.backoff_max_s)
    ceiling = min(limits.backoff_max_s, limits.backoff_base_s * 2.0 ** (attempt - 1))
    return rng.uniform(0.0, ceiling) if limits.jitter else ceiling


class _AttemptClock:
    """The timeout of one task attempt, stopped while any of its requests waits for a rate limit."""

    __slots__ = ("left", "paused", "scope")

    def __init__(self, scope: anyio.CancelScope) -> None:
        self.scope = scope
        self.paused = 0
        self.left = 0.0

    def pause(self) -> None:
        if self.paused == 0:
            self.left = self.scope.deadline - anyio.current_time()
            self.scope.deadline = math.inf
        self.paused += 1

    def resume(self) -> None:
        self.paused -= 1
        if self.paused == 0:
            self.scope.deadline = anyio.current_time() + self.left


@contextmanager
def task_timeout(seconds: float) -> Iterator[anyio.CancelScope]:
    """``anyio.move_on_after(seconds)`` for one task attempt of a run with rate limits, whose clock stops
    while a request of the task waits for a bucket (:func:`acquire_outside_timeout`), so
    ``limits.timeout_s`` measures the task's own work, not its place in the rate-limit queue."""
    with anyio.move_on_after(seconds) as scope:
        token = _TASK_TIMEOUT.set(_AttemptClock(scope))
        try:
            yield scope
        finally:
            _TASK_TIMEOUT.reset(token)


async def acquire_outside_timeout(bucket: TokenBucket, amount: float) -> None:
    """``bucket.acquire(amount)`` with the current task attempt's timeout stopped while it waits (while
    several requests of the task wait at once, e.g. ensemble members, the clock stops once)."""
    clock = _TASK_TIMEOUT.get()
    if clock is None or bucket.ready(amount):
        await bucket.acquire(amount)
        return
    clock.pause()
    try:
        await bucket.acquire(amount)
    finally:
        clock.resume()
