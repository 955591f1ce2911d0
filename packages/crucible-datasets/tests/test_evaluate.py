"""``evaluate``: alignment by id, default metrics, confidence intervals, per-item frames, pass@k."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from crucible_core.errors import ValidationError
from crucible_core.stats import bootstrap_ci, wilson_ci
from crucible_datasets import (
    Dataset,
    DatasetMetadata,
    Item,
    PassAtK,
    SandboxLimits,
    evaluate,
    load_dataset,
)


def qa_dataset() -> Dataset:
    rows = [("q1", "Paris"), ("q2", "the Pacific Ocean"), ("q3", "1,000"), ("q4", "Jupiter")]
    items = [Item(id=i, input={"question": i}, expected=a) for i, a in rows]
    return Dataset(
        "qa",
        items,
        split="test",
        version="v1",
        metadata=DatasetMetadata(source="t", loaded_at=datetime.now(UTC)),
    )


def test_gsm8k_accuracy_with_wilson_interval(hub) -> None:
    ds = load_dataset("gsm8k", config="socratic")
    predictions = [
        {"id": "socratic/test/0", "predicted": "She makes 9 * 2 = $18.\n#### 18"},
        {"id": "socratic/test/1", "predicted": "The answer is 4."},
        {"id": "socratic/test/2", "predicted": "It pays $14,400,000 a year.", "metadata": {"model": "m"}},
    ]
    result = evaluate(predictions, ds)
    assert result.primary == "gsm8k_answer" and result.accuracy == pytest.approx(2 / 3)
    summary = result.metrics["gsm8k_answer"]
    assert (summary.ci_low, summary.ci_high) == pytest.approx(tuple(wilson_ci(2, 3)))
    assert summary.ci_method == "wilson" and summary.n == 3 and result.n_invalid == 0
    frame = result.to_frame()
    assert frame["gsm8k_answer.extracted"].to_list() == ["18", "4", "14400000"]
    assert frame["gsm8k_answer"].to_list() == [1.0, 0.0, 1.0]
    assert "gsm8k_answer     0.6667" in result.summary()
    assert result.to_dict()["metrics"]["gsm8k_answer"]["n"] == 3


def test_prediction_metadata_reaches_the_per_item_results_and_round_trips(tmp_path) -> None:
    ds = qa_dataset()
    records = [
        {"id": "q1", "predicted": "Paris", "metadata": {"model": "m1", "latency_ms": 12.5, "tags": ["a"]}},
        {"id": "q2", "predicted": "Pacific", "metadata": {"model": "m2", "note": "café"}},
        {"id": "q3", "predicted": "1000"},
        {"id": "q4", "predicted": "Mars", "metadata": None},
    ]
    expected = [
        {"model": "m1", "latency_ms": 12.5, "tags": ["a"]},
        {"model": "m2", "note": "café"},
        None,
        None,
    ]

    def decoded(values: list[str | None]) -> list[object]:
        return [None if v is None else json.loads(v) for v in values]

    result = evaluate(records, ds, ["exact_match"])
    assert decoded([row["metadata"] for row in result.items]) == expected
    frame = result.to_frame()
    assert frame.schema["metadata"] == pl.String and decoded(frame["metadata"].to_list()) == expected
    frame.write_parquet(tmp_path / "items.parquet")
    assert pl.read_parquet(tmp_path / "items.parquet")["metadata"].to_list() == frame["metadata"].to_list()
    assert decoded([r["metadata"] for r in result.to_dict()["items"]]) == expected
    # a frame of predictions: a struct column, or the JSON text column of an earlier results frame
    struct_frame = pl.DataFrame(
        {
            "id": ["q1", "q2", "q3", "q4"],
            "predicted": ["Paris", "x", "y", "z"],
            "metadata": [{"model": "m1", "seed": 1}, {"model": "m2", "seed": 2}, None, None],
        }
    )
    from_struct = evaluate(struct_frame, ds, ["exact_match"]).to_frame()
    assert decoded(from_struct["metadata"].to_list()) == [
        {"model": "m1", "seed": 1},
        {"model": "m2", "seed": 2},
        None,
        None,
    ]
    text_frame = frame.select("id", "predicted", "metadata")
    again = evaluate(text_frame, ds, ["exact_match"]).to_frame()
    assert again["metadata"].to_list() == frame["metadata"].to_list()
    with pytest.raises(ValidationError, match=r"predictions\[1\]\['metadata'\] must be a dict"):
        evaluate([{"id": "q1", "predicted": "a"}, {"id": "q2", "predicted": "b", "metadata": [1]}], ds)
    with pytest.raises(ValidationError, match=r"predictions\[0\]\['metadata'\] is a string"):
        evaluate([{"id": "q1", "predicted": "a", "metadata": "not json"}], ds)


def test_default_metric_for_mmlu_and_frame_predictions(hub) -> None:
    ds = load_dataset("mmlu", config="abstract_algebra")
    frame = pl.DataFrame({"id": ds.ids, "predicted": ["The answer is B", "(a)"]})
    result = evaluate(frame, ds)
    assert list(result.metrics) == ["multiple_choice"] and result.accuracy == 0.5
    assert [row["multiple_choice.extracted"] for row in result.items] == ["B", "A"]


def test_text_metrics_with_bootstrap_intervals() -> None:
    ds = qa_dataset()
    preds = [
        {"id": "q1", "predicted": "Paris"},
        {"id": "q2", "predicted": "Pacific"},
        {"id": "q3", "predicted": "1000"},
        {"id": "q4", "predicted": None},
    ]
    result = evaluate(preds, ds, ["exact_match", "f1", "rouge", "bleu", "chrf"], seed=7, n_resamples=500)
    assert result.metrics["exact_match"].mean == pytest.approx(0.5)
    f1_values = [1.0, 2 * 1.0 * 0.5 / 1.5, 1.0, 0.0]  # q3 normalises "1,000" -> "1000": an exact token
    assert result.metrics["f1"].mean == pytest.approx(np.mean(f1_values))
    boot = bootstrap_ci(np.array(f1_values), np.mean, n_resamples=500, method="bca", seed=7)
    assert (result.metrics["f1"].ci_low, result.metrics["f1"].ci_high) == pytest.approx(
        (boot.ci.low, boot.ci.high)
    )
    assert result.metrics["f1"].ci_method == "bootstrap-bca"
    assert set(result.metrics) == {"exact_match", "f1", "rouge1", "rouge2", "rougeL", "bleu", "chrf"}
    assert result.n_invalid == 1 and result.metrics["rouge1"].n_invalid == 1
    assert result.to_frame().filter(pl.col("id") == "q4")["valid"].to_list() == [False]
    assert "corpus_bleu" in result.corpus and "corpus_chrf" in result.corpus
    again = evaluate(preds, ds, ["f1"], seed=7, n_resamples=500)
    assert again.metrics["f1"] == result.metrics["f1"]


def test_missing_duplicate_and_unknown_ids_are_named() -> None:
    ds = qa_dataset()
    full = [{"id": i, "predicted": "x"} for i in ds.ids]
    with pytest.raises(ValidationError, match=r"no prediction for item\(s\) 'q4'"):
        evaluate(full[:3], ds, ["exact_match"])
    with pytest.raises(
        ValidationError, match=r"duplicate prediction for id 'q1' at predictions\[0\] and predictions\[4\]"
    ):
        evaluate([*full, {"id": "q1", "predicted": "y"}], ds, ["exact_match"])
    with pytest.raises(ValidationError, match=r"predictions\[4\] has id 'q9'"):
        evaluate([*full, {"id": "q9", "predicted": "y"}], ds, ["exact_match"])
    with pytest.raises(ValidationError, match="needs the keys 'id' and 'predicted'"):
        evaluate([{"id": "q1", "answer": "x"}], ds, ["exact_match"])
    with pytest.raises(ValidationError, match="metrics must be a non-empty list"):
        evaluate(full, ds, "exact_match")  # type: ignore[arg-type]
    subset = evaluate(full[:2], ds.select(["q1", "q2"]), ["exact_match"])
    assert subset.n_items == 2


def test_label_metric_on_scifact_and_fever(hub) -> None:
    fever = load_dataset("fever")
    preds = [
        {"id": "62037", "predicted": "SUPPORTS"},
        {"id": "78526", "predicted": "The claim is supported."},
        {"id": "137637", "predicted": "Not enough information."},
    ]
    assert evaluate(preds, fever).accuracy == pytest.approx(2 / 3)
    scifact = load_dataset("scifact")
    preds = [
        {"id": "3", "predicted": "SUPPORT"},
        {"id": "5", "predicted": "NEI"},
        {"id": "7", "predicted": "refutes"},
    ]
    assert evaluate(preds, scifact).accuracy == 1.0
    withheld = load_dataset("scifact", split="test")
    with pytest.raises(ValidationError, match="evaluate on 'validation'"):
        evaluate([{"id": i, "predicted": "SUPPORT"} for i in withheld.ids], withheld)


def test_pass_at_k_through_evaluate() -> None:
    ds = load_dataset("humaneval", config="wheel").select([0, 1, 2])
    preds = [
        {"id": "HumanEval/0", "predicted": [ds[0].expected, "    return True\n"]},
        {"id": "HumanEval/1", "predicted": [ds[1].expected, ds[1].expected]},
        {"id": "HumanEval/2", "predicted": None},
    ]
    metric = PassAtK(k=(1, 2), limits=SandboxLimits(timeout_s=5.0), workers=2)
    result = evaluate(preds, ds, [metric])
    rows = {row["id"]: row for row in result.items}
    assert rows["HumanEval/0"]["pass@1"] == 0.5 and rows["HumanEval/0"]["pass@2"] == 1.0
    assert rows["HumanEval/1"]["pass@1"] == 1.0 and rows["HumanEval/1"]["pass_at_k.extracted"] == "2/2"
    assert rows["HumanEval/2"]["pass@1"] == 0.0 and not rows["HumanEval/2"]["valid"]
    assert result.metrics["pass@1"].mean == pytest.approx(0.5)
    assert result.metrics["pass@2"].mean == pytest.approx(2 / 3)
    with pytest.raises(ValidationError, match="too few for pass@2"):
        evaluate([{"id": i, "predicted": "    pass\n"} for i in ds.ids], ds, [metric])
