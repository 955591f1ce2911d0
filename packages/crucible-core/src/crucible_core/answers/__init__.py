"""Turn model text into comparable answers: one implementation for metrics and for voting.

Text normalisation as in SQuAD, numbers as in GSM8K, multiple-choice letters, yes/no verdicts and
JSON. Extractors return None when a text holds no answer and never raise on arbitrary text; the
named normalisers (:func:`get_normalizer`) return hashable values so that equal answers compare and
count equal (crucible-datasets' exact-match metrics, crucible-ensemble's majority vote).

    >>> from crucible_core.answers import extract_number, extract_choice, get_normalizer
    >>> extract_number("So she has 3 + 9 = 12 apples.\\n#### 12")
    Decimal('12')
    >>> extract_choice("**Answer:** (c)")
    'C'
    >>> get_normalizer("multiple_choice", choices=extract_options("A) Mars B) Jupiter"))("Jupiter")
    'B'
    >>> get_normalizer("number")("$1,000") == get_normalizer("number")("1000.0")
    True
"""

from crucible_core.answers._boolean import extract_boolean
from crucible_core.answers._choice import extract_choice
from crucible_core.answers._json import canonical_json, extract_json
from crucible_core.answers._normalizers import NORMALIZERS, Normalizer, get_normalizer
from crucible_core.answers._numbers import canonical_number, extract_number, numbers_equal
from crucible_core.answers._options import Choices, choice_normalizer, extract_options
from crucible_core.answers._text import normalize_text

__all__ = [
    "NORMALIZERS",
    "Choices",
    "Normalizer",
    "canonical_json",
    "canonical_number",
    "choice_normalizer",
    "extract_boolean",
    "extract_choice",
    "extract_json",
    "extract_number",
    "extract_options",
    "get_normalizer",
    "normalize_text",
    "numbers_equal",
]
