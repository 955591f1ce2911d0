"""``evaluate``: score predictions against a dataset, with a confidence interval per metric."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict

from crucible_core.errors import ValidationError
from crucible_core.events import span
from crucible_core.export import record_to_dict
from crucible_core.stats import bootstrap_ci, wilson_ci
from crucible_datasets._bulk import no_gc_pauses
from crucible_datasets._metrics import Metric, Score, get_metric
from crucible_datasets._registry import find_spec
from crucible_datasets._types import Dataset

__all__ = ["EvaluationResult", "MetricSummary", "evaluate"]


class MetricSummary(BaseModel):
    """Mean of one metric value over the items, with its confidence interval.

    ``ci_method`` is ``"wilson"`` for 0/1 metrics (the mean is a proportion: exact match, accuracy,
    pass@1 with one sample) and ``"bootstrap-<method>"`` otherwise; ``None`` with fewer than two items.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    metric: str
    mean: float
    ci_low: float | None
    ci_high: float | None
    confidence: float
    ci_method: str | None
    n: int
    n_invalid: int


class EvaluationResult(BaseModel):
    """Scores of one set of predictions on one dataset.

    ``accuracy`` is the mean of the primary (first) metric value; ``metrics`` has a
    :class:`MetricSummary` per value (``exact_match``, ``rouge1`` ..., ``pass@1``); ``corpus`` holds
    corpus-level figures (corpus BLEU/chrF); ``items`` one record per item (``id``, ``expected``,
    ``predicted``, ``metadata``, ``valid``, each value and what was extracted) — see :meth:`to_frame`.

    ``metadata`` is the prediction's own ``metadata`` as JSON text (``None`` when it had none): one
    string column survives polars, Parquet, CSV and JSONL unchanged whatever keys each prediction used
    (a struct column would need the same keys in every row). Read it back with ``json.loads``.
    """

    model_config = ConfigDict(frozen=True)

    dataset: str
    split: str
    version: str
    n_items: int
    primary: str
    accuracy: float
    metrics: dict[str, MetricSummary]
    corpus: dict[str, float]
    n_invalid: int
    items: tuple[dict[str, Any], ...]

    def to_frame(self) -> pl.DataFrame:
        """Per-item results as a polars frame (one row per item)."""
        return pl.DataFrame(list(self.items), infer_schema_length=None)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def summary(self) -> str:
        lines = [
            f"{self.dataset} [{self.split}] @ {self.version}: {self.n_items} items, {self.n_invalid} invalid predictions"
        ]
        for s in self.metrics.values():
            ci = (
                f" [{s.ci_low:.4f}, {s.ci_high:.4f}] ({s.confidence:.0%} {s.ci_method})"
                if s.ci_low is not None
                else ""
            )
            lines.append(f"  {s.name:<16} {s.mean:.4f}{ci}")
        for name, value in self.corpus.items():
            lines.append(f"  {name:<16} {value:.4f} (corpus level)")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = "\n".join(
            f"| {s.name} | {s.mean:.4f} | "
            + (f"[{s.ci_low:.4f}, {s.ci_high:.4f}]" if s.ci_low is not None else "–")
            + " |"
            for s in self.metrics.values()
        )
        return f"**{self.dataset}** [{self.split}] — {self.n_items} items\n\n| metric | mean | CI |\n|---|---|---|\n{rows}\n"


def _prediction_records(predictions: Any) -> list[dict[str, Any]]:
    if isinstance(predictions, pl.DataFrame):
        return predictions.to_dicts()
    if isinstance(predictions, dict | str | bytes) or not isinstance(predictions, Iterable):
        raise ValidationError(
            "predictions must be a list of records {'id': ..., 'predicted': ...} or a polars DataFrame with those "
            f"columns; got {type(predictions).__name__}",
            argument="predictions",
        )
    return [r if type(r) is dict else record_to_dict(r, index=i) for i, r in enumerate(predictions)]


def _metadata_json(value: Any, index: int) -> str | None:
    """A prediction's ``metadata`` as JSON text (None when absent).

    A mapping is serialised (non-JSON values as their ``str``); a string must already be the JSON text
    of an object — what a ``metadata`` column of an earlier results frame or a Parquet file holds.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            raise ValidationError(
                f"predictions[{index}]['metadata'] is a string that is not the JSON text of an object; give a "
                "dict (or a JSON object as text)",
                argument="predictions",
                index=index,
            )
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"predictions[{index}]['metadata'] must be a dict (or None); got {type(value).__name__}",
            argument="predictions",
            index=index,
        )
    return json.dumps(dict(value), ensure_ascii=False, default=str)


def _align(records: list[dict[str, Any]], dataset: Dataset) -> tuple[list[Any], list[str | None]]:
    """Predicted values and their metadata (JSON text or None) in dataset order; missing, duplicate or
    unknown ids raise ValidationError."""
    by_id: dict[str, Any] = {}
    metadata_by_id: dict[str, str | None] = {}
    first_index: dict[str, int] = {}
    for index, record in enumerate(records):
        try:
            item_id, value = record["id"], record["predicted"]
        except KeyError:
            raise ValidationError(
                f"predictions[{index}] needs the keys 'id' and 'predicted'; got {sorted(record)}",
                argument="predictions",
                index=index,
            ) from None
        if type(item_id) is not str:
            item_id = str(item_id)
        if item_id in by_id:
            earlier = next(i for i, r in enumerate(records) if str(r["id"]) == item_id)
            raise ValidationError(
                f"duplicate prediction for id {item_id!r} at predictions[{earlier}] and predictions[{index}]; "
                "give one record per item (for pass@k put the n completions in a list)",
                argument="predictions",
                id=item_id,
                index=index,
            )
        by_id[item_id] = value
        metadata_by_id[item_id] = _metadata_json(record.get("metadata"), index)
        first_index.setdefault(item_id, index)
    unknown = by_id.keys() - set(dataset.ids)
    if unknown:
        index = min(first_index[u] for u in unknown)
        item_id = str(records[index]["id"])
        raise ValidationError(
            f"predictions[{index}] has id {item_id!r}, which is not an item of {dataset.name!r} [{dataset.split}]"
            + (f" ({len(unknown)} unknown ids in all)" if len(unknown) > 1 else ""),
            argument="predictions",
            id=item_id,
            index=index,
        )
    if len(by_id) < len(dataset):
        missing = [item_id for item_id in dataset.ids if item_id not in by_id]
        shown = ", ".join(repr(m) for m in missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise ValidationError(
            f"no prediction for item(s) {shown}; predict every item or evaluate a subset with dataset.select(ids)",
            argument="predictions",
            missing=missing[:20],
            n_missing=len(missing),
        )
    ids = dataset.ids
    return [by_id[item_id] for item_id in ids], [metadata_by_id[item_id] for item_id in ids]


def _summarise(
    name: str,
    metric: str,
    binary: bool | None,
    values: np.ndarray,
    n_invalid: int,
    *,
    confidence: float,
    n_resamples: int,
    method: str,
    seed: int,
) -> MetricSummary:
    mean = float(values.mean())
    low: float | None = None
    high: float | None = None
    ci_method: str | None = None
    if values.size >= 2:
        proportion = bool(np.all((values == 0.0) | (values == 1.0)))
        if binary is True or (binary is None and proportion):
            low, high = wilson_ci(int(values.sum()), int(values.size), confidence=confidence)
            ci_method = "wilson"
        else:
            boot = bootstrap_ci(
                values, np.mean, n_resamples=n_resamples, method=method, confidence=confidence, seed=seed
            )
            low, high = boot.ci.low, boot.ci.high
            ci_method = f"bootstrap-{method}"
    return MetricSummary(
        name=name,
        metric=metric,
        mean=mean,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        ci_method=ci_method,
        n=int(values.size),
        n_invalid=n_invalid,
    )


_SCALARS = (str, int, float, bool, type(None))


def _cell(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    return json.dumps(value, default=str)


def evaluate(
    predictions: Any,
    dataset: Dataset,
    metrics: Sequence[str | Metric] | None = None,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    bootstrap_method: str = "bca",
    seed: int = 0,
) -> EvaluationResult:
    """Score ``predictions`` (records ``{"id", "predicted", "metadata"?}`` or a polars frame with those
    columns; ``metadata`` — a dict, or the JSON text of one — is carried into the per-item results as JSON
    text) against ``dataset`` with ``metrics`` (names or :class:`Metric` instances; default: the
    dataset's own metric — ``multiple_choice`` for MMLU, ``gsm8k_answer`` for GSM8K, ``pass_at_k`` for
    HumanEval, ``label`` for SciFact/FEVER, else ``exact_match``).

    Every item needs exactly one prediction. A prediction that is not usable text scores 0 and is
    counted in ``n_invalid``. Each metric value's mean gets a ``confidence`` interval: Wilson for 0/1
    metrics (exact match, accuracies, pass@1 with one sample), otherwise a seeded bootstrap of the mean
    (``bootstrap_method``, ``n_resamples``).

        >>> result = evaluate([{"id": "0", "predicted": "Paris"}], ds, ["exact_match"])  # doctest: +SKIP
        >>> result.accuracy  # doctest: +SKIP
        1.0
    """
    if not isinstance(dataset, Dataset):
        raise ValidationError(
            f"dataset must be a Dataset (from load_dataset); got {type(dataset).__name__}", argument="dataset"
        )
    if len(dataset) == 0:
        raise ValidationError("dataset has no items to evaluate", argument="dataset")
    if metrics is None:
        spec = find_spec(dataset.name)
        metrics = list(spec.default_metrics) if spec is not None else ["exact_match"]
    if isinstance(metrics, str) or not metrics:
        raise ValidationError(
            f"metrics must be a non-empty list such as ['exact_match', 'f1']; got {metrics!r}",
            argument="metrics",
        )
    resolved = [get_metric(m) for m in metrics]
    predicted, prediction_metadata = _align(_prediction_records(predictions), dataset)
    items = list(dataset)
    with (
        span("crucible.datasets.evaluate", dataset=dataset.name, metrics=[m.name for m in resolved]) as sp,
        no_gc_pauses(),
    ):
        scores: dict[str, list[Score]] = {}
        corpus: dict[str, float] = {}
        for metric in resolved:
            scores[metric.name] = metric.score_many(predicted, items)
            corpus.update(metric.corpus(predicted, items))
        summaries: dict[str, MetricSummary] = {}
        for metric in resolved:
            metric_scores = scores[metric.name]
            invalid = sum(not s.valid for s in metric_scores)
            for output in metric.outputs:
                values = np.fromiter(
                    (s.values[output] for s in metric_scores), dtype=np.float64, count=len(items)
                )
                summaries[output] = _summarise(
                    output,
                    metric.name,
                    metric.binary,
                    values,
                    invalid,
                    confidence=confidence,
                    n_resamples=n_resamples,
                    method=bootstrap_method,
                    seed=seed,
                )
        rows = [
            {
                "id": item.id,
                "expected": _cell(item.expected),
                "predicted": _cell(value),
                "metadata": meta,
                "valid": True,
            }
            for item, value, meta in zip(items, predicted, prediction_metadata, strict=True)
        ]
        for metric in resolved:
            extracted_key = f"{metric.name}.extracted"
            for row, score in zip(rows, scores[metric.name], strict=True):
                row.update(score.values)
                row[extracted_key] = _cell(score.extracted)
                if not score.valid:
                    row["valid"] = False
        n_invalid = sum(not row["valid"] for row in rows)
        primary = resolved[0].outputs[0]
        sp.measure(items=float(len(items)), invalid=float(n_invalid))
    return EvaluationResult.model_construct(
        dataset=dataset.name,
        split=dataset.split,
        version=dataset.version,
        n_items=len(items),
        primary=primary,
        accuracy=summaries[primary].mean,
        metrics=summaries,
        corpus=corpus,
        n_invalid=n_invalid,
        items=tuple(rows),
    )
