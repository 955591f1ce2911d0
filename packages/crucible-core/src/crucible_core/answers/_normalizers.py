"""Named normalisers: text → a hashable, comparable answer (or None when there is none)."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from crucible_core.answers._boolean import extract_boolean
from crucible_core.answers._choice import extract_choice
from crucible_core.answers._json import canonical_json
from crucible_core.answers._numbers import canonical_number, extract_number
from crucible_core.answers._options import Choices, choice_normalizer
from crucible_core.answers._text import normalize_text
from crucible_core.errors import ValidationError

__all__ = ["NORMALIZERS", "Normalizer", "get_normalizer"]

Normalizer = Callable[[str], Hashable | None]


def _text(text: str) -> str | None:
    return normalize_text(text) or None


def _exact(text: str) -> str | None:
    return text.strip() or None if isinstance(text, str) else None


def _number(text: str) -> str | None:
    value = extract_number(text)
    return None if value is None else canonical_number(value)


def _multiple_choice(text: str) -> str | None:
    return extract_choice(text)


NORMALIZERS: dict[str, Normalizer] = {
    "text": _text,
    "exact": _exact,
    "number": _number,
    "multiple_choice": _multiple_choice,
    "boolean": extract_boolean,
    "json": canonical_json,
}


def get_normalizer(
    name: str | Normalizer, *, choices: Choices | None = None, letters: str | None = None
) -> Normalizer:
    """The normaliser called ``name``, or ``name`` itself when it is a callable.

    ========================  ====================================================================
    ``"text"``                :func:`normalize_text` (SQuAD), None for an empty result
    ``"exact"``               the text with surrounding whitespace stripped
    ``"number"``              :func:`extract_number` as a canonical string: ``"1,000"``, ``"1000.0"``
                              and ``"$1000"`` all give ``"1000"``
    ``"multiple_choice"``     :func:`extract_choice` with letters A–D, or — given ``choices`` (option
                              texts, or ``{letter: text}`` as :func:`extract_options` returns) and/or
                              ``letters`` — :func:`choice_normalizer`: an answer giving an option's
                              text normalises to its letter
    ``"boolean"``             :func:`extract_boolean`
    ``"json"``                :func:`canonical_json`
    ========================  ====================================================================

    Every normaliser returns a hashable value (equal answers compare equal) or None when the text
    holds no answer; none raises on arbitrary text.

        >>> get_normalizer("number")("The total is $1,000.00")
        '1000'
        >>> get_normalizer("multiple_choice", choices=["Mars", "Jupiter"])("Jupiter")
        'B'
    """
    options = choices is not None or letters is not None
    if options and name != "multiple_choice":
        raise ValidationError(
            f"choices= and letters= only apply to the 'multiple_choice' normalizer; got {name!r}.",
            argument="choices" if choices is not None else "letters",
        )
    if options:
        return choice_normalizer(choices, letters=letters)
    if callable(name):
        return name
    if isinstance(name, str) and name in NORMALIZERS:
        return NORMALIZERS[name]
    raise ValidationError(
        f"unknown normalizer {name!r}; use one of {sorted(NORMALIZERS)} or pass a callable str -> answer.",
        argument="name",
        value=repr(name),
    )
