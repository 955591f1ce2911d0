"""Multiple-choice answers: find the chosen letter in a model's text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from crucible_core.answers._text import normalize_text
from crucible_core.errors import ValidationError

__all__ = ["extract_choice"]

# Words after a capital "A"/"I" that show it is a letter, not the article or the pronoun ("A is right").
_LETTER_FOLLOWERS = frozenset(
    [
        "is",
        "was",
        "would",
        "seems",
        "seem",
        "looks",
        "appears",
        "must",
        "should",
        "could",
        "can",
        "might",
        "and",
        "or",
        "because",
        "since",
        "as",
        "fits",
        "matches",
        "answers",
        "describes",
        "best",
        "correct",
        "right",
        "wrong",
    ]
)
_DECORATION = " \t\r\n*_`'\"()[]{}.:;,!?-"

# A mention right after one of these is negated ("C, not A", "it isn't B", "D rather than A"), as is one
# right before "is not"/"is wrong" ("A is incorrect"), and a letter listed after a negated one ("not A
# or B"). Negated mentions are not choices.
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|\bcannot|n['’]t|\bnever|\brather\s+than|\binstead\s+of|\bother\s+than|\bexcept(?:\s+for)?|\bnor)"
    r"(?:\s+(?:be|is|was|the|option|choice|letter|answer))*[\s*_(\[\"'`:]*$",
    re.IGNORECASE,
)
_NEGATION_AFTER = re.compile(
    r"[\s*_)\]]*(?:(?:is|was|seems|looks)\s+(?:not\b|wrong|incorrect|false)|(?:is|was)n['’]t\b)",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(r"[\s*_()\[\]]*(?:or|nor|/)[\s*_()\[\]]*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")
# the same cues in SQuAD-normalised text (lower case, no punctuation, no articles)
_NEGATION_NORMALISED = re.compile(
    r"(?:\b(?:not|never|nor|except|isnt|arent|wasnt|werent|dont|doesnt|didnt|cant|couldnt|wouldnt|"
    r"shouldnt|wont)|\brather than|\binstead of|\bother than)(?: be| is| was| option| choice| answer)* ?$"
)


class _Patterns:
    def __init__(self, letters: str) -> None:
        both = re.escape(letters + letters.lower())
        upper = re.escape(letters)
        self.statement = re.compile(
            r"(?:answer|choice|option|selection)s?\b[ \t*_]*"
            r"(?:(?:is|would\s+be|will\s+be|should\s+be|must\s+be)\b[ \t]*[:\-]?|[:=\-])"
            r"[ \t]*(?:option|choice|letter)?[ \t]*[*_\(\[ \t]*"
            rf"(?P<l>[{both}])(?![A-Za-z0-9'])",
            re.IGNORECASE,
        )
        self.bold = re.compile(rf"\*\*[ \t]*[\(\[]?(?P<l>[{upper}])[\)\]]?[.:)]?(?:\*\*|[ \t])")
        self.bracketed = re.compile(rf"(?<![A-Za-z0-9])[\(\[](?P<l>[{both}])[\)\]]")
        self.keyword = re.compile(
            rf"\b(?:option|choice|letter|pick|choose|select|go\s+with)[ \t]+[\(\[]?(?P<l>[{both}])(?![A-Za-z0-9'])",
            re.IGNORECASE,
        )
        self.statement_words = ("answer", "choice", "option", "selection")
        self.line_label = re.compile(
            rf"(?m)^[ \t>*_-]*(?:(?P<l>[{upper}])[.:)]|\(?(?P<m>[{both}])\))(?=\s|$)"
        )
        self.loose = re.compile(rf"(?<![A-Za-z0-9'’.\-])(?P<l>[{upper}])(?![A-Za-z0-9'’\-]|\.[A-Za-z])")


@lru_cache(maxsize=32)
def _patterns(letters: str) -> _Patterns:
    return _Patterns(letters)


def _statements(p: _Patterns, text: str) -> Iterator[re.Match[str]]:
    """``p.statement.finditer(text)``, faster on ASCII text.

    A case-insensitive pattern that opens with an alternation is tried at every position; on ASCII
    text (where IGNORECASE folds nothing but ASCII letters) every match starts at one of the keywords,
    so the pattern is only tried where ``str.find`` sees one — the same matches, in the same order,
    non-overlapping like ``finditer``.
    """
    if not text.isascii():
        yield from p.statement.finditer(text)
        return
    lowered = text.lower()
    starts = sorted(i for word in p.statement_words for i in _occurrences(lowered, word))
    end = 0
    for start in starts:
        if start < end:
            continue
        match = p.statement.match(text, start)
        if match is not None:
            end = match.end()
            yield match


def _occurrences(text: str, word: str) -> Iterator[int]:
    i = text.find(word)
    while i >= 0:
        yield i
        i = text.find(word, i + 1)


def _is_word_use(text: str, match: re.Match[str], letter: str) -> bool:
    """True when a capital A (article) or I (pronoun) is used as a word, e.g. "A cat", "I think"."""
    if letter not in ("A", "I"):
        return False
    rest = text[match.end("l") :]
    nxt = re.match(r"[ \t]+([A-Za-z]+)", rest)
    return nxt is not None and nxt.group(1).lower() not in _LETTER_FOLLOWERS


def _lowercase_article(text: str, match: re.Match[str]) -> bool:
    """A lower-case 'a' followed by a word is the article ("the answer is a bit tricky")."""
    return match.group("l") == "a" and bool(re.match(r"[ \t]+[A-Za-z]", text[match.end("l") :]))


def _is_line_label(text: str, match: re.Match[str]) -> bool:
    """The letter opens a line as a label ("B. Paris"): part of a restated option list."""
    before = text[: match.start("l")].rsplit("\n", 1)[-1]
    return not before.strip(" \t>*_-") and text[match.end("l") : match.end("l") + 1] in (".", ":", ")")


def _has_cue(window: str) -> bool:
    """A quick filter (lower-case ``window``): without these words, _NEGATION_BEFORE cannot match."""
    return (
        "no" in window
        or "n't" in window
        or "n’t" in window
        or "never" in window
        or "rather" in window
        or "instead" in window
        or "other" in window
        or "except" in window
    )


def _negated(text: str, match: re.Match[str], previous: tuple[re.Match[str], bool] | None) -> bool:
    """True when the mention is negated ("not A", "A is wrong") or listed after a negated one."""
    window = text[max(0, match.start() - 40) : match.start()].lower()
    if _has_cue(window) and _NEGATION_BEFORE.search(window):
        return True
    if _NEGATION_AFTER.match(text, match.end("l")):
        return True
    return (
        previous is not None
        and previous[1]
        and _LIST_GAP.fullmatch(text, previous[0].end(), match.start()) is not None
    )


def _sentence(text: str, position: int) -> tuple[int, int]:
    """The bounds of the sentence (or line) holding ``position``."""
    start = 0
    for boundary in _SENTENCE_END.finditer(text, 0, position):
        start = boundary.end()
    after = _SENTENCE_END.search(text, position)
    return start, len(text) if after is None else after.end()


def _last(
    pattern: re.Pattern[str],
    text: str,
    *,
    guard_words: bool,
    skip_labels: bool = False,
    matches: Iterable[re.Match[str]] | None = None,
) -> str | None:
    """The last affirmed match's letter, skipping articles/pronouns when ``guard_words``.

    Negated mentions ("not A", "rather than A", "A is wrong") are skipped; in a sentence that negates
    a letter, the first affirmed letter of that sentence is the choice ("I would say C, not A").
    """
    found: list[tuple[re.Match[str], bool]] = []
    for match in pattern.finditer(text) if matches is None else matches:
        letter = match.group("l")
        if _lowercase_article(text, match) or (skip_labels and _is_line_label(text, match)):
            continue
        if guard_words and _is_word_use(text, match, letter):
            continue
        found.append((match, _negated(text, match, found[-1] if found else None)))
    affirmed = [match for match, negated in found if not negated]
    if not affirmed:
        return None
    chosen = affirmed[-1]
    if len(found) > len(affirmed):
        start, end = _sentence(text, chosen.start())
        if any(negated and start <= match.start() < end for match, negated in found):
            chosen = next(match for match in affirmed if match.start() >= start)
    return chosen.group("l").upper()


def _check_letters(letters: str) -> str:
    if isinstance(letters, str):
        return _checked_letters(letters)  # called for every extraction: valid labels are remembered
    return _checked_letters.__wrapped__(letters)


@lru_cache(maxsize=64)
def _checked_letters(letters: str) -> str:
    if not isinstance(letters, str) or not letters or not letters.isascii() or not letters.isalpha():
        raise ValidationError(
            f"letters must be a non-empty string of ASCII letters like 'ABCD'; got {letters!r}.",
            argument="letters",
            value=repr(letters),
        )
    upper = letters.upper()
    if len(set(upper)) != len(upper):
        raise ValidationError(f"letters must not repeat a letter; got {letters!r}.", argument="letters")
    return upper


def _affirmed(said: str, option: str) -> bool:
    """``option`` occurs in ``said`` (both normalised) at least once without a negation before it."""
    for found in re.finditer(rf"(?<![\w]){re.escape(option)}(?![\w])", said):
        if not _NEGATION_NORMALISED.search(said, max(0, found.start() - 40), found.start()):
            return True
    return False


def _by_option_text(text: str, choices: Sequence[str], letters: str) -> str | None:
    said = normalize_text(text)
    options = [normalize_text(c) for c in choices]
    for i, option in enumerate(options):
        if option and said == option:
            return letters[i]
    hits = {i for i, option in enumerate(options) if option and _affirmed(said, option)}
    # an option contained in another (e.g. "paris" in "paris texas") is not a separate hit
    hits = {i for i in hits if not any(j != i and options[i] in options[j] for j in hits)}
    return letters[hits.pop()] if len(hits) == 1 else None


def extract_choice(
    text: str | None, *, choices: Sequence[str] | None = None, letters: str = "ABCD"
) -> str | None:
    """The option letter a model chose, or None when the text does not say.

    Checked in this order (the first that matches wins; within one, the last occurrence):

    1. the whole text is one letter, however decorated: ``"B"``, ``"(b)"``, ``"**B.**"``;
    2. an answer statement: ``"The answer is (B)"``, ``"Answer: b"``, ``"**Answer:** C"``,
       ``"the correct option is D"``;
    3. a bold letter ``"**B**"`` / ``"**B) Paris**"``, then a bracketed one ``"(B)"`` / ``"[b]"``;
    4. a keyword: ``"option B"``, ``"I'd go with C"``, ``"choose d"``;
    5. a label at the start of a line (``"B. Paris"``, ``"c)"``), when only one letter is so labelled;
    6. with ``choices`` (the option texts, in letter order): the text equals one option, or names
       exactly one of them (SQuAD-normalised comparison);
    7. a capital letter standing alone (``"I think B fits"``).

    A capital ``A`` followed by a word ("A cat is ...") is the article and a capital ``I`` followed by
    a word is the pronoun, unless that word is a verb of judgement ("A is correct"); a lower-case
    ``a`` is only read as a choice when nothing follows it. ``letters`` are the valid labels
    (default ``"ABCD"``); the returned letter is upper case. Never raises on arbitrary text.

        >>> extract_choice("Let's think. Paris is the capital, so the answer is (B).")
        'B'
        >>> extract_choice("A cat is not a dog.") is None
        True
        >>> extract_choice("It must be Paris.", choices=["London", "Paris", "Rome", "Oslo"])
        'B'
    """
    valid = _check_letters(letters)
    if choices is not None and (isinstance(choices, str) or len(choices) > len(valid)):
        raise ValidationError(
            f"choices must be a sequence of at most {len(valid)} option texts (one per letter in {valid!r}).",
            argument="choices",
        )
    if text is None:
        return None
    s = str(text)
    bare = s.strip(_DECORATION)
    if len(bare) == 1 and bare.upper() in valid:
        return bare.upper()
    p = _patterns(valid)
    found = _last(p.statement, s, guard_words=True, matches=_statements(p, s))
    if found:
        return found
    for pattern, guard in ((p.bold, False), (p.bracketed, False), (p.keyword, True)):
        found = _last(pattern, s, guard_words=guard)
        if found:
            return found
    labels = {(m.group("l") or m.group("m")).upper() for m in p.line_label.finditer(s)}
    if len(labels) == 1:
        return labels.pop()
    if choices is not None:
        found = _by_option_text(s, choices, valid)
        if found:
            return found
    return _last(p.loose, s, guard_words=True, skip_labels=True)
