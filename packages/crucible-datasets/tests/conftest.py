"""A loopback HTTP server that speaks the Hugging Face hub's ``resolve`` protocol, and fixtures.

``GET /datasets/{owner}/{repo}/resolve/{revision}/{path}`` serves registered bytes with
``Content-Length``, honours ``Range: bytes=N-`` (206 / 416), and can be told to drop the connection
mid-body, answer 429/500 first, require a bearer token, redirect to a "CDN" on another host name
(``localhost`` vs ``127.0.0.1``) or stream slowly behind a gate. Every request is logged.

Like the real hub, every ``resolve`` response (the 302 to the CDN included; not the CDN's own
response) carries ``X-Repo-Commit``: the revision itself when it is a commit, else the commit the branch
points at (``HubState.commits``, by default a fixed digest of repo and branch); set
``HubState.send_commit = False`` to leave the header out.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest


def _load_fixtures() -> Any:
    spec = importlib.util.spec_from_file_location(
        "crucible_datasets_upstream_fixtures", Path(__file__).with_name("upstream_fixtures.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_RESOLVE = re.compile(r"^/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")


def pytest_configure(config: pytest.Config) -> None:
    # registered here too so that the tests run alone (tools/check_dists) without the root config
    config.addinivalue_line("markers", "slow: long-running test")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Logged:
    method: str
    path: str
    range: str | None
    authorization: str | None
    status: int


@dataclass
class HubState:
    files: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    drops: dict[str, int] = field(default_factory=dict)  # path -> connections to cut mid-body
    fail_first: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer first
    redirect: set[str] = field(default_factory=set)  # paths answered with 302 to the CDN host
    token: str | None = None
    ignore_range: bool = False
    chunk_delay_s: float = 0.0
    gate: threading.Event | None = None  # when set, bodies wait for this event before streaming
    started: threading.Event = field(default_factory=threading.Event)
    commits: dict[tuple[str, str], str] = field(default_factory=dict)  # (repo, branch) -> commit
    send_commit: bool = True

    def commit_of(self, repo: str, revision: str) -> str:
        if re.fullmatch(r"[0-9a-f]{40}", revision):
            return revision
        return self.commits.get((repo, revision)) or hashlib.sha1(f"{repo}@{revision}".encode()).hexdigest()


class HubServer:
    """Owns the HTTP server thread; ``url`` is the endpoint to put in ``HF_ENDPOINT``."""

    def __init__(self) -> None:
        self.state = HubState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                return

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                state.log.append(
                    Logged(
                        "GET", self.path, self.headers.get("Range"), self.headers.get("Authorization"), status
                    )
                )
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith("/cdn/"):
                    key = json.loads(unquote(self.path[len("/cdn/") :]))
                    return self._serve(tuple(key), cdn=True)
                match = _RESOLVE.match(self.path)
                if not match:
                    return self._reply(404, b"not a resolve URL")
                repo, revision, path = match.group(1), unquote(match.group(2)), unquote(match.group(3))
                if state.token is not None and self.headers.get("Authorization") != f"Bearer {state.token}":
                    return self._reply(401, b"Invalid credentials")
                pending = state.fail_first.get(path)
                if pending:
                    status = pending.pop(0)
                    return self._reply(status, b"try later", {"Retry-After": "0"} if status == 429 else {})
                key = (repo, revision, path)
                if key not in state.files:
                    return self._reply(404, b"Entry not found")
                commit = {"X-Repo-Commit": state.commit_of(repo, revision)} if state.send_commit else {}
                if path in state.redirect:
                    port = self.headers.get("Host", "").rpartition(":")[2]
                    target = f"http://localhost:{port}/cdn/{json.dumps(list(key))}"
                    return self._reply(302, b"", {"Location": target, **commit})
                return self._serve(key, cdn=False, headers=commit)

            def _serve(
                self, key: tuple[str, ...], *, cdn: bool, headers: dict[str, str] | None = None
            ) -> None:
                data = state.files[(key[0], key[1], key[2])]
                start = 0
                header = self.headers.get("Range")
                status = 200
                extra: dict[str, str] = {
                    "Accept-Ranges": "bytes",
                    "ETag": hashlib.sha256(data).hexdigest(),
                    **(headers or {}),
                }
                if_range = self.headers.get("If-Range")
                if header and not state.ignore_range and if_range in (None, extra["ETag"]):
                    m = re.match(r"bytes=(\d+)-$", header)
                    start = int(m.group(1)) if m else 0
                    if start >= len(data):
                        state.log.append(
                            Logged("GET", self.path, header, self.headers.get("Authorization"), 416)
                        )
                        self.send_response(416)
                        for k, v in (headers or {}).items():
                            self.send_header(k, v)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status = 206
                    extra["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                body = data[start:]
                state.log.append(Logged("GET", self.path, header, self.headers.get("Authorization"), status))
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                state.started.set()
                if state.gate is not None:
                    state.gate.wait(timeout=30)
                drops = state.drops.get(key[2], 0)
                if drops:
                    state.drops[key[2]] = drops - 1
                    self.wfile.write(body[: max(1, len(body) // 2)])
                    self.wfile.flush()
                    self.connection.shutdown(2)  # cut the connection mid-body
                    return
                for offset in range(0, len(body), 4096):
                    self.wfile.write(body[offset : offset + 4096])
                    if state.chunk_delay_s:
                        time.sleep(state.chunk_delay_s)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, repo: str, revision: str, path: str, data: bytes) -> str:
        self.state.files[(repo, revision, path)] = data
        return hashlib.sha256(data).hexdigest()

    def gets(self, path_fragment: str) -> list[Logged]:
        return [entry for entry in self.state.log if path_fragment in entry.path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_fixtures = _load_fixtures()
parquet_bytes = _fixtures.parquet_bytes


def populate(hub: HubServer) -> None:
    """Register every built-in dataset's files at the registry's revisions, in the upstream layouts."""
    for repo, revision, path, data in _fixtures.payloads():
        hub.add(repo, revision, path, data)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HubServer]:
    """A populated loopback hub; ``HF_ENDPOINT`` points at it and the cache is a fresh temp dir."""
    server = HubServer()
    populate(server)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("CRUCIBLE_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "CRUCIBLE_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.close()


@pytest.fixture
def fast_retries() -> Any:
    from crucible_datasets import DownloadOptions

    return DownloadOptions(backoff_s=0.01, max_retries=3)


@pytest.fixture
def to_parquet() -> Any:
    return parquet_bytes
