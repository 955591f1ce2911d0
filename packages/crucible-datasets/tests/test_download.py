"""Downloading through the loopback hub: resume, locks, retries, auth, checksums, offline mode."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from crucible_core.errors import DataError, NetworkError, NotFoundError
from crucible_core.events import attach, detach
from crucible_datasets import (
    DownloadOptions,
    cache_root,
    clear_cache,
    dataset_info,
    list_cached,
    load_dataset,
)

GSM = dataset_info("gsm8k").revision
SOCRATIC_TEST = "socratic/test-00000-of-00001.parquet"


def _cached(path: str) -> Path:
    return cache_root() / "openai--gsm8k" / GSM / path


def test_first_load_downloads_and_records_the_manifest(hub) -> None:
    ds = load_dataset("gsm8k", config="socratic")
    served = hub.state.files[("openai/gsm8k", GSM, SOCRATIC_TEST)]
    digest = hashlib.sha256(served).hexdigest()
    manifest = json.loads((cache_root() / "openai--gsm8k" / GSM / "manifest.json").read_text())
    assert manifest["repo"] == "openai/gsm8k" and manifest["revision"] == GSM
    assert manifest["files"][SOCRATIC_TEST]["sha256"] == digest
    assert manifest["files"][SOCRATIC_TEST]["size"] == len(served)
    assert _cached(SOCRATIC_TEST).read_bytes() == served
    assert ds.metadata.files[0].sha256 == digest
    assert [(c.repo, c.path, c.sha256) for c in list_cached()] == [("openai/gsm8k", SOCRATIC_TEST, digest)]
    load_dataset("gsm8k", config="socratic")  # second load: verified from the cache, no request
    assert len(hub.gets(SOCRATIC_TEST)) == 1


def test_dropped_connection_is_resumed_with_a_range_request(hub, fast_retries) -> None:
    hub.state.drops[SOCRATIC_TEST] = 1
    served = hub.state.files[("openai/gsm8k", GSM, SOCRATIC_TEST)]
    ds = load_dataset("gsm8k", config="socratic", download_options=fast_retries)
    assert len(ds) == 3
    requests = hub.gets(SOCRATIC_TEST)
    assert [r.status for r in requests] == [200, 206]
    assert requests[1].range == f"bytes={len(served) // 2}-"
    assert _cached(SOCRATIC_TEST).read_bytes() == served
    assert not _cached(SOCRATIC_TEST + ".part").exists()


def test_partial_file_survives_a_failed_load_and_the_next_load_resumes(hub) -> None:
    hub.state.drops[SOCRATIC_TEST] = 1
    with pytest.raises(NetworkError, match="the next load resumes from it"):
        load_dataset("gsm8k", config="socratic", download_options=DownloadOptions(max_retries=0))
    part = _cached(SOCRATIC_TEST + ".part")
    served = hub.state.files[("openai/gsm8k", GSM, SOCRATIC_TEST)]
    assert part.read_bytes() == served[: len(served) // 2]
    load_dataset("gsm8k", config="socratic")
    assert hub.gets(SOCRATIC_TEST)[-1].range == f"bytes={len(served) // 2}-"
    assert _cached(SOCRATIC_TEST).read_bytes() == served


def test_file_changed_between_attempts_is_fetched_whole_via_if_range(hub, to_parquet) -> None:
    key = ("openai/gsm8k", GSM, SOCRATIC_TEST)
    hub.state.drops[SOCRATIC_TEST] = 1
    with pytest.raises(NetworkError):
        load_dataset("gsm8k", config="socratic", download_options=DownloadOptions(max_retries=0))
    old_etag = hashlib.sha256(hub.state.files[key]).hexdigest()
    assert _cached(SOCRATIC_TEST + ".part.etag").read_text() == old_etag
    # a different file now sits behind the same URL
    hub.state.files[key] = to_parquet(
        pl.DataFrame({"question": ["How many?"], "answer": ["2 + 3 = 5\n#### 5"]})
    )
    assert [item.expected for item in load_dataset("gsm8k", config="socratic")] == ["5"]
    resumed = hub.gets(SOCRATIC_TEST)[-1]
    assert resumed.range is not None and resumed.status == 200  # If-Range did not match: whole file
    assert _cached(SOCRATIC_TEST).read_bytes() == hub.state.files[key]
    assert not _cached(SOCRATIC_TEST + ".part.etag").exists()


def test_server_that_ignores_range_restarts_the_file(hub, fast_retries) -> None:
    hub.state.drops[SOCRATIC_TEST] = 1
    hub.state.ignore_range = True
    load_dataset("gsm8k", config="socratic", download_options=fast_retries)
    assert [r.status for r in hub.gets(SOCRATIC_TEST)] == [200, 200]
    assert _cached(SOCRATIC_TEST).read_bytes() == hub.state.files[("openai/gsm8k", GSM, SOCRATIC_TEST)]


def test_complete_part_file_is_accepted_after_416(hub) -> None:
    served = hub.state.files[("openai/gsm8k", GSM, SOCRATIC_TEST)]
    part = _cached(SOCRATIC_TEST + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(served)  # a previous process finished the body but died before the rename
    assert len(load_dataset("gsm8k", config="socratic")) == 3
    assert [r.status for r in hub.gets(SOCRATIC_TEST)] == [416]


def test_rate_limits_and_server_errors_are_retried(hub, fast_retries) -> None:
    hub.state.fail_first[SOCRATIC_TEST] = [429, 503]
    assert len(load_dataset("gsm8k", config="socratic", download_options=fast_retries)) == 3
    assert [r.status for r in hub.gets(SOCRATIC_TEST)] == [429, 503, 200]


def test_missing_file_is_not_found(hub) -> None:
    del hub.state.files[("openai/gsm8k", GSM, SOCRATIC_TEST)]
    with pytest.raises(NotFoundError, match="returned 404") as info:
        load_dataset("gsm8k", config="socratic")
    assert info.value.details["url"].endswith(f"/datasets/openai/gsm8k/resolve/{GSM}/{SOCRATIC_TEST}")


def test_refs_convert_parquet_is_url_quoted(hub) -> None:
    load_dataset("fever")
    assert (
        hub.gets("fever")[0].path
        == "/datasets/fever/fever/resolve/refs%2Fconvert%2Fparquet/v1.0/labelled_dev/0000.parquet"
    )


def test_token_is_sent_dropped_on_cdn_redirect_and_never_logged(hub, monkeypatch, capsys) -> None:
    token = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    hub.state.token = token
    hub.state.redirect.add(SOCRATIC_TEST)
    with pytest.raises(NetworkError, match="Set HF_TOKEN") as denied:
        load_dataset("gsm8k", config="socratic")
    assert denied.value.status_code == 401
    monkeypatch.setenv("HF_TOKEN", token)
    events: list[str] = []
    attach(
        "test-token",
        ["crucible.datasets"],
        lambda e: events.append(repr((e.name, e.measurements, e.metadata))),
    )
    try:
        assert len(load_dataset("gsm8k", config="socratic")) == 3
    finally:
        detach("test-token")
    resolve, cdn = [r for r in hub.state.log if r.status in (302, 200)]
    assert resolve.authorization == f"Bearer {token}" and resolve.status == 302
    assert cdn.path.startswith("/cdn/") and cdn.authorization is None  # httpx strips it across hosts
    assert events and not any(token in e for e in events)
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err
    manifest = (cache_root() / "openai--gsm8k" / GSM / "manifest.json").read_text()
    assert token not in manifest


def test_pinned_checksum_mismatch_keeps_the_file_aside(hub) -> None:
    pinned = dataset_info("gsm8k").files("main", "test")[0].sha256
    served = hub.state.files[("openai/gsm8k", GSM, "main/test-00000-of-00001.parquet")]
    actual = hashlib.sha256(served).hexdigest()
    with pytest.raises(DataError, match=f"expected {pinned}, got {actual}") as info:
        load_dataset("gsm8k")
    assert "pinned digest" in str(info.value)
    rejected = Path(info.value.details["path"])
    assert rejected.read_bytes() == served and rejected.name.startswith(
        "test-00000-of-00001.parquet.rejected-"
    )
    assert not _cached("main/test-00000-of-00001.parquet").exists()


def test_tampered_cache_is_reported_not_deleted_and_clear_cache_recovers(hub) -> None:
    load_dataset("gsm8k", config="socratic")
    cached = _cached(SOCRATIC_TEST)
    cached.write_bytes(cached.read_bytes() + b"tampered")
    with pytest.raises(DataError, match="changed on disk") as info:
        load_dataset("gsm8k", config="socratic")
    assert info.value.details["expected_sha256"] != info.value.details["actual_sha256"]
    assert cached.exists()
    assert clear_cache("gsm8k") == 1
    assert not cached.exists() and list_cached() == []
    assert len(load_dataset("gsm8k", config="socratic")) == 3
    manifest = cache_root() / "openai--gsm8k" / GSM / "manifest.json"
    manifest.write_text("{not json")
    with pytest.raises(DataError, match="clear_cache"):
        load_dataset("gsm8k", config="socratic")
    assert clear_cache() == 0 and not manifest.exists()  # a corrupt manifest can still be cleared


def test_upstream_change_on_a_moving_ref_is_caught_against_the_manifest(hub) -> None:
    load_dataset("fever")
    key = ("fever/fever", "refs/convert/parquet", "v1.0/labelled_dev/0000.parquet")
    (cache_root() / "fever--fever" / "refs--convert--parquet" / key[2]).unlink()
    hub.state.files[key] += b"\x00"  # the converter rewrote the branch since the first download
    with pytest.raises(DataError, match="recorded at first download"):
        load_dataset("fever")


def test_a_branch_revision_is_versioned_by_the_commit_the_hub_reports(hub, fast_retries) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    hub.state.commits[("fever/fever", "refs/convert/parquet")] = commit
    hub.state.redirect.add("v1.0/labelled_dev/0000.parquet")  # the hub sends the header on its 302
    hub.state.drops["v1.0/labelled_dev/0000.parquet"] = 1  # and again on the resumed request
    ds = load_dataset("fever", download_options=fast_retries)
    assert ds.version == commit
    assert ds.metadata.commit == commit and ds.metadata.revision == "refs/convert/parquet"
    assert [f.commit for f in ds.metadata.files] == [commit]
    manifest = json.loads(
        (cache_root() / "fever--fever" / "refs--convert--parquet" / "manifest.json").read_text()
    )
    assert manifest["files"]["v1.0/labelled_dev/0000.parquet"]["commit"] == commit
    assert [c.commit for c in list_cached() if c.repo == "fever/fever"] == [commit]
    pinned = load_dataset("gsm8k", config="socratic")  # a pinned commit is its own X-Repo-Commit
    assert pinned.version == GSM == pinned.metadata.commit
    hub.close()
    cached = load_dataset("fever", offline=True)  # from the cache: the recorded commit, no request
    assert cached.version == commit and cached.metadata.commit == commit


def test_without_the_commit_header_the_branch_name_is_the_version(hub) -> None:
    hub.state.send_commit = False
    ds = load_dataset("fever")
    assert ds.version == "refs/convert/parquet" == ds.metadata.revision
    assert ds.metadata.commit is None and ds.metadata.files[0].commit is None
    assert "commit" not in json.dumps(
        json.loads((cache_root() / "fever--fever" / "refs--convert--parquet" / "manifest.json").read_text())
    )


def test_files_from_different_commits_of_a_branch_keep_the_branch_name(hub) -> None:
    mmlu = dataset_info("mmlu").revision
    for (repo, revision, path), data in list(hub.state.files.items()):
        if repo == "cais/mmlu" and revision == mmlu:
            hub.add(repo, "main", path, data)  # the same files on a branch
    hub.state.commits[("cais/mmlu", "main")] = "a" * 40
    first = load_dataset("mmlu", config="abstract_algebra", revision="main")
    assert first.version == "a" * 40 and first.metadata.revision == "main"
    hub.state.commits[("cais/mmlu", "main")] = "b" * 40  # the branch moved
    stem = load_dataset("mmlu_stem", revision="main")  # abstract_algebra comes from the cache (commit a)
    assert {f.commit for f in stem.metadata.files} == {"a" * 40, "b" * 40}
    assert stem.version == "main" and stem.metadata.commit is None
    assert any("different commits of main" in note for note in stem.metadata.notes)


def test_offline_mode_uses_only_the_cache(hub, monkeypatch) -> None:
    with pytest.raises(DataError, match="offline mode: openai/gsm8k@") as info:
        load_dataset("gsm8k", config="socratic", offline=True)
    assert info.value.details["path"] == SOCRATIC_TEST
    load_dataset("gsm8k", config="socratic")
    hub.close()  # nothing can be downloaded any more
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert len(load_dataset("gsm8k", config="socratic")) == 3
    with pytest.raises(DataError, match="offline mode"):
        load_dataset("gsm8k", config="socratic", split="train")


def test_threads_loading_the_same_file_download_it_once(hub) -> None:
    hub.state.chunk_delay_s = 0.05
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(load_dataset("fever")))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [3, 3, 3]
    assert len(hub.gets("labelled_dev")) == 1


@pytest.mark.slow  # two interpreter start-ups: ~10 s on a loaded 2-core machine
def test_two_processes_loading_the_same_dataset_download_it_once(hub, tmp_path) -> None:
    hub.state.gate = threading.Event()
    code = (
        "import sys; from crucible_datasets import load_dataset; print('ready', flush=True); "
        "print(len(load_dataset('scifact')), flush=True)"
    )
    env = {**os.environ}
    first = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None and first.stdout.readline().strip() == "ready"
    assert hub.state.started.wait(timeout=60)  # the first process is inside the download
    second = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert second.stdout is not None and second.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # let the second process reach the file lock
    hub.state.gate.set()
    out_first, _ = first.communicate(timeout=120)
    out_second, _ = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0
    assert out_first.strip().splitlines()[-1] == out_second.strip().splitlines()[-1] == "3"
    assert len(hub.gets("claims/validation")) == 1


def test_credentials_in_the_endpoint_url_never_reach_the_manifest_or_errors(hub, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.url.replace("http://", "http://mirror-user:s3cretPassw0rd@"))
    ds = load_dataset("gsm8k", config="socratic")
    assert ds.metadata.files[0].url is not None and "s3cretPassw0rd" not in ds.metadata.files[0].url
    assert "s3cretPassw0rd" not in (cache_root() / "openai--gsm8k" / GSM / "manifest.json").read_text()
    with pytest.raises(NotFoundError) as info:
        load_dataset("gsm8k", config="socratic", split="train", revision="no-such-revision")
    assert "s3cretPassw0rd" not in str(info.value) and "s3cretPassw0rd" not in str(info.value.details)


def test_a_file_copied_into_the_cache_is_recorded_then_verified(hub) -> None:
    from crucible_datasets import list_cached

    served = hub.state.files[("openai/gsm8k", GSM, SOCRATIC_TEST)]
    target = _cached(SOCRATIC_TEST)
    target.parent.mkdir(parents=True)
    target.write_bytes(served)  # e.g. copied from another machine, no manifest yet
    assert len(load_dataset("gsm8k", config="socratic", offline=True)) == 3
    assert [c.sha256 for c in list_cached()] == [hashlib.sha256(served).hexdigest()]
    target.write_bytes(served[:-1] + b"\x00")
    with pytest.raises(DataError, match="changed on disk"):
        load_dataset("gsm8k", config="socratic", offline=True)
    assert hub.gets(SOCRATIC_TEST) == []
