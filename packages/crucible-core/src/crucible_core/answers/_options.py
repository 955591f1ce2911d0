"""Multiple-choice options: read them from a question, and bind them to a choice normaliser."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import lru_cache

from crucible_core.answers._choice import extract_choice
from crucible_core.errors import ValidationError

__all__ = ["Choices", "choice_normalizer", "extract_options"]

Choices = Sequence[str] | Mapping[str, str]

# An option label followed by the option's text: "A) Mars", "A. Mars", "A: Mars", "(A) Mars", "[A] Mars".
_LABEL = re.compile(r"(?<![\w'’])(?:\([A-Za-z]\)|\[[A-Za-z]\]|[A-Za-z][.):])(?=[ \t]+\S)")
_SENTENCE_END = re.compile(r"[.?!](?=\s)")
_MAX_CHAINS = 64

# A label: (its letter, upper case; its style — the brackets or separator, and the case; start; end)
_Label = tuple[str, str, int, int]


def _label(match: re.Match[str]) -> _Label:
    found = match.group()
    bracketed = found[0] in "(["
    letter = found[1] if bracketed else found[0]
    style = (found[0] + found[2] if bracketed else found[1]) + ("U" if letter.isupper() else "l")
    return letter.upper(), style, match.start(), match.end()


def _read(text: str, chain: list[_Label]) -> dict[str, str] | None:
    """The options a chain of labels delimits, or None when one of them is empty (a false label)."""
    inline = "\n" not in text[chain[0][2] : chain[-1][2]]
    options: dict[str, str] = {}
    for position, (letter, _, _, end) in enumerate(chain):
        if position + 1 < len(chain):
            body = text[end : chain[position + 1][2]]
        else:
            body = text[end:].split("\n", 1)[0]
            cut = _SENTENCE_END.search(body) if inline else None
            body = body if cut is None else body[: cut.start()]
        body = body.strip().rstrip(",;").strip()
        if not body:
            return None
        options[letter] = body
    return options


def extract_options(text: str | None) -> dict[str, str]:
    """The lettered options of a multiple-choice question, ``{"A": "Mars", "B": "Jupiter", ...}``.

    Options are labels ``A) x``, ``A. x``, ``A: x``, ``(A) x`` or ``[A] x`` (one style per list, upper
    or lower case), one per line or inline, lettered from A in order with no gap; at least two are
    needed. When the text holds several lists (few-shot examples), the one that ends last is the
    question's (the longest of those, then the one that starts last). An option's text runs to the
    next label; the last one's to the end of its line, or of its sentence when the list is inline.
    Letters are returned upper case; the result is empty when the text holds no option list. Never
    raises.

        >>> extract_options("Which planet is largest? A) Mars B) Jupiter C) Venus D) Earth")
        {'A': 'Mars', 'B': 'Jupiter', 'C': 'Venus', 'D': 'Earth'}
        >>> extract_options("Pick one.\\n(a) red\\n(b) blue")
        {'A': 'red', 'B': 'blue'}
    """
    if not isinstance(text, str):
        return {}
    chains: list[list[_Label]] = []
    for match in _LABEL.finditer(text):
        label = _label(match)
        letter, style = label[0], label[1]
        if letter == "A":
            if len(chains) >= _MAX_CHAINS:
                chains.pop(0)  # the question's own list comes last; drop the oldest reading
            chains.append([label])
            continue
        previous = chr(ord(letter) - 1)
        for chain in list(chains):
            last = chain[-1]
            if last[1] != style:
                continue
            if last[0] == previous:
                chain.append(label)
            elif last[0] == letter and len(chain) > 1 and len(chains) < _MAX_CHAINS:
                # the same letter twice ("A. Vitamin C. C. Vitamin D"): keep both readings
                chains.append([*chain[:-1], label])
    candidates = sorted(
        (c for c in chains if len(c) >= 2), key=lambda c: (c[-1][2], len(c), c[0][2]), reverse=True
    )
    for chain in candidates:
        options = _read(text, chain)
        if options is not None:
            return options
    return {}


@lru_cache(maxsize=256)
def _bound(choices: tuple[str, ...], letters: str) -> Callable[[str], str | None]:
    extract_choice("", choices=choices or None, letters=letters)  # validates letters against choices
    upper = letters.upper()

    def normalize(text: str) -> str | None:
        return extract_choice(text, choices=choices or None, letters=upper)

    return normalize


def choice_normalizer(
    choices: Choices | None = None, *, letters: str | None = None
) -> Callable[[str], Hashable | None]:
    """The ``multiple_choice`` normaliser bound to a question's options.

    ``choices`` are the option texts in letter order (``["Mars", "Jupiter"]``) or a mapping from
    letter to text (``{"A": "Mars", "B": "Jupiter"}``, as :func:`extract_options` returns); an
    answer that gives an option's text then normalises to its letter. ``letters`` defaults to as
    many letters from A as there are options (``"ABCD"`` without options). Normalisers for the same
    options are cached.

        >>> normalize = choice_normalizer(extract_options("A) Mars B) Jupiter C) Venus"))
        >>> normalize("Jupiter, obviously."), normalize("The answer is (C)")
        ('B', 'C')
    """
    if isinstance(choices, Mapping):
        keys = "".join(str(k).strip().upper() for k in choices)
        if len(keys) != len(choices):
            raise ValidationError(
                f"a choices mapping must be keyed by single letters ({{'A': 'Mars', 'B': 'Jupiter'}}); got "
                f"keys {list(choices)!r}.",
                argument="choices",
            )
        if letters is not None and letters.upper() != keys:
            raise ValidationError(
                f"letters={letters!r} contradicts the choices' letters {keys!r}; pass only the mapping.",
                argument="letters",
            )
        texts, letters = tuple(str(v) for v in choices.values()), keys
    elif choices is None:
        texts = ()
    elif isinstance(choices, str | bytes) or not isinstance(choices, Sequence):
        raise ValidationError(
            f"choices must be a list of option texts or a {{letter: text}} mapping; got {choices!r}.",
            argument="choices",
        )
    else:
        texts = tuple(str(c) for c in choices)
    if letters is None:
        if len(texts) > 26:
            raise ValidationError(
                f"at most 26 choices can be lettered; got {len(texts)}.", argument="choices"
            )
        letters = string.ascii_uppercase[: len(texts)] if len(texts) >= 2 else "ABCD"
    if not isinstance(letters, str):
        raise ValidationError(f"letters must be a string like 'ABCD'; got {letters!r}.", argument="letters")
    return _bound(texts, letters)
