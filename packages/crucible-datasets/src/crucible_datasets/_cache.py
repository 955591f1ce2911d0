"""The on-disk dataset cache: ``{root}/{owner--repo}/{revision}/{path}`` plus a manifest per revision.

The root is ``$CRUCIBLE_CACHE_DIR`` when set, otherwise ``platformdirs.user_cache_dir("crucible")/
datasets``. Each ``{owner--repo}/{revision}/manifest.json`` holds, for every file, its sha256, size,
source URL, download time and, when the hub sent it, the commit the revision pointed at. The first download of a file records its digest; every later load
recomputes the file's sha256 and compares (a few milliseconds per MB), so a file changed on disk is
caught before it is parsed. Nothing in the cache is deleted except by :func:`clear_cache`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from filelock import FileLock
from pydantic import BaseModel, ConfigDict

from crucible_core.errors import DataError
from crucible_core.export import atomic_write

__all__ = ["CachedFile", "cache_root", "clear_cache", "list_cached"]

MANIFEST = "manifest.json"
_HASH_CHUNK = 1 << 20


class CachedFile(BaseModel):
    """One file in the cache, as recorded in its manifest."""

    model_config = ConfigDict(frozen=True)

    repo: str
    revision: str
    path: str
    sha256: str
    size: int
    url: str | None
    downloaded_at: str | None
    local_path: str
    commit: str | None = None


def cache_root() -> Path:
    """The cache directory (``$CRUCIBLE_CACHE_DIR`` or the platform's user cache dir)."""
    override = os.environ.get("CRUCIBLE_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("crucible", appauthor=False)) / "datasets"


def safe_segment(text: str) -> str:
    """``cais/mmlu`` -> ``cais--mmlu``; ``refs/convert/parquet`` -> ``refs--convert--parquet``."""
    return text.replace("\\", "--").replace("/", "--")


def revision_dir(repo: str, revision: str, *, root: Path | None = None) -> Path:
    return (root or cache_root()) / safe_segment(repo) / safe_segment(revision)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.exists():
        return {"files": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(
            f"the cache manifest {str(path)!r} is unreadable ({exc}); remove that dataset's cache with "
            "clear_cache(name) and load it again",
            path=str(path),
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise DataError(
            f"the cache manifest {str(path)!r} has no 'files' mapping; remove that dataset's cache with "
            "clear_cache(name) and load it again",
            path=str(path),
        )
    return data


def record_file(
    directory: Path,
    repo: str,
    revision: str,
    path: str,
    *,
    sha256: str,
    size: int,
    url: str,
    commit: str | None = None,
) -> None:
    """Add or replace one file's entry in the manifest (read-modify-write under a file lock).

    ``commit`` is the hub's ``X-Repo-Commit`` for ``revision`` at download time (kept only when known).
    """
    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / ".manifest.lock")):
        data = read_manifest(directory)
        data["repo"] = repo
        data["revision"] = revision
        data["files"][path] = {
            "sha256": sha256,
            "size": size,
            "url": url,
            "downloaded_at": datetime.now(UTC).isoformat(),
            **({"commit": commit} if commit else {}),
        }
        with atomic_write(directory / MANIFEST, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)


def list_cached() -> list[CachedFile]:
    """Every file in the cache with its recorded sha256 and size, sorted by repo, revision, path."""
    root = cache_root()
    out: list[CachedFile] = []
    if not root.is_dir():
        return out
    for manifest in sorted(root.glob(f"*/*/{MANIFEST}")):
        data = read_manifest(manifest.parent)
        repo = str(data.get("repo", manifest.parent.parent.name.replace("--", "/", 1)))
        revision = str(data.get("revision", manifest.parent.name))
        for path, entry in sorted(data["files"].items()):
            out.append(
                CachedFile(
                    repo=repo,
                    revision=revision,
                    path=path,
                    sha256=str(entry.get("sha256", "")),
                    size=int(entry.get("size", 0)),
                    url=entry.get("url"),
                    downloaded_at=entry.get("downloaded_at"),
                    local_path=str(manifest.parent / path),
                    commit=entry.get("commit") if isinstance(entry.get("commit"), str) else None,
                )
            )
    return out


def clear_cache(name: str | None = None) -> int:
    """Delete cached files and return how many data files were removed.

    ``name`` is a built-in dataset name (``"mmlu"``) or a hub repository (``"cais/mmlu"``); ``None``
    clears every dataset in the cache. Only directories that hold a crucible manifest are touched, so
    pointing ``CRUCIBLE_CACHE_DIR`` at a shared folder never deletes anything else. ``mmlu`` and
    ``mmlu_stem`` share the ``cais/mmlu`` files, so clearing either clears both.
    """
    from crucible_datasets._registry import find_spec

    root = cache_root()
    if not root.is_dir():
        return 0
    if name is None:
        repo_dirs = sorted({m.parent.parent for m in root.glob(f"*/*/{MANIFEST}")})
    else:
        spec = find_spec(name)
        repo = spec.repo if spec is not None else name
        candidate = root / safe_segment(repo)
        repo_dirs = [candidate] if any(candidate.glob(f"*/{MANIFEST}")) else []
    removed = 0
    for repo_dir in repo_dirs:
        for manifest in repo_dir.glob(f"*/{MANIFEST}"):
            with contextlib.suppress(DataError):  # a corrupt manifest is exactly what clearing is for
                removed += len(read_manifest(manifest.parent)["files"])
        shutil.rmtree(repo_dir)
    return removed
