"""crucible_core.answers: table-driven cases in the styles real models answer in, and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crucible_core.answers import (
    NORMALIZERS,
    canonical_json,
    canonical_number,
    choice_normalizer,
    extract_boolean,
    extract_choice,
    extract_json,
    extract_number,
    extract_options,
    get_normalizer,
    normalize_text,
    numbers_equal,
)
from crucible_core.errors import ValidationError

NUMBER_CASES = [
    ("Natalia sold 48/2 = 24 clips in May.\nShe sold 48 + 24 = 72 clips altogether.\n#### 72", "72"),
    ("#### 1,234", "1234"),
    ("The total is 5 + 7 = 12.\n#### $1,234.50 dollars", "1234.50"),
    ("Let me compute: 3 * 4 = 12. The answer is $1,234.50.", "1234.50"),
    ("answer: 12", "12"),
    ("Answer: -3", "-3"),
    ("So the final answer is 18. I hope it is correct.", "18"),
    ("Final Answer: The final answer is $18$. I hope it is correct.", "18"),
    ("The answer is: **42** apples", "42"),
    ("First 2 boxes, then 3 more, so in total she has 12 apples.", "12"),
    ("The distance is 3.5 km.", "3.5"),
    ("It went down to -5 degrees.", "-5"),
    ("The temperature is \u22127 today", "-7"),
    ("She lost -$5 on the deal", "-5"),
    ("The growth was 50%.", "50"),
    ("We need 3/4 of a cup.", "0.75"),
    ("Therefore \\boxed{\\frac{3}{4}}", "0.75"),
    ("x = 2, y = 3, so \\boxed{x+y=5}. Check: 5 - 0 = 5", "5"),
    ("The answer is \\boxed{-\\dfrac{1}{2}}.", "-0.5"),
    ("First \\boxed{3}, but correcting: \\boxed{4}", "4"),
    ("\\boxed{12 \\text{ cm}^2}", "12"),
    ("It costs \\$1{,}000 in total", "1000"),
    ("between 5-10 items", "10"),
    ("The answer is 0.5", "0.5"),
    ("about .25 of them", "0.25"),
    ("Avogadro: 6.02e23", "602000000000000000000000"),
    ("Profit = 1,000,000 - 250,000 = 750,000", "750000"),
    ("On 3/4/2020 she paid 30", "30"),
    ("Model v2 scored 88 points", "88"),
    ("The answer is 12.", "12"),
    ("1,2,3", "3"),
    ("It is 1/0", None),
    ("There is no number here.", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), NUMBER_CASES)
def test_extract_number(text: str, expected: str | None) -> None:
    got = extract_number(text)
    if expected is None:
        assert got is None
    else:
        assert got is not None and canonical_number(got) == canonical_number(Decimal(expected))


def test_number_normaliser_equates_formats() -> None:
    normalise = get_normalizer("number")
    forms = ["1,000", "1000", "1000.0", "$1000", "The answer is $1,000.00.", "#### 1000", "\\boxed{1000}"]
    assert {normalise(f) for f in forms} == {"1000"}
    assert normalise("0.50") == normalise("1/2") == "0.5"
    assert normalise("-0") == "0"
    assert normalise("no digits") is None
    assert extract_number(None) is None


def test_numbers_equal() -> None:
    assert numbers_equal("1,000", 1000) and numbers_equal(Decimal("0.1") + Decimal("0.2"), 0.3)
    assert numbers_equal(0.1 + 0.2, 0.3)
    assert numbers_equal("1/3", "0.3333333")
    assert not numbers_equal("1/3", "0.33")
    assert not numbers_equal(1e-12, 2e-12, abs_tol=0.0, rel_tol=1e-6)
    assert numbers_equal(1e-12, 2e-12)  # within the default abs_tol
    assert not numbers_equal(None, 0) and not numbers_equal("none", "none")
    assert not numbers_equal(float("nan"), float("nan")) and not numbers_equal(float("inf"), float("inf"))
    assert numbers_equal(100, 101, rel_tol=0.01)
    with pytest.raises(ValidationError, match="rel_tol"):
        numbers_equal(1, 1, rel_tol=-1)
    with pytest.raises(ValidationError, match="compares numbers"):
        numbers_equal([1], 1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no number"):
        canonical_number("nothing")


CHOICE_CASES = [
    ("B", None, "B"),
    ("(b)", None, "B"),
    ("**C.**", None, "C"),
    ("The answer is (B).", None, "B"),
    ("Answer: b", None, "B"),
    ("**Answer:** C", None, "C"),
    ("The correct answer is: **D) Paris**", None, "D"),
    ("Let's think step by step. Option A is wrong because... Therefore the answer is C.", None, "C"),
    ("After considering all options, the best option is D.", None, "D"),
    ("The answer is C. Option A is wrong because it is too small.", None, "C"),
    ("**Answer**: B", None, "B"),
    ("I'd go with B", None, "B"),
    ("My choice: (a)", None, "A"),
    ("the answer is a bit tricky, but I pick C", None, "C"),
    ("The answer is A because it is the only prime.", None, "A"),
    ("A is correct.", None, "A"),
    ("**B**\n\nExplanation: ...", None, "B"),
    ("B. Paris is the capital of France.", None, "B"),
    ("c) 42", None, "C"),
    ("Between [A] and [C], I'd say [C]", None, "C"),
    ("I think B fits best.", None, "B"),
    ("A cat is sitting on the mat.", None, None),
    ("A. London\nB. Paris\nC. Rome", None, None),
    ("I think the question is ambiguous.", None, None),
    ("It must be Paris.", ["London", "Paris", "Rome", "Oslo"], "B"),
    ("paris", ["London", "Paris", "Rome", "Oslo"], "B"),
    ("Either London or Paris.", ["London", "Paris", "Rome", "Oslo"], None),
    ("The answer is (E).", None, None),
    ("U.S.A. and D.C. are places.", None, None),
    ("", None, None),
]


@pytest.mark.parametrize(("text", "choices", "expected"), CHOICE_CASES)
def test_extract_choice(text: str, choices: list[str] | None, expected: str | None) -> None:
    assert extract_choice(text, choices=choices) == expected


def test_extract_choice_letters_and_errors() -> None:
    assert extract_choice("The answer is (E).", letters="ABCDE") == "E"
    assert extract_choice("answer: e", letters="abcde") == "E"
    assert extract_choice("I think it's J", letters="ABCDEFGHIJ") == "J"
    assert extract_choice("I think so. Answer: H", letters="ABCDEFGHIJ") == "H"
    assert extract_choice(None) is None
    assert get_normalizer("multiple_choice")("Answer: (d)") == "D"
    with pytest.raises(ValidationError, match="letters"):
        extract_choice("A", letters="")
    with pytest.raises(ValidationError, match="repeat"):
        extract_choice("A", letters="ABA")
    with pytest.raises(ValidationError, match="choices"):
        extract_choice("A", choices=["a", "b", "c", "d", "e"])


NEGATION_CASES = [
    ("I would say C, not A", "C"),
    ("I would say C, not A.", "C"),
    ("Not A, but C.", "C"),
    ("It isn't A; it's B", "B"),
    ("D rather than A", "D"),
    ("B instead of A", "B"),
    ("Instead of A, pick B", "B"),
    ("It is not A or B, so C", "C"),
    ("The answer is not A, it is C", "C"),
    ("**B**, not **A**", "B"),
    ("(C), not (A)", "C"),
    ("I'd go with C, not option A", "C"),
    ("It cannot be A, so D", "D"),
    ("A is wrong, B is right.", "B"),
    ("B is right; A is incorrect.", "B"),
    ("I would say C or D, not A", "C"),  # the first affirmed choice of a sentence that negates one
    ("It is A, definitely not B or C", "A"),
    ("Not A.", None),
    # unchanged behaviour
    ("The answer is (B)", "B"),
    ("B.", "B"),
    ("**B**", "B"),
    ("I'm not sure, but I think B", "B"),
    ("I don't know. A", "A"),
]


@pytest.mark.parametrize(("text", "expected"), NEGATION_CASES)
def test_extract_choice_skips_negated_mentions(text: str, expected: str | None) -> None:
    assert extract_choice(text) == expected


def test_extract_choice_skips_negated_option_texts() -> None:
    planets = ["Mars", "Jupiter", "Venus", "Earth"]
    assert extract_choice("Jupiter, not Mars.", choices=planets) == "B"
    assert extract_choice("It isn't Mars. Jupiter.", choices=planets) == "B"
    assert extract_choice("Rather than Venus, I pick Earth", choices=planets) == "D"
    assert extract_choice("Either Mars or Jupiter.", choices=planets) is None


OPTION_CASES = [
    ("Which planet is largest? A) Mars B) Jupiter C) Venus D) Earth", ["Mars", "Jupiter", "Venus", "Earth"]),
    (
        "Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Earth\nAnswer:",
        ["Mars", "Jupiter", "Venus", "Earth"],
    ),
    ("Which? (A) Mars (B) Jupiter (C) Venus", ["Mars", "Jupiter", "Venus"]),
    ("Pick one.\n(a) red\n(b) blue", ["red", "blue"]),
    ("A: Mars\nB: Jupiter", ["Mars", "Jupiter"]),
    ("[A] yes [B] no", ["yes", "no"]),
    ("Largest? A) Mars, B) Jupiter, C) Venus. Answer with the letter.", ["Mars", "Jupiter", "Venus"]),
    # few-shot: the last list is the question's
    (
        "Q: 1+1?\nA) 1\nB) 2\nAnswer: B. Because.\n\nQ: largest?\nA) Mars\nB) Jupiter\nAnswer:",
        ["Mars", "Jupiter"],
    ),
    # an option that ends with a letter and a full stop is not a label
    ("A. Vitamin A. B. Vitamin C. C. Vitamin D.", ["Vitamin A.", "Vitamin C.", "Vitamin D."]),
    ("Plan A. Then plan B.", []),
    ("A) only one", []),
    ("No options here.", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), OPTION_CASES)
def test_extract_options(text: str, expected: list[str]) -> None:
    options = extract_options(text)
    assert list(options.values()) == expected
    assert "".join(options) == "ABCDEFGHIJ"[: len(expected)]


def test_extract_options_past_d() -> None:
    names = ["Mars", "Jupiter", "Venus", "Earth", "Mercury", "Saturn", "Neptune", "Uranus", "Pluto", "Ceres"]
    text = "Which is ringed?\n" + "\n".join(f"{'ABCDEFGHIJ'[i]}) {n}" for i, n in enumerate(names))
    assert extract_options(text) == dict(zip("ABCDEFGHIJ", names, strict=True))
    normalize = choice_normalizer(extract_options(text))
    assert normalize("Saturn") == "F" and normalize("The answer is (J).") == "J"


def test_choice_normalizer_and_get_normalizer_options() -> None:
    normalize = get_normalizer("multiple_choice", choices=["Mars", "Jupiter", "Venus"])
    assert normalize("Jupiter") == "B" and normalize("The answer is (C)") == "C"
    assert normalize("D") is None  # three options: A-C
    assert choice_normalizer({"A": "Venus", "B": "Mars"})("mars") == "B"
    assert choice_normalizer(["Mars", "Jupiter"], letters="ABCD")("D") == "D"
    assert choice_normalizer()("D") == "D" and choice_normalizer()("Jupiter") is None
    assert get_normalizer("multiple_choice", letters="ABCDEFGHIJ")("I pick H") == "H"
    assert choice_normalizer(["Mars", "Jupiter"]) is choice_normalizer(["Mars", "Jupiter"])  # cached
    with pytest.raises(ValidationError, match="multiple_choice"):
        get_normalizer("number", choices=["1", "2"])
    with pytest.raises(ValidationError, match="choices"):
        choice_normalizer("AB")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="single letters"):
        choice_normalizer({"AB": "x"})
    with pytest.raises(ValidationError, match="contradicts"):
        choice_normalizer({"A": "x", "B": "y"}, letters="XY")
    with pytest.raises(ValidationError, match="choices"):
        choice_normalizer(["a", "b", "c"], letters="AB")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.text(alphabet="ABCDEab().:[] \nxy", max_size=300))
def test_extract_options_never_raises(text: str) -> None:
    options = extract_options(text)
    assert all(len(k) == 1 and k.isupper() and v.strip() for k, v in options.items())
    assert "".join(options) == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(options)]


BOOLEAN_CASES = [
    ("Yes", True),
    ("yes.", True),
    ("No, because the sun rises in the east.", False),
    ("**True**", True),
    ("False. The capital of Australia is Canberra.", False),
    ("The statement is correct.", True),
    ("That is not correct.", False),
    ("That isn't true.", False),
    ("Answer: No", False),
    ("Let me reason. Yes, it seems likely, but after checking, the answer is no.", False),
    ("The claim is supported by the evidence.", True),
    ("The claim is not supported.", False),
    ("REFUTED", False),
    ("Maybe.", None),
    ("It could be true or false.", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), BOOLEAN_CASES)
def test_extract_boolean(text: str, expected: bool | None) -> None:
    assert extract_boolean(text) is expected


JSON_CASES = [
    ('{"b": 1, "a": 2}', '{"a":2,"b":1}'),
    (
        'Here you go:\n```json\n{"name": "Ada", "tags": ["x", "y"]}\n```\nAnything else?',
        '{"name":"Ada","tags":["x","y"]}',
    ),
    ('Result: {"score": 1.0, "ok": true} done', '{"ok":true,"score":1}'),
    ("The list is [3, 1, 2].", "[3,1,2]"),
    ('{"broken": } but later {"fixed": "yes"}', '{"fixed":"yes"}'),
    ('```\n{"é": "ü"}\n```', '{"é":"ü"}'),
    ('See [the docs]. Then {"a": {"c": 1, "b": 2}}', '{"a":{"b":2,"c":1}}'),
    ("no json here", None),
    ("{not json}", None),
]


@pytest.mark.parametrize(("text", "expected"), JSON_CASES)
def test_canonical_json(text: str, expected: str | None) -> None:
    assert canonical_json(text) == expected


def test_json_equal_data_gives_equal_strings() -> None:
    assert canonical_json('{"a": 1, "b": [1.0, 2]}') == canonical_json('prefix {"b":[1,2.0],"a":1.0} suffix')
    assert extract_json("x") == (False, None)
    assert extract_json("[null]") == (True, [None])
    deep = canonical_json("[" * 5000 + "]" * 5000)  # deeper than Python's recursion limit: no crash
    assert deep is None or deep.startswith("[")
    assert canonical_json("[[]]") == "[[]]"


def test_normalize_text_is_squad() -> None:
    assert normalize_text("  The Eiffel   Tower!  ") == "eiffel tower"
    assert normalize_text("An apple, a day.") == "apple day"
    assert normalize_text("Theory of the atom") == "theory of atom"
    assert normalize_text("U.S.A.") == "usa"
    assert normalize_text(None) == ""


def test_get_normalizer() -> None:
    assert get_normalizer("text")("The  Answer!") == "answer"
    assert get_normalizer("text")("  the  ") is None
    assert get_normalizer("exact")("  Paris ") == "Paris"
    assert get_normalizer("boolean")("Yes") is True
    assert get_normalizer("json")('{"a":1}') == '{"a":1}'
    custom = str.upper
    assert get_normalizer(custom) is custom
    with pytest.raises(ValidationError, match="unknown normalizer 'numeric'"):
        get_normalizer("numeric")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_extractors_never_raise_on_arbitrary_text(text: str) -> None:
    number = extract_number(text)
    assert number is None or number.is_finite()
    assert extract_choice(text) in (None, "A", "B", "C", "D")
    assert extract_choice(text, choices=["alpha", "beta"], letters="AB") in (None, "A", "B")
    assert extract_boolean(text) in (None, True, False)
    out = canonical_json(text)
    assert out is None or out[0] in "[{"
    for name, normaliser in NORMALIZERS.items():
        value = normaliser(text)
        hash(value)  # every normalised answer can be counted in a vote
        if name == "text":
            assert value is None or value == normalize_text(text)


answer_like = st.text(alphabet="0123456789.,$%-/ ()#:ABCDabcd*\\{}boxedfracanswerisTheYesNo\n", max_size=80)


@settings(max_examples=300, deadline=None)
@given(answer_like)
def test_extractors_never_raise_on_answer_like_text(text: str) -> None:
    value = extract_number(text)
    if value is not None:
        assert get_normalizer("number")(text) == canonical_number(value)
    extract_choice(text)
    extract_boolean(text)
    canonical_json(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**12), 10**12), st.integers(0, 99))
def test_formatted_numbers_round_trip(whole: int, cents: int) -> None:
    value = Decimal(whole) + (Decimal(cents) / 100 if whole >= 0 else -Decimal(cents) / 100)
    plain = f"{value}"
    grouped = f"{value:,}"
    sign = "-" if value < 0 else ""
    dollars = f"{sign}${abs(value):,}"
    for text in (plain, grouped, dollars, f"The answer is {grouped}.", f"#### {plain}"):
        got = extract_number(text)
        assert got is not None and got == value, text


_STATEMENT_PIECES = st.sampled_from(
    ["answer", "ANSWER", "Answer", "answers", "choice", "Option", "selection", "is", "would be", "must be",
     "(B)", "b", "A", "c)", ":", "-", "=", "**", "letter", " ", "\t", "\n", "x", "optionanswer is d", "ſ"]
)  # fmt: skip


@given(st.lists(_STATEMENT_PIECES, max_size=16).map("".join))
def test_the_fast_statement_scan_finds_what_finditer_finds(text: str) -> None:
    from crucible_core.answers import _choice

    patterns = _choice._patterns("ABCD")
    fast = [(m.span(), m.group("l")) for m in _choice._statements(patterns, text)]
    assert fast == [(m.span(), m.group("l")) for m in patterns.statement.finditer(text)]
