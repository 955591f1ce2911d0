"""The in-process event bus every Crucible package emits on.

It plays the role of Erlang's ``:telemetry``: instrumented code calls :func:`emit` with a dotted
name, numeric ``measurements`` and descriptive ``metadata``; observers :func:`attach` a handler to
one or more name prefixes. With nothing attached, ``emit`` costs one truthiness check; with
handlers attached, the matching handlers for a name are resolved once and cached (one dict lookup
per event afterwards).

    >>> from crucible_core import events
    >>> seen = []
    >>> events.attach("doc", ["crucible.demo"], seen.append)
    >>> events.emit("crucible.demo.tick", {"value": 1.0}, {"model": "m"})
    >>> seen[0].name, seen[0].measurements
    ('crucible.demo.tick', {'value': 1.0})
    >>> events.detach("doc")

A handler that raises is logged (structlog) and detached; the caller never sees the exception.

The current experiment, run and condition travel in a :mod:`contextvars` variable, set with
:func:`experiment_context`. anyio/asyncio tasks copy the context when they start, so concurrent
experiments in one process never see each other's context.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any

from crucible_core.errors import ValidationError

__all__ = [
    "Event",
    "EventContext",
    "Handler",
    "Span",
    "attach",
    "attached_handlers",
    "current_context",
    "detach",
    "emit",
    "experiment_context",
    "span",
]


@dataclass(frozen=True, slots=True)
class EventContext:
    """Who an event belongs to: the experiment, run and condition in effect when it was emitted."""

    experiment_id: str | None = None
    experiment_name: str | None = None
    run_id: str | None = None
    condition: str | None = None
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment_id": self.experiment_id,
            "experiment_name": self.experiment_name,
            "run_id": self.run_id,
            "condition": self.condition,
            "tags": list(self.tags),
            **dict(self.extra),
        }


_EMPTY_CONTEXT = EventContext()
_context: contextvars.ContextVar[EventContext] = contextvars.ContextVar(
    "crucible_event_context", default=_EMPTY_CONTEXT
)


class Event:
    """One emitted event. ``time_ns`` is wall-clock Unix time, ``monotonic_ns`` a monotonic clock."""

    __slots__ = ("context", "measurements", "metadata", "monotonic_ns", "name", "time_ns")

    def __init__(
        self,
        name: str,
        measurements: dict[str, float],
        metadata: dict[str, Any],
        time_ns: int,
        monotonic_ns: int,
        context: EventContext,
    ) -> None:
        self.name = name
        self.measurements = measurements
        self.metadata = metadata
        self.time_ns = time_ns
        self.monotonic_ns = monotonic_ns
        self.context = context

    def __repr__(self) -> str:
        return f"Event({self.name!r}, measurements={self.measurements!r}, metadata={self.metadata!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measurements": dict(self.measurements),
            "metadata": dict(self.metadata),
            "time_ns": self.time_ns,
            "monotonic_ns": self.monotonic_ns,
            "context": self.context.to_dict(),
        }


Handler = Callable[[Event], object]


@dataclass(frozen=True, slots=True)
class _Attachment:
    handler_id: str
    prefixes: tuple[str, ...]
    fn: Handler

    def matches(self, name: str) -> bool:
        for prefix in self.prefixes:
            if prefix == "" or name == prefix or name.startswith(prefix + "."):
                return True
        return False


_lock = threading.Lock()
_attachments: dict[str, _Attachment] = {}
_cache: dict[str, tuple[_Attachment, ...]] = {}
_CACHE_LIMIT = 10_000


def _normalise_prefixes(prefixes: str | Iterable[str]) -> tuple[str, ...]:
    items = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    if not items:
        raise ValidationError(
            "prefixes is empty; pass at least one dotted prefix such as 'crucible.' or '' for all events",
            argument="prefixes",
        )
    out: list[str] = []
    for index, prefix in enumerate(items):
        if not isinstance(prefix, str):
            raise ValidationError(
                f"prefixes[{index}] must be a string such as 'crucible.ensemble'; got {prefix!r}",
                argument="prefixes",
                index=index,
            )
        out.append(prefix.rstrip("."))
    return tuple(out)


def attach(handler_id: str, prefixes: str | Iterable[str], fn: Handler) -> None:
    """Call ``fn(event)`` for every event whose dotted name starts with one of ``prefixes``.

    Prefixes match whole segments: ``"crucible.ensemble"`` matches ``"crucible.ensemble.vote"`` but not
    ``"crucible.ensembles"``. A trailing dot is ignored; ``""`` matches every event. ``handler_id`` must
    be unique; attaching twice raises :class:`~crucible_core.errors.ValidationError`.
    """
    if not isinstance(handler_id, str) or not handler_id:
        raise ValidationError(
            "handler_id must be a non-empty string", argument="handler_id", value=handler_id
        )
    if not callable(fn):
        raise ValidationError(f"fn must be callable; got {type(fn).__name__}", argument="fn")
    attachment = _Attachment(handler_id, _normalise_prefixes(prefixes), fn)
    with _lock:
        if handler_id in _attachments:
            raise ValidationError(
                f"a handler with id {handler_id!r} is already attached; detach it first or choose another id",
                argument="handler_id",
                value=handler_id,
            )
        _attachments[handler_id] = attachment
        _cache.clear()


def detach(handler_id: str) -> bool:
    """Detach the handler ``handler_id``. Returns False when no such handler was attached."""
    with _lock:
        removed = _attachments.pop(handler_id, None)
        _cache.clear()
    return removed is not None


def attached_handlers() -> list[tuple[str, tuple[str, ...]]]:
    """The ids and prefixes of the attached handlers, in attachment order."""
    with _lock:
        return [(a.handler_id, a.prefixes) for a in _attachments.values()]


def _resolve(name: str) -> tuple[_Attachment, ...]:
    # The cold path of ``emit`` (first event of a name): the place to check the name once.
    _check_name(name)
    with _lock:
        matched = tuple(a for a in _attachments.values() if a.matches(name))
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[name] = matched
    return matched


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise ValidationError(
            f"name must be a non-empty dotted event name such as 'crucible.model.request'; got {name!r}.",
            argument="name",
        )


def _handler_failed(attachment: _Attachment, event: Event, exc: BaseException) -> None:
    with _lock:
        if _attachments.get(attachment.handler_id) is attachment:
            del _attachments[attachment.handler_id]
            _cache.clear()
    from crucible_core.logging import get_logger

    get_logger("crucible_core.events").error(
        "event handler raised and was detached",
        handler_id=attachment.handler_id,
        event_name=event.name,
        error=f"{type(exc).__name__}: {exc}",
    )


def emit(
    name: str, measurements: dict[str, float] | None = None, metadata: dict[str, Any] | None = None
) -> None:
    """Emit the event ``name`` to every attached handler whose prefix matches.

    ``measurements`` are numbers (durations in ns, token counts, costs); ``metadata`` describes the
    event (model name, outcome, error kind). The current :class:`EventContext` is attached.
    """
    if not _attachments:
        return
    matched = _cache.get(name)
    if matched is None:
        matched = _resolve(name)
    if not matched:
        return
    event = Event(
        name,
        measurements if measurements is not None else {},
        metadata if metadata is not None else {},
        time.time_ns(),
        time.monotonic_ns(),
        _context.get(),
    )
    for attachment in matched:
        try:
            attachment.fn(event)
        except Exception as exc:  # a broken observer must never break the instrumented code
            _handler_failed(attachment, event, exc)


def current_context() -> EventContext:
    """The :class:`EventContext` in effect in this task or thread."""
    return _context.get()


@contextmanager
def experiment_context(
    *,
    experiment_id: str | None = None,
    experiment_name: str | None = None,
    run_id: str | None = None,
    condition: str | None = None,
    tags: Iterable[str] | None = None,
    **extra: Any,
) -> Iterator[EventContext]:
    """Set the experiment/run/condition for events emitted inside the block (nested blocks inherit
    and override field by field). Works across ``await``; tasks started inside inherit it."""
    for argument, value in (
        ("experiment_id", experiment_id),
        ("experiment_name", experiment_name),
        ("run_id", run_id),
        ("condition", condition),
    ):
        if value is not None and not isinstance(value, str):
            raise ValidationError(
                f"{argument} must be a string or None; got {type(value).__name__} {value!r}.",
                argument=argument,
            )
    if tags is not None:
        if not isinstance(tags, str):
            tags = tuple(tags)
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise ValidationError(
                f"tags must be an iterable of strings (a list, not one string); got {tags!r}.",
                argument="tags",
            )
    parent = _context.get()
    merged_extra = dict(parent.extra)
    merged_extra.update(extra)
    ctx = EventContext(
        experiment_id=experiment_id if experiment_id is not None else parent.experiment_id,
        experiment_name=experiment_name if experiment_name is not None else parent.experiment_name,
        run_id=run_id if run_id is not None else parent.run_id,
        condition=condition if condition is not None else parent.condition,
        tags=tuple(tags) if tags is not None else parent.tags,
        extra=MappingProxyType(merged_extra),
    )
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


class Span:
    """Emits ``<name>.start``, then ``<name>.stop`` with ``duration_ns`` or ``<name>.exception``.

    Use as ``with span(...)`` or ``async with span(...)``. ``set(**metadata)`` and
    ``measure(**measurements)`` add to what the closing event carries.
    """

    __slots__ = ("_start", "measurements", "metadata", "name")

    def __init__(self, name: str, metadata: dict[str, Any]) -> None:
        self.name = name
        self.metadata = metadata
        self.measurements: dict[str, float] = {}
        self._start = 0

    def set(self, **metadata: Any) -> None:
        self.metadata.update(metadata)

    def measure(self, **measurements: float) -> None:
        self.measurements.update(measurements)

    def __enter__(self) -> Span:
        self._start = time.monotonic_ns()
        emit(self.name + ".start", {"monotonic_time": float(self._start)}, dict(self.metadata))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        duration = time.monotonic_ns() - self._start
        measurements = {"duration_ns": float(duration), **self.measurements}
        if exc is None:
            emit(self.name + ".stop", measurements, dict(self.metadata))
        else:
            metadata = dict(self.metadata)
            metadata["kind"] = getattr(exc, "kind", "error")
            metadata["error_type"] = type(exc).__name__
            metadata["reason"] = str(exc)
            emit(self.name + ".exception", measurements, metadata)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def span(name: str, **metadata: Any) -> Span:
    """A :class:`Span` named ``name`` (sync and async context manager)."""
    _check_name(name)
    return Span(name, metadata)
