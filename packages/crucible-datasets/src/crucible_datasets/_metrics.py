"""Scoring metrics. Answer extraction comes from :mod:`crucible_core.answers` (one implementation for
metrics and voting); this module only compares.

Every metric maps ``(predicted, item)`` to a :class:`Score` whose values lie in [0, 1]. A prediction
that is not text (``None``, a dict ...) scores 0 and is marked ``valid=False``: it is counted, never
raised.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import sacrebleu

from crucible_core.answers import (
    canonical_number,
    extract_boolean,
    extract_choice,
    extract_number,
    normalize_text,
    numbers_equal,
)
from crucible_core.errors import ValidationError
from crucible_datasets._bulk import no_gc_pauses
from crucible_datasets._rouge import rouge_scores
from crucible_datasets._types import Item

__all__ = [
    "METRICS",
    "Bleu",
    "Chrf",
    "ExactMatch",
    "F1",
    "Gsm8kAnswer",
    "Label",
    "Metric",
    "MultipleChoice",
    "Rouge",
    "Score",
    "get_metric",
    "normalize_label",
    "token_f1",
]


@dataclass(frozen=True, slots=True)
class Score:
    """One item's score(s) under one metric; ``extracted`` is the answer read from the prediction."""

    values: Mapping[str, float]
    extracted: Any = None
    valid: bool = True
    detail: str | None = None


def as_text(predicted: Any) -> str | None:
    """The prediction as text (numbers are formatted), or None when it is not usable text."""
    if isinstance(predicted, str):
        return predicted
    if isinstance(predicted, int | float | Decimal) and not isinstance(predicted, bool):
        return str(predicted)
    return None


def _references(expected: Any) -> list[str]:
    if isinstance(expected, list | tuple):
        return [str(e) for e in expected if e is not None]
    return [] if expected is None else [str(expected)]


class Metric(ABC):
    """A metric: ``name``, the value names it produces (``outputs``) and whether they are 0/1
    (``binary``: True → a Wilson interval, False → a bootstrap interval, None → decided by the values)."""

    name: str = ""
    outputs: tuple[str, ...] = ()
    binary: bool | None = False

    def _invalid(self, predicted: Any) -> Score:
        return Score(
            dict.fromkeys(self.outputs, 0.0),
            None,
            False,
            f"unusable prediction of type {type(predicted).__name__}",
        )

    @abstractmethod
    def score(self, predicted: Any, item: Item) -> Score: ...

    def score_many(self, predictions: Sequence[Any], items: Sequence[Item]) -> list[Score]:
        with no_gc_pauses():
            return [self.score(p, item) for p, item in zip(predictions, items, strict=True)]

    def corpus(self, predictions: Sequence[Any], items: Sequence[Item]) -> dict[str, float]:
        """Corpus-level figures (e.g. corpus BLEU), if the metric has any."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_BARE_NUMBER = re.compile(
    r"^\s*[-+−]?\s*[$€£¥]?\s*[-+]?[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\s*%?\s*$"
)


@dataclass(frozen=True, repr=False)
class ExactMatch(Metric):
    """SQuAD exact match: :func:`~crucible_core.answers.normalize_text` (case, punctuation, articles,
    whitespace) on both sides; when both sides are bare numbers (``"1,000"``, ``"$1000.00"``) they are
    compared with :func:`~crucible_core.answers.numbers_equal` and ``rel_tol`` instead. Any of several
    references counts."""

    rel_tol: float = 1e-6
    name = "exact_match"
    outputs = ("exact_match",)
    binary = True

    def score(self, predicted: Any, item: Item) -> Score:
        text = predicted if type(predicted) is str else as_text(predicted)
        if text is None:
            return self._invalid(predicted)
        normalized = normalize_text(text)
        expected = item.expected
        references = (expected,) if type(expected) is str else _references(expected)
        for reference in references:
            if normalized == normalize_text(reference):
                return Score(_EM_HIT, normalized)
            bare = _BARE_NUMBER.match(text) and _BARE_NUMBER.match(reference)
            if bare and numbers_equal(text, reference, rel_tol=self.rel_tol):
                return Score(_EM_HIT, normalized)
        return Score(_EM_MISS, normalized)


_EM_HIT: Mapping[str, float] = MappingProxyType({"exact_match": 1.0})
_EM_MISS: Mapping[str, float] = MappingProxyType({"exact_match": 0.0})


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD v1.1 token F1 on normalised tokens: ``2PR/(P+R)`` with overlap counted with multiplicity;
    when either side has no tokens, 1.0 if both are empty else 0.0."""
    pred = normalize_text(prediction).split()
    ref = normalize_text(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    overlap = sum((Counter(pred) & Counter(ref)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True, repr=False)
class F1(Metric):
    """SQuAD token F1 (:func:`token_f1`), the maximum over references."""

    name = "f1"
    outputs = ("f1",)

    def score(self, predicted: Any, item: Item) -> Score:
        text = as_text(predicted)
        if text is None:
            return self._invalid(predicted)
        return Score({"f1": max((token_f1(text, r) for r in _references(item.expected)), default=0.0)})


def _uniform_references(items: Sequence[Item]) -> list[list[str]] | None:
    refs = [_references(item.expected) for item in items]
    if not refs or len({len(r) for r in refs}) != 1 or not refs[0]:
        return None
    return [list(stream) for stream in zip(*refs, strict=True)]


@dataclass(frozen=True, repr=False)
class Bleu(Metric):
    """sacrebleu's sentence BLEU (exp smoothing, effective order) / 100 per item; ``corpus`` adds
    sacrebleu's corpus BLEU / 100 (the figure papers report) when every item has as many references."""

    name = "bleu"
    outputs = ("bleu",)

    def score(self, predicted: Any, item: Item) -> Score:
        text = as_text(predicted)
        if text is None:
            return self._invalid(predicted)
        return Score({"bleu": sacrebleu.sentence_bleu(text, _references(item.expected)).score / 100.0})

    def corpus(self, predictions: Sequence[Any], items: Sequence[Item]) -> dict[str, float]:
        streams = _uniform_references(items)
        if streams is None:
            return {}
        texts = [as_text(p) or "" for p in predictions]
        return {"corpus_bleu": sacrebleu.corpus_bleu(texts, streams).score / 100.0}


@dataclass(frozen=True, repr=False)
class Chrf(Metric):
    """sacrebleu's sentence chrF (character 6-grams, beta = 2) / 100; ``corpus`` adds corpus chrF."""

    name = "chrf"
    outputs = ("chrf",)

    def score(self, predicted: Any, item: Item) -> Score:
        text = as_text(predicted)
        if text is None:
            return self._invalid(predicted)
        return Score({"chrf": sacrebleu.sentence_chrf(text, _references(item.expected)).score / 100.0})

    def corpus(self, predictions: Sequence[Any], items: Sequence[Item]) -> dict[str, float]:
        streams = _uniform_references(items)
        if streams is None:
            return {}
        texts = [as_text(p) or "" for p in predictions]
        return {"corpus_chrf": sacrebleu.corpus_chrf(texts, streams).score / 100.0}


@dataclass(frozen=True, repr=False)
class Rouge(Metric):
    """ROUGE-1/2/L F-measures (see :mod:`crucible_datasets._rouge`)."""

    name = "rouge"
    outputs = ("rouge1", "rouge2", "rougeL")

    def score(self, predicted: Any, item: Item) -> Score:
        text = as_text(predicted)
        if text is None:
            return self._invalid(predicted)
        return Score(rouge_scores(text, _references(item.expected)))


@dataclass(frozen=True, repr=False)
class Gsm8kAnswer(Metric):
    """GSM8K accuracy: :func:`~crucible_core.answers.extract_number` reads the final number (``#### n``,
    ``\\boxed{n}``, "the answer is n", else the last number; commas, ``$`` and units ignored) and
    :func:`~crucible_core.answers.numbers_equal` compares it with the reference."""

    rel_tol: float = 1e-6
    name = "gsm8k_answer"
    outputs = ("gsm8k_answer",)
    binary = True

    def score(self, predicted: Any, item: Item) -> Score:
        text = as_text(predicted)
        if text is None:
            return self._invalid(predicted)
        value = extract_number(text)
        if value is None:
            return Score({"gsm8k_answer": 0.0}, None, True, "no number found")
        correct = numbers_equal(value, str(item.expected), rel_tol=self.rel_tol)
        return Score({"gsm8k_answer": float(correct)}, canonical_number(value))


@dataclass(frozen=True, repr=False)
class MultipleChoice(Metric):
    """Multiple-choice accuracy: :func:`~crucible_core.answers.extract_choice` reads the letter from free
    text (using the item's ``input.choices`` option texts and as many letters as there are options)."""

    name = "multiple_choice"
    outputs = ("multiple_choice",)
    binary = True

    def score(self, predicted: Any, item: Item) -> Score:
        text = as_text(predicted)
        if text is None:
            return self._invalid(predicted)
        choices = item.input.get("choices")
        options = [str(c) for c in choices] if isinstance(choices, list) and 2 <= len(choices) <= 26 else None
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(options)] if options else "ABCD"
        letter = extract_choice(text, choices=options, letters=letters)
        expected = str(item.expected).strip().upper()
        return Score(
            {"multiple_choice": float(letter == expected)},
            letter,
            True,
            None if letter else "no choice found",
        )


SUPPORTS, REFUTES, NEI = "SUPPORTS", "REFUTES", "NOT ENOUGH INFO"
_LABEL_WORDS = {
    SUPPORTS: {"supports", "support", "supported", "entailment", "entails", "true", "yes"},
    REFUTES: {
        "refutes",
        "refute",
        "refuted",
        "contradict",
        "contradicts",
        "contradicted",
        "contradiction",
        "false",
        "no",
    },
    NEI: {
        "not enough info",
        "not enough information",
        "notenoughinfo",
        "nei",
        "neutral",
        "unverifiable",
        "insufficient information",
        "insufficient evidence",
        "unknown",
    },
}
_NEI_TEXT = re.compile(
    r"not[\s_]+enough[\s_]+(?:info|information|evidence)|\bnei\b|insufficient\s+(?:info|information|evidence)|"
    r"\b(?:is|are|was|were|remains?)\s+insufficient\b|\bnot\s+sufficient\b|"
    r"\bunverifiable\b|cannot\s+be\s+(?:determined|verified)|can['’]t\s+be\s+(?:determined|verified)|"
    r"\bneither\s+(?:confirm|support|prove|refute|contradict|den(?:y|ie))\w*\s+nor\s+\w+|"
    r"(?:\bnot|n['’]t)\s+(?:\w+\s+)?(?:support|confirm)\w*\s+or\s+(?:refute|contradict|den(?:y|ie))\w*",
    re.IGNORECASE,
)
# A support/refute/contradict verb or noun, negated by a negator up to three words before it in the same
# clause ("does not support", "is not fully supported", "none of the abstracts support"), or by "un"
# ("unsupported"). "only"/"but"/"doubt" between them cancel the negation ("not only supports").
_NEGATOR = (
    r"\bnot|n['’]t|\bno|\bnever|\bnothing|\bnone|\bnor|\bcannot|\bfail(?:s|ed)?\s+to|\black(?:s|ed|ing)?"
)
_VERDICT = re.compile(
    rf"(?:(?P<neg>{_NEGATOR})(?:[ \t]+(?!(?:only|but|doubt)\b)[\w'’-]+){{0,3}}?[ \t]+)?"
    r"\b(?P<un>un)?(?:(?P<support>support(?:s|ed|ing|ive)?)|"
    r"(?P<refute>refut(?:e|es|ed|ing|ation)|contradict(?:s|ed|ing|ion|ory)?|disprov(?:e|es|ed|ing)))\b",
    re.IGNORECASE,
)
_STATEMENT = re.compile(
    r"\b(?:final\s+)?(?:answer|label|verdict)\b[ \t]*(?:is|would\s+be|:|=)?[ \t]*[:\-]?[ \t*_\"'`(\[]*"
    r"(?P<rest>[^\n.;,]*)",
    re.IGNORECASE,
)


def _bare_label(text: str) -> str | None:
    bare = " ".join(text.replace("_", " ").lower().strip(" .!*\"'`()[]:").split())
    for label, words in _LABEL_WORDS.items():
        if bare in words:
            return label
    return None


def _read_label(text: str) -> str | None:
    if _NEI_TEXT.search(text):
        return NEI
    found: set[str] = set()
    for match in _VERDICT.finditer(text):
        positive = match.group("support") is not None
        if match.group("neg"):
            positive = not positive
        if match.group("un"):
            positive = not positive
        found.add(SUPPORTS if positive else REFUTES)
    if found:
        return found.pop() if len(found) == 1 else None  # "supports X but refutes Y": no single verdict
    verdict = extract_boolean(text)
    return None if verdict is None else (SUPPORTS if verdict else REFUTES)


def normalize_label(text: Any) -> str | None:
    """FEVER/SciFact label of a text: ``SUPPORTS``, ``REFUTES``, ``NOT ENOUGH INFO`` or None.

    Rules, in order:

    1. A bare label in any vocabulary maps directly: ``SUPPORT``/``CONTRADICT``/``NOT_ENOUGH_INFO``
       (SciFact), ``entailment``/``contradiction``/``neutral`` (NLI), ``true``/``false``, ``yes``/``no``.
    2. An answer statement (``"Answer: REFUTES"``, ``"the final label is not enough info"``): the last one
       that reads as a label wins, read with rules 1, 3–5.
    3. A not-enough-information phrase anywhere gives ``NOT ENOUGH INFO``: "not enough
       info/information/evidence", "insufficient evidence", "the evidence is insufficient", "cannot be
       determined/verified", "unverifiable", "neither supports nor refutes", "does not support or refute".
    4. Support and refutation words (support(s/ed), refute(s/d), refutation, contradict(s/ed/ion),
       disprove(s/d)) give ``SUPPORTS`` and ``REFUTES``; a negation flips them — "not", "n't", "no",
       "never", "none", "nothing", "nor", "cannot", "fail(s) to", "lack(s)" up to three words before in the
       same clause, or the prefix "un". So "does not support", "doesn't support", "not supported",
       "no support", "unsupported" → ``REFUTES``, and "does not refute", "not contradicted" → ``SUPPORTS``
       (FEVER's guidelines would call some of these NOT ENOUGH INFO; one reading for every negated
       phrasing keeps the metric consistent, and a model meaning NEI should say so). If the words
       disagree ("supports X but refutes Y") the label is None.
    5. Otherwise :func:`~crucible_core.answers.extract_boolean` (true/false, correct/incorrect, yes/no).

        >>> normalize_label("The evidence does not support the claim"), normalize_label("not supported")
        ('REFUTES', 'REFUTES')
        >>> normalize_label("There is insufficient evidence."), normalize_label("NOT_ENOUGH_INFO")
        ('NOT ENOUGH INFO', 'NOT ENOUGH INFO')
    """
    if not isinstance(text, str):
        return None
    bare = _bare_label(text)
    if bare is not None:
        return bare
    for statement in reversed(list(_STATEMENT.finditer(text))):
        rest = statement.group("rest")
        label = _bare_label(rest) or (_read_label(rest) if rest.strip() else None)
        if label is not None:
            return label
    return _read_label(text)


@dataclass(frozen=True, repr=False)
class Label(Metric):
    """Claim-verification accuracy: both sides through :func:`normalize_label`."""

    name = "label"
    outputs = ("label",)
    binary = True

    def score(self, predicted: Any, item: Item) -> Score:
        if not isinstance(predicted, str):
            return self._invalid(predicted)
        label = normalize_label(predicted)
        expected = normalize_label(item.expected)
        if expected is None:
            raise ValidationError(
                f"item {item.id!r} has expected={item.expected!r}, which is not a FEVER/SciFact label (the SciFact "
                "test split has no labels: evaluate on 'validation')",
                argument="dataset",
                id=item.id,
            )
        return Score({"label": float(label == expected)}, label, True, None if label else "no label found")


METRICS: dict[str, type[Metric]] = {
    "exact_match": ExactMatch,
    "f1": F1,
    "bleu": Bleu,
    "chrf": Chrf,
    "rouge": Rouge,
    "gsm8k_answer": Gsm8kAnswer,
    "multiple_choice": MultipleChoice,
    "label": Label,
}


def get_metric(metric: str | Metric) -> Metric:
    """A metric instance from its name (``"exact_match"``, ``"pass_at_k"`` ...) or the instance itself."""
    if isinstance(metric, Metric):
        return metric
    if metric == "pass_at_k":
        from crucible_datasets._evaluate_code import PassAtK

        return PassAtK()
    cls = METRICS.get(metric) if isinstance(metric, str) else None
    if cls is None:
        raise ValidationError(
            f"unknown metric {metric!r}; use one of {sorted([*METRICS, 'pass_at_k'])} or a Metric instance",
            argument="metrics",
            value=repr(metric),
        )
    return cls()
