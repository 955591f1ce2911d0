"""Semantic, meaning-preserving rewrites that need no model: paraphrase, sentence reorder, formality.

Every rule is a phrase-level rewrite that contains no digit and no option letter, so numbers and
answer labels are never touched. ``rate`` is the probability that each applicable rewrite is made
(at least one is made when any applies); for ``sentence_reorder`` it is the share of context
sentences moved. Model-assisted paraphrase and back-translation live in
:mod:`crucible_adversary._model_attacks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from crucible_adversary._rng import Rng
from crucible_adversary._types import Edit
from crucible_adversary._word import match_case
from crucible_core.errors import ValidationError

__all__ = ["SEMANTIC_ATTACKS", "formality_direction", "rule_paraphrase"]

Outcome = tuple[str, list[Edit]]
Rule = tuple[re.Pattern[str], tuple[str, ...]]


def _rules(pairs: Sequence[tuple[str, Sequence[str]]]) -> list[Rule]:
    return [(re.compile(rf"\b{pattern}\b", re.IGNORECASE), tuple(subs)) for pattern, subs in pairs]


_PARAPHRASE = _rules(
    [
        (
            r"which of the following",
            ("which one of these", "which of these options", "which of the choices below"),
        ),
        (r"what is", ("what's", "what exactly is")),
        (r"how many", ("what number of",)),
        (r"can you", ("could you", "would you be able to")),
        (r"could you", ("can you", "would you")),
        (r"please explain", ("kindly explain", "please describe")),
        (r"explain", ("describe", "clarify")),
        (r"calculate", ("compute", "work out")),
        (r"determine", ("figure out", "work out", "establish")),
        (r"because", ("since", "as")),
        (r"however", ("but", "nevertheless")),
        (r"therefore", ("so", "thus", "hence")),
        (r"in order to", ("to", "so as to")),
        (r"a lot of", ("many", "plenty of")),
        (r"lots of", ("many", "plenty of")),
        (r"is able to", ("can",)),
        (r"are able to", ("can",)),
        (r"give me", ("provide me with", "show me")),
        (r"tell me", ("let me know", "say")),
        (r"most likely", ("most probably",)),
        (r"at the same time", ("simultaneously",)),
        (r"in total", ("altogether", "overall")),
        (r"has to", ("must",)),
        (r"have to", ("must", "need to")),
        (r"needs to", ("has to", "must")),
        (r"after that", ("then", "afterwards")),
        (r"for example", ("for instance",)),
        (r"as well as", ("and also",)),
        (r"i think", ("i believe", "in my view")),
        (r"answer the question", ("respond to the question", "reply to the question")),
        (r"choose", ("pick", "select")),
        (r"correct answer", ("right answer",)),
        (r"is equal to", ("equals", "is the same as")),
        (r"find out", ("discover", "learn")),
        (r"begins", ("starts",)),
        (r"quickly", ("rapidly", "fast")),
        (r"approximately", ("roughly", "about")),
        (r"whether", ("if",)),
        (r"in addition", ("additionally", "also")),
        (r"do not", ("don't",)),
        (r"does not", ("doesn't",)),
        (r"is not", ("isn't",)),
        (r"are not", ("aren't",)),
        (r"cannot", ("can't",)),
        (r"it is", ("it's",)),
    ]
)

_CONTRACTIONS = [
    ("do not", "don't"),
    ("does not", "doesn't"),
    ("did not", "didn't"),
    ("is not", "isn't"),
    ("are not", "aren't"),
    ("was not", "wasn't"),
    ("cannot", "can't"),
    ("will not", "won't"),
    ("would not", "wouldn't"),
    ("should not", "shouldn't"),
    ("it is", "it's"),
    ("i am", "i'm"),
    ("you are", "you're"),
    ("they are", "they're"),
    ("we are", "we're"),
    ("that is", "that's"),
    ("what is", "what's"),
    ("let us", "let's"),
    ("i would", "i'd"),
]
_CASUAL = [
    ("hello", "hey"),
    ("could you please", "can you"),
    ("would you please", "can you"),
    ("i would like", "i wanna"),
    ("going to", "gonna"),
    ("want to", "wanna"),
    ("thank you", "thanks"),
    ("yes", "yeah"),
    ("perhaps", "maybe"),
    ("receive", "get"),
    ("assist", "help"),
    ("purchase", "buy"),
    ("children", "kids"),
    ("additionally", "plus"),
    ("however", "but"),
    ("very", "super"),
    ("many", "lots of"),
    ("a great deal of", "loads of"),
    ("please", "pls"),
    ("explain", "break down"),
    ("largest", "biggest"),
    ("it has", "it's got"),
    ("excellent", "awesome"),
    ("difficult", "tough"),
    ("obtain", "get"),
    ("inquire", "ask"),
]
_INFORMAL = _rules([(formal, (casual,)) for formal, casual in _CONTRACTIONS + _CASUAL])
_FORMAL = _rules(
    [(re.escape(casual), (formal,)) for formal, casual in _CONTRACTIONS + _CASUAL if casual != "but"]
    + [(r"hi", ("hello",)), (r"ok(?:ay)?", ("acceptable",)), (r"get", ("obtain",)), (r"help", ("assist",))]
)


def _rewrite(text: str, rules: list[Rule], rate: float, rng: Rng) -> Outcome:
    """Apply each match of each rule with probability ``rate`` (at least one match when any exist)."""
    matches: list[tuple[int, int, str, tuple[str, ...]]] = []
    taken: list[tuple[int, int]] = []
    for pattern, subs in rules:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            matches.append((start, end, m.group(), subs))
    if not matches or rate <= 0.0:
        return text, []
    matches.sort()
    picked = [m for m in matches if rng.random() < rate]
    if not picked:
        picked = [matches[rng.below(len(matches))]]
    pieces: list[str] = []
    edits: list[Edit] = []
    prev = 0
    for start, end, found, subs in picked:
        new = match_case(found, rng.choice(subs))
        pieces.append(text[prev:start])
        pieces.append(new)
        edits.append(Edit("substitute", start, found, new))
        prev = end
    pieces.append(text[prev:])
    return "".join(pieces), edits


def rule_paraphrase(
    text: str, rate: float, rng: Rng, protect_numbers: bool, protect_options: bool
) -> Outcome:
    """Rule-based paraphrase: phrase rewrites (``which of the following`` -> ``which of these options``)."""
    return _rewrite(text, _PARAPHRASE, rate, rng)


_OPTION_LINE = re.compile(r"^\s*[(\[]?[A-Ja-j][).:\]]\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def _derangement(n: int, rate: float, rng: Rng) -> list[int]:
    """A permutation of ``range(n)`` that moves exactly ``k = max(2, round(rate * n))`` positions (at
    most ``n``): ``k`` positions are drawn and cycled among themselves by Sattolo's algorithm, whose
    result is a single cycle, so no chosen position keeps its element. ``k`` never shrinks as ``rate``
    grows, so a higher intensity never displaces fewer sentences."""
    k = min(n, max(2, round(rate * n)))
    chosen = sorted(rng.sample(range(n), k))
    cycle = list(chosen)
    for i in range(k - 1, 0, -1):  # Sattolo (1986): j < i, so the result is one k-cycle
        j = rng.below(i)
        cycle[i], cycle[j] = cycle[j], cycle[i]
    order = list(range(n))
    for slot, source in zip(chosen, cycle, strict=True):
        order[slot] = source
    return order


def sentence_reorder(
    text: str, rate: float, rng: Rng, protect_numbers: bool, protect_options: bool
) -> Outcome:
    """Reorder the context sentences of each paragraph; the last sentence (usually the question) and
    answer-option lines stay where they are.

    ``rate`` is the share of a paragraph's ``n`` context sentences that leave their place:
    ``max(2, round(rate * n))`` of them are drawn and permuted so that none stays put (a random
    cycle), so any ``rate > 0`` changes a paragraph with two or more context sentences and ``rate=1``
    moves every one. Each displaced sentence is one ``move`` edit (position of the slot in the input,
    the sentence that was there, the sentence that took its place).
    """
    lines = text.split("\n")
    edits: list[Edit] = []
    offset = 0
    out_lines: list[str] = []
    for line in lines:
        if not line.strip() or _OPTION_LINE.match(line):
            out_lines.append(line)
            offset += len(line) + 1
            continue
        original_length = len(line)
        parts = _SENTENCE_END.split(line)
        seps = _SENTENCE_END.findall(line)
        movable = len(parts) - 1  # the final sentence keeps its place
        if movable >= 2 and rate > 0:
            order = _derangement(movable, rate, rng)
            new_parts = [parts[j] for j in order] + parts[movable:]
            rebuilt = new_parts[0] + "".join(
                sep + part for sep, part in zip(seps, new_parts[1:], strict=True)
            )
            position = offset
            for slot in range(movable):
                if order[slot] != slot and parts[order[slot]] != parts[slot]:
                    edits.append(Edit("move", position, parts[slot], parts[order[slot]]))
                position += len(parts[slot]) + (len(seps[slot]) if slot < len(seps) else 0)
            line = rebuilt
        out_lines.append(line)
        offset += original_length + 1
    return "\n".join(out_lines), edits


def formality_change(
    text: str, rate: float, rng: Rng, protect_numbers: bool, protect_options: bool, direction: str = "auto"
) -> Outcome:
    """Make the register more casual (contractions, ``gonna``, ``thanks``) or more formal (the reverse).

    ``direction="auto"`` goes informal when the text has more formal markers than casual ones.
    """
    direction = formality_direction(text, direction)
    return _rewrite(text, _INFORMAL if direction == "informal" else _FORMAL, rate, rng)


def formality_direction(text: str, direction: str = "auto") -> str:
    """``"informal"`` or ``"formal"``: ``direction`` itself, or for ``"auto"`` informal when ``text`` has
    at least as many formal markers (``do not``, ``assist``) as casual ones (``don't``, ``help``)."""
    if direction in ("informal", "formal"):
        return direction
    if direction != "auto":
        raise ValidationError(
            f"direction must be 'auto', 'informal' or 'formal'; got {direction!r}",
            argument="direction",
            value=repr(direction),
        )
    informal = sum(len(p.findall(text)) for p, _ in _FORMAL)
    formal = sum(len(p.findall(text)) for p, _ in _INFORMAL)
    return "informal" if formal >= informal else "formal"


SEMANTIC_ATTACKS: dict[str, tuple[Callable[..., Outcome], str]] = {
    "paraphrase": (
        rule_paraphrase,
        "paraphrase by phrase rewrites (offline), or by a Model when one is given",
    ),
    "sentence_reorder": (sentence_reorder, "reorder context sentences; the question and options stay put"),
    "formality_change": (formality_change, "shift the register to casual or formal wording"),
}
