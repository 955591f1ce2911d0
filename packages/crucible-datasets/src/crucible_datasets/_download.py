"""Fetch one file of a Hugging Face dataset repository into the cache, verified.

URL: ``{HF_ENDPOINT}/datasets/{repo}/resolve/{revision}/{path}`` (``HF_ENDPOINT`` defaults to
``https://huggingface.co``; the revision is URL-quoted, so ``refs/convert/parquet`` becomes
``refs%2Fconvert%2Fparquet`` as the hub expects). ``HF_TOKEN`` is sent as a bearer token when set; it
is registered with :mod:`crucible_core.redaction`, so it never reaches a log line or event, and httpx
drops it when the hub redirects to its CDN on another host.

Algorithm (like ``huggingface_hub.hf_hub_download``):

1. If the file is cached, recompute its sha256 and compare with the pinned digest or the manifest's
   (a mismatch raises :class:`~crucible_core.errors.DataError`; nothing is deleted).
2. Otherwise take a cross-process lock ``<file>.lock`` (filelock), so concurrent loaders download
   once; re-check the cache after acquiring it.
3. Stream the body into ``<file>.part`` (its strong ``ETag`` kept in ``<file>.part.etag``). If the
   connection drops, retry with ``Range: bytes=<size of .part>-`` and ``If-Range: <etag>`` and append
   (206), or restart when the server sends the whole file (200: it ignores ranges, or the file changed
   since the partial download). Exponential backoff between attempts; 429 honours ``Retry-After``.
4. Check the size against ``Content-Length``/``Content-Range``, hash, compare with the pinned or
   recorded digest, then ``os.replace`` the part into place (atomic) and record the manifest entry.

The hub answers every ``resolve`` request with ``X-Repo-Commit``, the commit the revision pointed at
(on the redirect to its CDN when there is one; ``huggingface_hub`` reads the same header). It is
recorded in the manifest beside the sha256, so a file fetched from a branch such as
``refs/convert/parquet`` keeps the exact commit it came from; a server that does not send it leaves
``commit`` None.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from filelock import FileLock
from filelock import Timeout as LockTimeout

from crucible_core.errors import DataError, NetworkError, NotFoundError, RateLimitError, TimeoutError
from crucible_core.events import span
from crucible_core.logging import get_logger
from crucible_core.redaction import redact_text, register_secret
from crucible_datasets._cache import read_manifest, record_file, revision_dir, sha256_file

__all__ = ["DownloadOptions", "FetchedFile", "fetch_hub_file", "hf_endpoint", "hub_url", "is_offline"]

_log = get_logger("crucible.datasets.download")
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")
_TRUE = {"1", "true", "yes", "on"}
_COMMIT = re.compile(r"[0-9a-f]{40,64}")


@dataclass(frozen=True)
class DownloadOptions:
    """Knobs for :func:`fetch_hub_file`; the defaults suit the public hub."""

    max_retries: int = 5
    backoff_s: float = 0.5
    max_retry_after_s: float = 60.0
    lock_timeout_s: float = 900.0
    connect_timeout_s: float = 15.0
    read_timeout_s: float = 120.0


@dataclass(frozen=True)
class FetchedFile:
    path: str
    url: str
    local_path: Path
    sha256: str
    size: int
    downloaded: bool
    commit: str | None = None  # the hub's X-Repo-Commit for the revision, when it sent one


def hf_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def hub_url(repo: str, revision: str, path: str, *, endpoint: str | None = None) -> str:
    base = endpoint.rstrip("/") if endpoint else hf_endpoint()
    return f"{base}/datasets/{repo}/resolve/{quote(revision, safe='')}/{quote(path)}"


def is_offline(offline: bool | None) -> bool:
    if offline is not None:
        return offline
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "CRUCIBLE_OFFLINE"))


def _token() -> str | None:
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        register_secret(token)
    return token or None


class _Incomplete(Exception):
    """The body ended before the announced size."""


def _mismatch(what: str, path: Path, expected: str, actual: str, fix: str) -> DataError:
    return DataError(
        f"sha256 mismatch for {what} ({str(path)!r}): expected {expected}, got {actual}. {fix}",
        path=str(path),
        expected_sha256=expected,
        actual_sha256=actual,
    )


def _verify_cached(
    dest: Path,
    reference: str | None,
    *,
    name: str,
    repo: str,
    revision: str,
    path: str,
    url: str,
    commit: str | None,
) -> FetchedFile:
    actual = sha256_file(dest)
    size = dest.stat().st_size
    if reference is None:  # cached but never recorded (e.g. a crash between rename and manifest write)
        record_file(revision_dir(repo, revision), repo, revision, path, sha256=actual, size=size, url=url)
    elif actual != reference:
        raise _mismatch(
            f"the cached file {repo}@{revision}/{path}",
            dest,
            reference,
            actual,
            f"The file changed on disk after it was verified. Nothing was deleted; call clear_cache({name!r}) "
            "and load again to download a fresh copy.",
        )
    return FetchedFile(path, url, dest, actual, size, downloaded=False, commit=commit)


def fetch_hub_file(
    client: httpx.Client | Callable[[], httpx.Client],
    *,
    name: str,
    repo: str,
    revision: str,
    path: str,
    expected_sha256: str | None,
    offline: bool,
    options: DownloadOptions = DownloadOptions(),
) -> FetchedFile:
    """Return the cached, verified copy of ``repo@revision/path``, downloading it if needed."""
    directory = revision_dir(repo, revision)
    dest = directory / path
    request_url = hub_url(repo, revision, path)
    url = redact_text(request_url)  # what logs, events, errors and the manifest see

    def cached() -> FetchedFile:
        recorded = read_manifest(directory)["files"].get(path)
        reference = expected_sha256 or (recorded or {}).get("sha256")
        return _verify_cached(
            dest,
            reference,
            name=name,
            repo=repo,
            revision=revision,
            path=path,
            url=url,
            commit=_recorded_commit(recorded),
        )

    if dest.exists():
        return cached()
    recorded = read_manifest(directory)["files"].get(path)
    reference = expected_sha256 or (recorded or {}).get("sha256")
    if offline:
        raise DataError(
            f"offline mode: {repo}@{revision}/{path} is not in the cache (expected at {str(dest)!r}). Load it once "
            "with network access (offline=False and HF_HUB_OFFLINE unset), or copy the file there.",
            repo=repo,
            revision=revision,
            path=path,
            url=url,
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock_path = dest.with_name(dest.name + ".lock")
    try:
        with FileLock(str(lock_path), timeout=options.lock_timeout_s):
            if dest.exists():  # another process finished it while we waited
                return cached()
            part = dest.with_name(dest.name + ".part")
            with span("crucible.datasets.download", repo=repo, revision=revision, path=path, url=url) as sp:
                resumed_from = part.stat().st_size if part.exists() else 0
                attempts, commit = _download(
                    client() if callable(client) else client, request_url, part, options
                )
                actual = sha256_file(part)
                size = part.stat().st_size
                sp.measure(bytes=float(size), attempts=float(attempts), resumed_from=float(resumed_from))
            if reference is not None and actual != reference:
                rejected = dest.with_name(f"{dest.name}.rejected-{actual[:12]}")
                os.replace(part, rejected)
                source = (
                    "the registry's pinned digest"
                    if expected_sha256
                    else "the digest recorded at first download"
                )
                raise _mismatch(
                    f"the download of {repo}@{revision}/{path}",
                    rejected,
                    reference,
                    actual,
                    f"The server's file does not match {source}; it was kept at the path shown and not used. "
                    f"If the upstream file legitimately changed, call clear_cache({name!r}) and load again.",
                )
            os.replace(part, dest)
            record_file(directory, repo, revision, path, sha256=actual, size=size, url=url, commit=commit)
            _log.info(
                "dataset file downloaded",
                repo=repo,
                revision=revision,
                path=path,
                bytes=size,
                attempts=attempts,
                commit=commit,
            )
            return FetchedFile(path, url, dest, actual, size, downloaded=True, commit=commit)
    except LockTimeout:
        raise TimeoutError(
            f"waited {options.lock_timeout_s:.0f} s for another process downloading {repo}/{path} (lock "
            f"{str(lock_path)!r}); if no other process is running, the lock is stale: retry",
            lock=str(lock_path),
        ) from None


def _recorded_commit(entry: dict[str, object] | None) -> str | None:
    value = (entry or {}).get("commit")
    return value if isinstance(value, str) and _COMMIT.fullmatch(value) else None


def repo_commit(response: httpx.Response) -> str | None:
    """The ``X-Repo-Commit`` of a resolve response, or of a redirect that led to it (the hub sends it on
    the 302 to its CDN; the CDN does not). None when absent or not a hex commit id."""
    for candidate in (response, *reversed(response.history)):
        value = candidate.headers.get("x-repo-commit", "").strip().lower()
        if _COMMIT.fullmatch(value):
            return value
    return None


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000); ``bytes */1000`` -> (None, 1000)."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None, None
    start = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return start, total


def _check_status(response: httpx.Response, request_url: str) -> None:
    url = redact_text(request_url)
    status = response.status_code
    if status < 400:
        return
    response.read()
    if status == 404:
        raise NotFoundError(
            f"{url} returned 404: no such file at that revision. Check the config/split (or the registry entry); "
            "a gated or private dataset also answers 404 without a valid HF_TOKEN",
            url=url,
            status_code=status,
        )
    if status in (401, 403):
        raise NetworkError(
            f"{url} returned {status}: access denied. Set HF_TOKEN to a token with read access (and accept the "
            "dataset's terms on the hub if it is gated)",
            status_code=status,
            url=url,
        )
    if status == 429:
        retry_after: float | None = None
        try:
            retry_after = float(response.headers.get("retry-after", ""))
        except ValueError:
            retry_after = None
        raise RateLimitError(
            f"{url} returned 429 (rate limited); retry later", retry_after=retry_after, url=url
        )
    raise NetworkError(f"{url} returned HTTP {status}", status_code=status, url=url)


def _download(
    client: httpx.Client, request_url: str, part: Path, options: DownloadOptions
) -> tuple[int, str | None]:
    """Stream ``request_url`` into ``part`` with Range resume and retries; return the number of attempts
    and the ``X-Repo-Commit`` the hub sent (the last one seen)."""
    url = redact_text(request_url)
    token = _token()
    headers = {"Accept-Encoding": "identity"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    timeout = httpx.Timeout(options.read_timeout_s, connect=options.connect_timeout_s)
    validator = part.with_name(part.name + ".etag")  # the ETag of the bytes already in ``part``
    attempt = 0
    commit: str | None = None
    while True:
        attempt += 1
        offset = part.stat().st_size if part.exists() else 0
        request_headers = dict(headers)
        if offset:
            request_headers["Range"] = f"bytes={offset}-"
            if validator.exists():  # the server sends the whole file (200) if it changed meanwhile
                request_headers["If-Range"] = validator.read_text(encoding="utf-8").strip()
        wait = options.backoff_s * 2 ** (attempt - 1)
        try:
            with client.stream("GET", request_url, headers=request_headers, timeout=timeout) as response:
                commit = repo_commit(response) or commit
                if response.status_code == 416 and offset:
                    _, total = _content_range(response.headers.get("content-range"))
                    if total == offset:
                        if validator.exists():
                            validator.unlink()
                        return attempt, commit
                    part.unlink()  # our partial file is longer than the remote one: start again
                    raise _Incomplete("range not satisfiable")
                _check_status(response, request_url)
                if response.status_code == 206:
                    start, total = _content_range(response.headers.get("content-range"))
                    if start != offset:  # not the range we asked for: start again
                        part.unlink()
                        raise _Incomplete(f"server resumed at byte {start}, not {offset}")
                    mode = "ab"
                else:
                    length = response.headers.get("content-length")
                    total = int(length) if length and length.isdigit() else None
                    mode = "wb"
                    etag = response.headers.get("etag")
                    if etag and not etag.startswith("W/"):  # weak validators cannot guard a byte range
                        validator.write_text(etag, encoding="utf-8")
                    elif validator.exists():
                        validator.unlink()
                with part.open(mode) as fh:
                    for chunk in response.iter_raw():  # no re-chunking: every received byte is kept
                        fh.write(chunk)
            size = part.stat().st_size
            if total is not None and size != total:
                raise _Incomplete(f"got {size} of {total} bytes")
            if validator.exists():
                validator.unlink()
            return attempt, commit
        except RateLimitError as exc:
            if attempt > options.max_retries:
                raise
            wait = min(exc.retry_after if exc.retry_after is not None else wait, options.max_retry_after_s)
        except NetworkError as exc:
            if (exc.status_code is not None and exc.status_code < 500) or attempt > options.max_retries:
                raise
        except (httpx.TransportError, _Incomplete) as exc:
            if attempt > options.max_retries:
                raise NetworkError(
                    f"downloading {url} failed after {attempt} attempts ({type(exc).__name__}: {exc}); the partial "
                    f"file {str(part)!r} is kept and the next load resumes from it",
                    url=url,
                    attempts=attempt,
                ) from None
        _log.warning("dataset download interrupted; retrying", url=url, attempt=attempt, wait_s=wait)
        time.sleep(wait)
