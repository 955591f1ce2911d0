"""Metrics against hand-computed values; robustness on arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crucible_core.errors import ValidationError
from crucible_datasets import (
    F1,
    Bleu,
    Chrf,
    ExactMatch,
    Gsm8kAnswer,
    Item,
    Label,
    MultipleChoice,
    Rouge,
    get_metric,
    normalize_label,
    rouge_scores,
    token_f1,
)


def item(expected: object, **inputs: object) -> Item:
    return Item(id="x", input=dict(inputs), expected=expected)


def test_exact_match_normalises_text_and_compares_bare_numbers_with_tolerance() -> None:
    em = ExactMatch()
    assert em.score("  The Eiffel Tower! ", item("eiffel tower")).values == {"exact_match": 1.0}
    assert em.score("1,000", item("1000")).values["exact_match"] == 1.0
    assert em.score("$1000.00", item("1000")).values["exact_match"] == 1.0
    assert em.score("1000.0000001", item("1000")).values["exact_match"] == 1.0
    assert ExactMatch(rel_tol=0.0).score("1000.0000001", item("1000")).values["exact_match"] == 0.0
    assert em.score("I have 4 apples", item("4")).values["exact_match"] == 0.0  # not a bare number
    assert em.score("Rome", item(["Paris", "rome"])).values["exact_match"] == 1.0
    assert em.score(4, item("4")).values["exact_match"] == 1.0
    invalid = em.score(None, item("4"))
    assert invalid.values == {"exact_match": 0.0} and not invalid.valid


def test_token_f1_hand_computed() -> None:
    # normalised: [cat, sat, on, mat] vs [cat, sat, on, hat]: overlap 3, P = R = 3/4
    assert token_f1("The cat sat on the mat.", "a cat sat on a hat") == pytest.approx(0.75)
    # [x, b, b] vs [b, b, c, d]: overlap 2 (with multiplicity), P = 2/3, R = 2/4, F = 4/7
    assert token_f1("x b b", "b b c d") == pytest.approx(4 / 7)
    assert token_f1("", "") == 1.0 and token_f1("the", "cat") == 0.0
    assert F1().score("Paris", item(["London", "Paris France"])).values["f1"] == pytest.approx(2 / 3)


def test_rouge_hand_computed_cases() -> None:
    # Lin (2004): candidate 7 tokens, reference 6, unigram overlap 6, bigram overlap 4 (of 6 / 5), LCS 6
    scores = rouge_scores("the cat was found under the bed", ["the cat was under the bed"])
    assert scores["rouge1"] == pytest.approx(12 / 13)
    assert scores["rouge2"] == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))
    assert scores["rougeL"] == pytest.approx(12 / 13)
    # Lin's sentences S1/S2/S3: ROUGE-L of "police killed the gunman" is 3/4, of "the gunman kill police" 1/2
    assert rouge_scores("police killed the gunman", ["police kill the gunman"]) == pytest.approx(
        {"rouge1": 0.75, "rouge2": 1 / 3, "rougeL": 0.75}
    )
    assert rouge_scores("the gunman kill police", ["police kill the gunman"])["rougeL"] == pytest.approx(0.5)
    assert rouge_scores("Hello, WORLD!", ["hello world"]) == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert rouge_scores("", ["something"]) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    best = Rouge().score("police kill", item(["the gunman", "police kill the gunman"]))
    assert best.values["rouge1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_bleu_and_chrf_are_scaled_to_unit_interval() -> None:
    same = item("the quick brown fox jumps over the lazy dog")
    assert Bleu().score("the quick brown fox jumps over the lazy dog", same).values["bleu"] == pytest.approx(
        1.0
    )
    assert Chrf().score("the quick brown fox jumps over the lazy dog", same).values["chrf"] == pytest.approx(
        1.0
    )
    assert Bleu().score("zzz qqq", same).values["bleu"] < 0.05
    partial = Chrf().score("the quick brown cat", same).values["chrf"]
    assert 0.0 < partial < 1.0
    corpus = Bleu().corpus(["the quick brown fox jumps over the lazy dog"], [same])
    assert corpus == {"corpus_bleu": pytest.approx(1.0)}


def test_gsm8k_answer_reads_the_final_number() -> None:
    metric = Gsm8kAnswer()
    for text in (
        "so 16 - 3 - 4 = 9 eggs\n#### 18",
        "The answer is $18.",
        "9 * 2 = 18 dollars",
        "\\boxed{18}",
    ):
        assert metric.score(text, item("18")).values["gsm8k_answer"] == 1.0, text
    assert metric.score("$14,400,000 per year", item("14400000")).extracted == "14400000"
    wrong = metric.score("#### 17", item("18"))
    assert wrong.values["gsm8k_answer"] == 0.0 and wrong.extracted == "17"
    none = metric.score("I don't know", item("18"))
    assert none.values["gsm8k_answer"] == 0.0 and none.valid and none.detail == "no number found"


def test_multiple_choice_extracts_letters_and_option_texts() -> None:
    metric = MultipleChoice()
    mmlu = item("B", question="degree?", choices=["0", "4", "2", "6"])
    assert metric.score("Let me think... the answer is (B).", mmlu).values["multiple_choice"] == 1.0
    assert metric.score("**Answer:** b", mmlu).extracted == "B"
    paris = item("B", choices=["London", "Paris", "Rome", "Oslo"])
    assert metric.score("It must be Paris.", paris).values["multiple_choice"] == 1.0
    assert metric.score("A cat is not a dog.", paris).extracted is None
    five = item("E", choices=["a", "b", "c", "d", "e"])
    assert metric.score("Answer: E", five).values["multiple_choice"] == 1.0


def test_label_normalisation_across_fever_scifact_and_free_text() -> None:
    cases = {
        "SUPPORTS": "SUPPORTS",
        "support": "SUPPORTS",
        "CONTRADICT": "REFUTES",
        "NOT_ENOUGH_INFO": "NOT ENOUGH INFO",
        "NOT ENOUGH INFO": "NOT ENOUGH INFO",
        "entailment": "SUPPORTS",
        "The claim is refuted by the evidence.": "REFUTES",
        "The claim is not supported.": "REFUTES",
        "There is not enough information to decide.": "NOT ENOUGH INFO",
        "The abstract contradicts the claim": "REFUTES",
        "It does not contradict it.": "SUPPORTS",
        "Answer: true": "SUPPORTS",
        "hmm": None,
    }
    for text, expected in cases.items():
        assert normalize_label(text) == expected, text
    metric = Label()
    assert metric.score("Refutes", item("CONTRADICT")).values["label"] == 1.0
    assert metric.score("Supported.", item("NOT ENOUGH INFO")).values["label"] == 0.0
    with pytest.raises(ValidationError, match="not a FEVER/SciFact label"):
        metric.score("SUPPORTS", item(None))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # negated support reads as REFUTES, like "not supported" always did
        ("The evidence does not support the claim", "REFUTES"),
        ("The evidence doesn't support the claim.", "REFUTES"),
        ("The evidence doesn’t support the claim.", "REFUTES"),
        ("The claim is not supported.", "REFUTES"),
        ("The claim is not fully supported by the abstract.", "REFUTES"),
        ("There is no support for this claim.", "REFUTES"),
        ("None of the abstracts support the claim.", "REFUTES"),
        ("The study fails to support it.", "REFUTES"),
        ("The claim is unsupported.", "REFUTES"),
        # and negated refutation as SUPPORTS, like "does not contradict"
        ("The evidence does not refute the claim", "SUPPORTS"),
        ("It is not contradicted by the abstract.", "SUPPORTS"),
        ("No doubt the evidence supports the claim.", "SUPPORTS"),
        ("The abstract not only supports the claim, it proves it.", "SUPPORTS"),
        ("The claim is disproved by the evidence.", "REFUTES"),
        # not enough information, however it is phrased
        ("There is not enough information to decide.", "NOT ENOUGH INFO"),
        ("Not enough evidence.", "NOT ENOUGH INFO"),
        ("There is insufficient evidence.", "NOT ENOUGH INFO"),
        ("The evidence is insufficient to judge.", "NOT ENOUGH INFO"),
        ("The evidence is not sufficient.", "NOT ENOUGH INFO"),
        ("It cannot be determined from the text.", "NOT ENOUGH INFO"),
        ("The evidence neither supports nor refutes the claim.", "NOT ENOUGH INFO"),
        ("The abstract does not support or refute the claim.", "NOT ENOUGH INFO"),
        # answer statements win over the reasoning before them; mixed verdicts give no label
        ("It supports part and refutes part. Final answer: REFUTES", "REFUTES"),
        ("Answer: the evidence does not support the claim", "REFUTES"),
        ("The label is not enough info.", "NOT ENOUGH INFO"),
        ("It supports the first half but refutes the second.", None),
    ],
)
def test_label_negation_is_read_the_same_way_in_every_phrasing(text: str, expected: str | None) -> None:
    assert normalize_label(text) == expected
    if expected is not None:
        score = Label().score(text, item(expected))
        assert score.values["label"] == 1.0 and score.extracted == expected


def test_get_metric_by_name_and_unknown_names() -> None:
    assert isinstance(get_metric("rouge"), Rouge)
    assert get_metric("pass_at_k").outputs == ("pass@1",)
    with pytest.raises(ValidationError, match="unknown metric 'accuracy'"):
        get_metric("accuracy")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(prediction=st.text(max_size=200), reference=st.text(max_size=60))
def test_metrics_never_crash_and_stay_in_unit_interval(prediction: str, reference: str) -> None:
    target = item(reference, choices=["a", "b", "c", "d"])
    for metric in (ExactMatch(), F1(), Rouge(), Bleu(), Chrf(), Gsm8kAnswer(), MultipleChoice()):
        score = metric.score(prediction, target)
        assert all(0.0 <= v <= 1.0 + 1e-12 for v in score.values.values()), (metric, score)
    assert normalize_label(prediction) in (None, "SUPPORTS", "REFUTES", "NOT ENOUGH INFO")
