"""Conversion of bus events: derived fields, redaction, values that are not JSON."""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np
import polars as pl
import pytest

from crucible_core import events
from crucible_core.redaction import REDACTED, redact, register_secret
from crucible_telemetry import Telemetry, derive
from crucible_telemetry._convert import sanitise_mapping


@pytest.mark.parametrize(
    ("name", "measurements", "metadata", "expected"),
    [
        (
            "crucible.model.request.stop",
            {"duration_ns": 2.5e6, "prompt_tokens": 12.0, "completion_tokens": 3.0, "cost_usd": 0.001},
            {"model": "gpt", "provider": "openai"},
            (2.5, 0.001, True, None, "gpt", "openai", 12, 3),
        ),
        (
            "crucible.model.request.exception",
            {"duration_ns": 1e6},
            {"model": "gpt", "kind": "timeout", "error_type": "TimeoutError"},
            (1.0, None, False, "timeout", "gpt", None, None, None),
        ),
        (
            "x.exception",
            {},
            {"error_type": "KeyError"},
            (None, None, False, "KeyError", None, None, None, None),
        ),
        ("x.exception", {}, {}, (None, None, False, "error", None, None, None, None)),
        ("x.op.stop", {"duration_ns": 5e5}, {}, (0.5, None, True, None, None, None, None, None)),
        ("x.op.start", {"monotonic_time": 1.0}, {}, (None, None, None, None, None, None, None, None)),
        (
            "my.call",
            {"latency_s": 0.2},
            {"success": False, "kind": "bad"},
            (200.0, None, False, "bad", None, None, None, None),
        ),
        ("my.call", {"latency_ms": 7.0}, {"success": "yes"}, (7.0, None, True, None, None, None, None, None)),
        ("my.flag", {}, {"success": 0}, (None, None, False, "error", None, None, None, None)),
        (
            "my.nan",
            {"duration_ns": math.nan, "cost_usd": math.inf},
            {"model": 3},
            (None, None, None, None, None, None, None, None),
        ),
    ],
)
def test_derived_fields(name, measurements, metadata, expected):
    assert derive(name, measurements, metadata) == expected


def test_secrets_never_reach_the_store_or_exports(tmp_path):
    register_secret("my-registered-secret-value")
    tel = Telemetry(capture_environment=False)
    with tel.experiment("secrets", metadata={"api_key": "sk-proj-AbCdEf0123456789xyzXYZ"}) as exp:
        events.emit(
            "crucible.model.request.stop",
            {"duration_ns": 1e6},
            {
                "api_key": "abc",
                "headers": {"Authorization": "Bearer abcdefghijklmnop", "Accept": "json"},
                "prompt": "use key sk-proj-AbCdEf0123456789xyzXYZ please",
                "messages": [{"role": "user", "content": "token tml-abcdefghijklmnop"}],
                "url": "postgresql://bob:hunter2hunter2@db:5432/x",
                "note": "the my-registered-secret-value leaked?",
                "empty_token": "",
            },
        )
    meta = exp.events()[0].metadata
    assert meta["api_key"] == REDACTED and meta["headers"] == {"Authorization": REDACTED, "Accept": "json"}
    assert meta["prompt"] == f"use key {REDACTED} please"
    assert meta["messages"][0]["content"] == f"token {REDACTED}"
    assert "hunter2hunter2" not in meta["url"] and "my-registered-secret-value" not in meta["note"]
    assert meta["empty_token"] == ""
    assert exp.record.metadata == {"api_key": REDACTED}
    text = exp.export(tmp_path / "e.jsonl").read_text() + (tmp_path / "e.experiment.json").read_text()
    for secret in ("sk-proj-AbCdEf", "abcdefghijklmnop", "hunter2", "my-registered-secret-value"):
        assert secret not in text
    tel.close()


def test_values_that_are_not_json_are_stored_as_repr_and_counted():
    class Color(enum.Enum):
        RED = "red"

    class Opaque:
        def __repr__(self) -> str:
            return "Opaque(sk-proj-AbCdEf0123456789xyzXYZ)"

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    deep: dict = {}
    cursor = deep
    for _ in range(40):
        cursor["d"] = {}
        cursor = cursor["d"]
    measurements: dict[str, Any] = {
        "ok": 1.0,
        "np": np.float32(2.5),
        "flag": True,
        "text": "seven",
        "arr": np.arange(3),
    }
    metadata: dict[Any, Any] = {
        "set": {1, 2},
        "obj": Opaque(),
        "broken": Broken(),
        "color": Color.RED,
        (1, 2): "tuple key",
        3: "int key",
        "np_int": np.int64(4),
        "np_float": np.float64(0.5),
        "deep": deep,
    }
    tel = Telemetry(capture_environment=False)
    with tel.experiment("odd") as exp:
        events.emit("crucible.test.odd", measurements, metadata)
        events.emit("crucible.test.fine", {"x": 1.0}, {"y": [1, 2]})
    odd, fine = exp.events()
    assert odd.measurements == {"ok": 1.0, "np": 2.5, "flag": 1.0}
    assert odd.metadata["invalid_measurements"] == {"text": "'seven'", "arr": "array([0, 1, 2])"}
    assert odd.metadata["set"] == "{1, 2}"
    assert odd.metadata["obj"] == f"Opaque({REDACTED})"  # reprs are redacted too
    assert odd.metadata["broken"] == "<unrepresentable Broken>"
    assert odd.metadata["color"] == "<Color.RED: 'red'>"
    assert odd.metadata["(1, 2)"] == "tuple key" and odd.metadata["3"] == "int key"
    assert (odd.metadata["np_int"], odd.metadata["np_float"]) == (4, 0.5)
    depth, cursor = 0, odd.metadata["deep"]
    while isinstance(cursor, dict):
        cursor, depth = cursor["d"], depth + 1
    assert isinstance(cursor, str) and depth == 31  # beyond 32 levels the rest is a repr
    assert fine.metadata == {"y": [1, 2]}
    # text, arr, set, obj, broken, color, tuple key, deep
    assert exp.record.counters["invalid_values"] == 8
    assert exp.metrics().capture["invalid_values"] == 8
    tel.close()


def test_sanitise_matches_core_redact_on_plain_json():
    value = {
        "password": "p",
        "none_token": None,
        "list": ["Bearer abcdefghijkl", {"secret": 1}],
        "url": "https://u:pw123456@host/x",
    }
    assert sanitise_mapping(value, [0]) == redact(value)


def test_secrets_in_the_experiment_name_and_condition_are_redacted_everywhere(store, store_kind, tmp_path):
    name_secret = "sk-proj-NameSecret0123456789abcdef"
    condition_secret = "tml-conditionsecret0123456789"
    tel = Telemetry(store=store, capture_environment=False)
    with tel.experiment(
        f"run {name_secret}", condition=f"arm {condition_secret}", hypothesis="h", tags=["t"]
    ) as exp:
        events.emit("crucible.model.request.stop", {"duration_ns": 1e6}, {"model": "m"})
        events.emit("crucible.test.other", {"x": 1.0})
    assert exp.record.name == f"run {REDACTED}" and exp.record.condition == f"arm {REDACTED}"
    assert tel.list_experiments(name=f"run {name_secret}")[0].id == exp.id  # the raw name still finds it
    stored = store.get_experiment(exp.id)
    assert (stored.name, stored.condition) == (f"run {REDACTED}", f"arm {REDACTED}")
    captured = exp.events()
    assert len(captured) == 2
    assert {(e.experiment_name, e.condition) for e in captured} == {(f"run {REDACTED}", f"arm {REDACTED}")}
    texts = [stored.model_dump_json(), *(e.model_dump_json() for e in captured), str(exp.frame().to_dicts())]
    for suffix in ("jsonl", "csv", "parquet"):
        path = exp.export(tmp_path / f"events.{suffix}")
        texts.append(path.with_name("events.experiment.json").read_text())
        texts.append(path.read_text() if suffix != "parquet" else str(pl.read_parquet(path).to_dicts()))
    tel.close()
    if store_kind == "sqlite":  # the raw database file, write-ahead log included
        texts += [p.read_bytes().decode("latin-1") for p in store.path.parent.glob(f"{store.path.name}*")]
    for text in texts:
        assert "sk-proj-NameSecret" not in text and "tml-conditionsecret" not in text, text[:500]
        assert "sk-" not in text and "tml-" not in text
