"""Custom files: .jsonl, .json, .csv, .parquet mapped with ``fields``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from crucible_core.errors import DataError, NotFoundError, ValidationError
from crucible_core.export import write_records
from crucible_datasets import DownloadOptions, load_dataset

ROWS = [
    {"qid": "q1", "question": "Capital of France?", "answer": "Paris", "topic": "geo"},
    {"qid": "q2", "question": "2 + 2?", "answer": "4", "topic": "math"},
    {"qid": "q3", "question": "Largest planet?", "answer": "Jupiter", "topic": "astro"},
]
FIELDS = {"input": "question", "expected": "answer", "id": "qid", "metadata": ["topic"]}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet", ".json"])
def test_every_format_maps_the_same_items(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"qa{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps({"data": ROWS}))
    else:
        write_records(ROWS, path)
    ds = load_dataset(str(path), fields=FIELDS)
    assert ds.name == "qa" and ds.split == "all" and len(ds) == 3
    assert ds["q2"].input == {"question": "2 + 2?"}
    assert ds["q2"].expected == "4" and ds["q2"].metadata == {"topic": "math"}
    assert ds.version.startswith("sha256:") and ds.metadata.files[0].size == path.stat().st_size


def test_defaults_number_rows_and_use_remaining_columns_as_input(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    write_records(ROWS, path)
    ds = load_dataset(str(path), fields={"expected": "answer"}, split="dev")
    assert ds.ids == ["0", "1", "2"] and ds.split == "dev"
    assert ds[0].input == {"qid": "q1", "question": "Capital of France?", "topic": "geo"}


def test_multi_column_input_and_sampling(tmp_path: Path) -> None:
    path = tmp_path / "qa.parquet"
    pl.DataFrame(ROWS * 1).write_parquet(path)
    ds = load_dataset(str(path), fields={"input": ["question", "topic"], "id": "qid"}, sample_size=2, seed=9)
    assert len(ds) == 2 and set(ds[0].input) == {"question", "topic"} and ds[0].expected is None


def test_bad_files_name_the_line_row_and_fix(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "ok", "answer": "1"}\n{"question": oops}\n')
    with pytest.raises(DataError, match="line 2 is not valid JSON"):
        load_dataset(str(broken), fields=FIELDS)
    missing = tmp_path / "missing.jsonl"
    write_records(
        [{"qid": "a", "question": "x", "answer": "y", "topic": "t"}, {"qid": "b", "question": "z"}], missing
    )
    with pytest.raises(DataError, match="row 1 has no column 'answer'"):
        load_dataset(str(missing), fields=FIELDS)
    dup = tmp_path / "dup.jsonl"
    write_records([{"qid": "a", "question": "x"}, {"qid": "a", "question": "y"}], dup)
    with pytest.raises(DataError, match="rows 0 and 1 share the id 'a'"):
        load_dataset(str(dup), fields={"id": "qid"})
    not_list = tmp_path / "scalar.json"
    not_list.write_text("42")
    with pytest.raises(DataError, match="must hold a JSON array"):
        load_dataset(str(not_list))
    with pytest.raises(ValidationError, match=r"unknown key\(s\) \['target'\]"):
        load_dataset(str(missing), fields={"target": "answer"})
    with pytest.raises(NotFoundError, match="no such file"):
        load_dataset(str(tmp_path / "absent.jsonl"))


def test_hub_options_on_a_local_file_raise_naming_the_argument(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    write_records(ROWS, path)
    hub_options: dict[str, Any] = {"config": "main", "revision": "v2", "download_options": DownloadOptions()}
    for argument, value in hub_options.items():
        with pytest.raises(ValidationError, match=rf"{argument}=.* applies to built-in datasets") as info:
            load_dataset(str(path), fields=FIELDS, **{argument: value})
        assert info.value.details["argument"] == argument
        assert f"drop {argument}" in str(info.value)
    # a local file needs no download, so offline=True (and offline=False) mean what they say
    for offline in (True, False):
        assert load_dataset(str(path), fields=FIELDS, offline=offline).ids == ["q1", "q2", "q3"]


def test_seed_without_sample_size_raises(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    write_records(ROWS, path)
    with pytest.raises(ValidationError, match="seed=3 has no effect without sample_size") as info:
        load_dataset(str(path), fields=FIELDS, seed=3)
    assert info.value.details["argument"] == "seed"
    with pytest.raises(ValidationError, match="without sample_size"):
        load_dataset("gsm8k", seed=0)  # checked before anything is downloaded
    assert load_dataset(str(path), fields=FIELDS, sample_size=3, seed=3).metadata.sampling is not None
