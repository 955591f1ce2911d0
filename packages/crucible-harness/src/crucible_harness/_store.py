"""The results store: one SQLite file per run (``results.sqlite``, WAL) with run, tasks, outcomes, errors.

* ``run`` — one row: id, experiment name, fingerprint of the task plan, resolved spec (JSON), source
  file, status and why the run stopped.
* ``sessions`` — one row per invocation (the first run and every resume).
* ``items`` — the items of the run (input, expected answer, metadata as JSON), in plan order.
* ``tasks`` — the plan: one row per (condition, item, repeat, variant) with its seed. A task is
  *finished* when it has an outcome.
* ``outcomes`` — one row per finished task (primary key ``task_id``, so never two), written in its
  own transaction the moment the task finishes: ``ok``, ``failed`` (retries exhausted or not
  retryable) or ``blocked`` (by the condition's guard).
* ``errors`` — every failed attempt (retried or not), for auditing retries.
* ``dead_letters`` — a view of the failed outcomes with their final error.
* ``budget_warnings`` — each time a budget's spend crossed ``budget.warn_at`` (session, scope, spend,
  limit, message); created on first use in stores written by older versions.

Outcomes are committed in small batches: a transaction is opened by the first outcome and committed
after ``FLUSH_ROWS`` outcomes or ``FLUSH_INTERVAL_S`` seconds, whichever comes first (the runner also
commits on a timer, so the last outcomes never wait). A process killed with SIGKILL therefore loses at
most the outcomes of its last 50 ms (at most 200 tasks); SQLite rolls the open transaction back, and a
resume runs those tasks again. Everything committed is never lost. SQLite runs in WAL mode with
``synchronous=NORMAL``, which survives a killed process (a power loss may lose the last transactions;
``CRUCIBLE_HARNESS_SYNC=full`` makes every commit durable).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from crucible_core.errors import DataError, InternalError, NotFoundError

__all__ = ["FLUSH_INTERVAL_S", "FLUSH_ROWS", "SCHEMA_VERSION", "ResultsStore"]

SCHEMA_VERSION = 1
FLUSH_INTERVAL_S = 0.05
FLUSH_ROWS = 200
_SCHEMA = """
CREATE TABLE IF NOT EXISTS run (
    id TEXT PRIMARY KEY, experiment TEXT NOT NULL, fingerprint TEXT NOT NULL, spec TEXT NOT NULL,
    source TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, status TEXT NOT NULL,
    stop_reason TEXT, seed INTEGER NOT NULL, schema_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL,
    stop_reason TEXT, pid INTEGER, telemetry_experiment TEXT, resumed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY, condition TEXT NOT NULL, item_id TEXT NOT NULL, item_index INTEGER NOT NULL,
    repeat INTEGER NOT NULL, variant TEXT NOT NULL, seed INTEGER NOT NULL,
    UNIQUE (condition, item_id, repeat, variant)
);
CREATE TABLE IF NOT EXISTS items (
    item_index INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, input TEXT NOT NULL, expected TEXT,
    metadata TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
    task_id INTEGER PRIMARY KEY REFERENCES tasks(id), condition TEXT NOT NULL, item_id TEXT NOT NULL,
    repeat INTEGER NOT NULL, variant TEXT NOT NULL, status TEXT NOT NULL, prediction TEXT, text TEXT,
    scores TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, cost_usd REAL, latency_s REAL,
    attempts INTEGER NOT NULL, error_type TEXT, error_kind TEXT, error_message TEXT,
    simulated INTEGER NOT NULL DEFAULT 0, metadata TEXT NOT NULL, session INTEGER NOT NULL,
    started_at REAL NOT NULL, finished_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outcomes_condition ON outcomes (condition, status);
CREATE TABLE IF NOT EXISTS errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER NOT NULL, attempt INTEGER NOT NULL,
    error_type TEXT NOT NULL, kind TEXT, retryable INTEGER NOT NULL, message TEXT NOT NULL,
    retry_after REAL, delay_s REAL, at REAL NOT NULL, session INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS budget_warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session INTEGER NOT NULL, scope TEXT NOT NULL, spent_usd REAL NOT NULL,
    limit_usd REAL NOT NULL, warn_at REAL NOT NULL, message TEXT NOT NULL, at REAL NOT NULL
);
CREATE VIEW IF NOT EXISTS dead_letters AS
    SELECT task_id, condition, item_id, repeat, variant, attempts, error_type, error_kind, error_message,
           finished_at FROM outcomes WHERE status = 'failed';
"""
OUTCOME_COLUMNS = (
    "task_id", "condition", "item_id", "repeat", "variant", "status", "prediction", "text", "scores",
    "prompt_tokens", "completion_tokens", "cost_usd", "latency_s", "attempts", "error_type", "error_kind",
    "error_message", "simulated", "metadata", "session", "started_at", "finished_at",
)  # fmt: skip
_INSERT_OUTCOME = (
    f"INSERT INTO outcomes ({', '.join(OUTCOME_COLUMNS)}) VALUES ({', '.join('?' * len(OUTCOME_COLUMNS))})"
)
_JSON_COLUMNS = ("prediction", "scores", "metadata")
_BUDGET_WARNINGS = _SCHEMA[_SCHEMA.index("CREATE TABLE IF NOT EXISTS budget_warnings") :].split(";", 1)[0]


class ResultsStore:
    """The SQLite results store of one run directory (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise NotFoundError(
                f"no results store at {str(self.path)!r}; pass a run directory made by crucible-harness",
                path=str(self.path),
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sync = "FULL" if os.environ.get("CRUCIBLE_HARNESS_SYNC", "").lower() == "full" else "NORMAL"
        try:
            self._conn = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=30
            )
            self._conn.execute("PRAGMA journal_mode=WAL").fetchone()
            self._conn.execute(f"PRAGMA synchronous={sync}")
            self._conn.execute("PRAGMA busy_timeout=30000")
            if create:
                self._conn.executescript(_SCHEMA)
            version = self._conn.execute(
                "SELECT schema_version FROM run LIMIT 1" if self._has_run() else "SELECT NULL"
            ).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"{str(self.path)!r} is not a usable results store ({exc}); pass another run directory",
                path=str(self.path),
            ) from None
        if version is not None and version > SCHEMA_VERSION:
            raise DataError(
                f"{str(self.path)!r} was written by a newer crucible-harness (schema {version}); upgrade it",
                path=str(self.path),
            )
        self._open_rows = 0
        self._opened_at = 0.0

    def _has_run(self) -> bool:
        row = self._conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='run'").fetchone()
        return row is not None and self._conn.execute("SELECT 1 FROM run LIMIT 1").fetchone() is not None

    def close(self) -> None:
        self.flush()
        self._conn.close()

    # -- batched commits ------------------------------------------------------------------------------
    def _begin(self) -> None:
        if self._open_rows == 0:
            self._conn.execute("BEGIN")
            self._opened_at = time.monotonic()

    def _written(self) -> None:
        self._open_rows += 1
        if self._open_rows >= FLUSH_ROWS or time.monotonic() - self._opened_at >= FLUSH_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        """Commit the outcomes written so far (a no-op when none is pending)."""
        if self._open_rows:
            self._open_rows = 0
            self._conn.execute("COMMIT")

    def flush_due(self) -> bool:
        """True when an open batch is older than ``FLUSH_INTERVAL_S``."""
        return bool(self._open_rows) and time.monotonic() - self._opened_at >= FLUSH_INTERVAL_S

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- run and sessions ---------------------------------------------------------------------------
    def create_run(
        self,
        *,
        run_id: str,
        experiment: str,
        fingerprint: str,
        spec: dict[str, Any],
        source: str | None,
        seed: int,
    ) -> None:
        now = time.time()
        self._conn.execute(
            "INSERT INTO run VALUES (?, ?, ?, ?, ?, ?, ?, 'running', NULL, ?, ?)",
            (
                run_id,
                experiment,
                fingerprint,
                json.dumps(spec, default=str),
                source,
                now,
                now,
                seed,
                SCHEMA_VERSION,
            ),
        )

    def run_row(self) -> dict[str, Any]:
        cursor = self._conn.execute("SELECT * FROM run LIMIT 1")
        row = cursor.fetchone()
        if row is None:
            raise NotFoundError(f"{str(self.path)!r} holds no run yet", path=str(self.path))
        data = dict(zip([c[0] for c in cursor.description], row, strict=True))
        data["spec"] = json.loads(data["spec"])
        return data

    def set_status(self, status: str, stop_reason: str | None) -> None:
        self.flush()
        self._conn.execute(
            "UPDATE run SET status = ?, stop_reason = ?, updated_at = ?", (status, stop_reason, time.time())
        )

    def update_spec(self, spec: dict[str, Any]) -> None:
        self.flush()
        self._conn.execute("UPDATE run SET spec = ?", (json.dumps(spec, default=str),))

    def start_session(self, *, resumed: bool, telemetry_experiment: str | None) -> int:
        self.flush()
        cursor = self._conn.execute(
            "INSERT INTO sessions (started_at, status, pid, telemetry_experiment, resumed) VALUES (?, 'running', ?, ?, ?)",
            (time.time(), os.getpid(), telemetry_experiment, int(resumed)),
        )
        return int(cursor.lastrowid or 0)

    def finish_session(self, session: int, status: str, stop_reason: str | None) -> None:
        self.flush()
        self._conn.execute(
            "UPDATE sessions SET finished_at = ?, status = ?, stop_reason = ? WHERE id = ?",
            (time.time(), status, stop_reason, session),
        )

    def sessions(self) -> list[dict[str, Any]]:
        cursor = self._conn.execute("SELECT * FROM sessions ORDER BY id")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- the plan -----------------------------------------------------------------------------------
    def add_tasks(self, rows: Iterable[tuple[int, str, str, int, int, str, int]]) -> None:
        """Insert the plan (id, condition, item_id, item_index, repeat, variant, seed) in one transaction."""
        self.flush()
        with self._transaction():
            self._conn.executemany("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def add_items(self, rows: Iterable[tuple[int, str, Any, Any, Any]]) -> None:
        """Insert the items (index, id, input, expected, metadata) in one transaction."""
        self.flush()
        encoded = (
            (
                i,
                item_id,
                json.dumps(data, default=str),
                json.dumps(expected, default=str),
                json.dumps(meta, default=str),
            )
            for i, item_id, data, expected, meta in rows
        )
        with self._transaction():
            self._conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", encoded)

    def items(self) -> list[dict[str, Any]]:
        """The run's items in plan order (``index``, ``id``, ``input``, ``expected``, ``metadata``)."""
        return [
            {"index": i, "id": item_id, "input": json.loads(data), "expected": json.loads(expected or "null"),
             "metadata": json.loads(meta)}
            for i, item_id, data, expected, meta in self._conn.execute("SELECT * FROM items ORDER BY item_index")
        ]  # fmt: skip

    def task_counts(self) -> dict[tuple[str, str], int]:
        """Planned tasks per (condition, variant)."""
        return {
            (str(c), str(v)): int(n)
            for c, v, n in self._conn.execute(
                "SELECT condition, variant, COUNT(*) FROM tasks GROUP BY condition, variant"
            )
        }

    def task_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])

    def finished_ids(self, *, include_failed: bool = True) -> set[int]:
        """Ids of tasks that have an outcome (optionally not counting the failed ones)."""
        sql = "SELECT task_id FROM outcomes" + ("" if include_failed else " WHERE status != 'failed'")
        return {row[0] for row in self._conn.execute(sql)}

    def forget_failed(self) -> int:
        """Delete the failed outcomes (so a resume runs those tasks again); returns how many."""
        self.flush()
        with self._transaction():
            cursor = self._conn.execute("DELETE FROM outcomes WHERE status = 'failed'")
        return cursor.rowcount

    # -- outcomes -----------------------------------------------------------------------------------
    def record(self, row: Sequence[Any]) -> None:
        """Append one finished task's outcome (a tuple in :data:`OUTCOME_COLUMNS` order); it is committed
        with its batch (see the module docstring)."""
        self._begin()
        try:
            self._conn.execute(_INSERT_OUTCOME, row)
            self._written()
        except sqlite3.IntegrityError as exc:
            raise InternalError(
                f"task {row[0]} already has an outcome ({exc}); a task must be recorded exactly once",
                task_id=row[0],
            ) from None

    def record_error(
        self,
        *,
        task_id: int,
        attempt: int,
        error: dict[str, Any],
        retry_after: float | None,
        delay_s: float | None,
        session: int,
    ) -> None:
        self._begin()
        self._conn.execute(
            "INSERT INTO errors (task_id, attempt, error_type, kind, retryable, message, retry_after, delay_s, at, "
            "session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task_id, attempt, error["type"], error.get("kind"), int(bool(error.get("retryable"))),
                error["message"], retry_after, delay_s, time.time(), session,
            ),
        )  # fmt: skip
        self._written()

    def record_budget_warning(
        self, *, session: int, scope: str, spent_usd: float, limit_usd: float, warn_at: float, message: str
    ) -> None:
        """Record that a budget's spend crossed ``warn_at`` (committed at once)."""
        self.flush()
        self._conn.execute(_BUDGET_WARNINGS)
        self._conn.execute(
            "INSERT INTO budget_warnings (session, scope, spent_usd, limit_usd, warn_at, message, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (session, scope, spent_usd, limit_usd, warn_at, message, time.time()),
        )

    def budget_warnings(self) -> list[dict[str, Any]]:
        """The budget warnings recorded, oldest first (none in a store without the table)."""
        if (
            self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='budget_warnings'"
            ).fetchone()
            is None
        ):
            return []
        cursor = self._conn.execute("SELECT * FROM budget_warnings ORDER BY id")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def outcomes(self) -> list[dict[str, Any]]:
        """Every outcome, in plan order, with its JSON columns decoded and the task's seed and item index."""
        cursor = self._conn.execute(
            "SELECT o.*, t.seed AS seed, t.item_index AS item_index FROM outcomes o JOIN tasks t ON t.id = o.task_id "
            "ORDER BY o.task_id"
        )
        names = [c[0] for c in cursor.description]
        out: list[dict[str, Any]] = []
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            for column in _JSON_COLUMNS:
                if row[column] is not None:
                    row[column] = json.loads(row[column])
            row["simulated"] = bool(row["simulated"])
            out.append(row)
        return out

    def errors(self) -> list[dict[str, Any]]:
        cursor = self._conn.execute("SELECT * FROM errors ORDER BY id")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def counts(self) -> dict[str, int]:
        """Tasks planned and outcomes by status."""
        counts = {"tasks": self.task_count(), "ok": 0, "failed": 0, "blocked": 0}
        for status, n in self._conn.execute("SELECT status, COUNT(*) FROM outcomes GROUP BY status"):
            counts[status] = int(n)
        counts["pending"] = counts["tasks"] - counts["ok"] - counts["failed"] - counts["blocked"]
        return counts

    def counts_by_condition(self) -> dict[str, dict[str, int]]:
        """Outcomes per condition and status."""
        out: dict[str, dict[str, int]] = {}
        for condition, status, n in self._conn.execute(
            "SELECT condition, status, COUNT(*) FROM outcomes GROUP BY condition, status"
        ):
            out.setdefault(str(condition), {})[str(status)] = int(n)
        return out

    def spent(self) -> dict[str, float]:
        """Cost recorded so far per condition."""
        return {
            str(c): float(v or 0.0)
            for c, v in self._conn.execute("SELECT condition, SUM(cost_usd) FROM outcomes GROUP BY condition")
        }

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
