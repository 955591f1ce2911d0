"""Turn pydantic validation failures into Crucible errors that name the field and the fix."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict

from crucible_core.errors import ValidationError
from crucible_core.redaction import redact_text

__all__ = ["Spec", "choices_fix", "field_path", "invalid", "register_choices"]

# What to do about a bad value, by field name (the last part of the field's path). Fields typed with a
# ``Literal`` (or a tuple of one) get their hint from the type itself (:func:`register_choices`), and
# fields checked against a tuple of names from that tuple (:func:`choices_fix`), so no hint can list
# values that no longer exist or miss new ones.
FIXES: dict[str, str] = {
    "name": "use a non-empty name of letters, digits, '-', '_', '.' or spaces",
    "conditions": "declare at least one condition with a unique name, e.g. Condition('baseline', fn=...)",
    "repeats": "pass an integer >= 1 (samples per item per condition)",
    "seed": "pass an integer seed, e.g. seed=0",
    "concurrency": "pass an integer >= 1, e.g. concurrency=16",
    "per_condition": "pass an integer >= 1 or leave it unset",
    "requests_per_second": "pass a number > 0 or leave it unset for no limit",
    "tokens_per_minute": "pass a number > 0 or leave it unset for no limit",
    "timeout_s": "pass seconds > 0, e.g. timeout_s=60, or None for no per-task timeout",
    "max_retries": "pass an integer >= 0 (0 disables retries)",
    "backoff_base_s": "pass seconds >= 0, e.g. 0.5",
    "backoff_max_s": "pass seconds >= backoff_base_s, e.g. 30",
    "total_usd": "pass a cost in USD > 0, or leave it unset for no budget",
    "per_condition_usd": "map condition names to USD > 0, e.g. {'baseline': 5.0}",
    "warn_at": "pass a fraction in (0, 1], e.g. 0.8 to warn at 80 % of the budget",
    "alpha": "pass a significance level in (0, 1), e.g. 0.05",
    "confidence": "pass a confidence level in (0, 1), e.g. 0.95",
    "sample_size": "pass an integer >= 1 no larger than the dataset",
    "items": "pass a list of Item, dicts with 'id'/'input'/'expected', or strings",
    "model": "pass ModelSpec(...), a dict of its fields, a model name string or a Model instance",
    "fn": "pass an async function (item, ctx) -> Outcome, or a registered name / 'module:function'",
    "metrics": "use crucible-datasets metric names (exact_match, f1, gsm8k_answer, multiple_choice, ...), "
    "Metric instances or callables (prediction, item) -> float",
    "base_url": "pass a URL starting with http:// or https://, e.g. 'http://127.0.0.1:8000/v1'",
    "attacks": "use attack names from crucible_adversary.list_attacks() or AttackSpec(...)",
    "members": "declare at least two member models",
    "max_attempts": "pass an integer from 1 to 5",
    "percentile": "pass a percentile in (0, 100), e.g. 95",
    "directory": "pass a directory path, e.g. 'runs'",
}


_DERIVED: set[str] = set()  # the field names whose fix register_choices derived


def choices_fix(values: Sequence[str]) -> str:
    """``use one of 'a', 'b' or 'c'`` for the allowed ``values``."""
    shown = [repr(v) for v in values]
    return "use " + (shown[0] if len(shown) == 1 else f"one of {', '.join(shown[:-1])} or {shown[-1]}")


def _literal_values(annotation: Any) -> tuple[str, ...] | None:
    """The values of ``Literal[...]``, ``tuple[Literal[...], ...]`` or ``Literal[...] | None``."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return tuple(str(v) for v in typing.get_args(annotation))
    if origin in (tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _literal_values(arg) if arg is not Ellipsis else None
            if found is not None:
                return found
    return None


def register_choices(*specs: type[BaseModel], **named: Sequence[str]) -> None:
    """Derive the fix of every ``Literal``-typed field of ``specs`` (and of each ``name=values``) from the
    allowed values. Two fields of the same name with different values would share one hint: refused."""
    found: list[tuple[str, tuple[str, ...]]] = [(name, tuple(values)) for name, values in named.items()]
    for spec in specs:
        for name, field in spec.model_fields.items():
            values = _literal_values(field.annotation)
            if values is not None:
                found.append((name, values))
    for name, values in found:
        fix = choices_fix(values)
        if name in _DERIVED and FIXES[name] != fix:
            raise RuntimeError(f"two declarations call a field {name!r} with different allowed values")
        FIXES[name] = fix
        _DERIVED.add(name)


def field_path(loc: Sequence[Any]) -> str:
    """``("conditions", 0, "model", "name")`` -> ``"conditions[0].model.name"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and not str(part).startswith(("function-", "union[", "is-instance[", "lax-or-strict")):
            out += f".{part}" if out else str(part)
    return out or "<experiment>"


def _fix_for(path: str) -> str:
    last = path.rsplit(".", 1)[-1].split("[", 1)[0]
    return FIXES.get(last, "see the field's documentation for the allowed values")


def invalid(path: str, message: str, value: Any = None, *, fix: str | None = None) -> ValidationError:
    """A :class:`ValidationError` for field ``path`` with ``message``, the offending value and the fix."""
    shown = redact_text(repr(value))[:200]
    text = f"{path}: {message} (got {shown}); fix: {fix or _fix_for(path)}"
    return ValidationError(text, argument=path, value=shown)


def convert(exc: pydantic.ValidationError, owner: str) -> ValidationError:
    """The first error of a pydantic ``ValidationError`` as a Crucible :class:`ValidationError` whose
    message starts with the full field path (``Experiment.conditions[0].model.base_url``)."""
    first = exc.errors()[0]
    path = field_path(first["loc"])
    base = owner if path == "<experiment>" else f"{owner}.{path}"
    original = (first.get("ctx") or {}).get("error")
    if isinstance(original, ValidationError):
        inner = str(original.details.get("argument") or "")
        head, dot, rest = inner.partition(".")
        if dot and head[:1].isupper():  # raised by a nested declaration's own __init__ ("Limits.concurrency")
            inner = rest
        last = base.rsplit(".", 1)[-1]
        if not inner or base.endswith(f".{inner}"):
            full = base
        elif inner == last or inner.startswith((f"{last}.", f"{last}[")):
            full = base[: len(base) - len(last)] + inner  # the validator named its own field
        else:
            full = f"{base}.{inner}"
        message = original.message
        for prefix in (f"{head}.{rest}: " if dot else None, f"{inner}: "):
            if inner and prefix and message.startswith(prefix):
                message = message[len(prefix) :]
        return ValidationError(f"{full}: {message}", **{**original.details, "argument": full})
    message = str(first["msg"]).removeprefix("Value error, ")
    return invalid(base, message, first.get("input"))


class Spec(BaseModel):
    """Frozen pydantic base of every declaration; invalid values raise Crucible ``ValidationError``."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise convert(exc, type(self).__name__) from None
