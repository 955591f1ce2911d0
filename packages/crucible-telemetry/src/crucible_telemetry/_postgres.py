"""PostgreSQL store (psycopg 3): the same schema and contract as the SQLite store, COPY for batches.

Needs the ``postgres`` extra: ``pip install 'crucible-telemetry[postgres]'``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from crucible_core.errors import NetworkError, NotFoundError, ValidationError
from crucible_core.redaction import REDACTED, redact_text, redact_url
from crucible_telemetry._batch import EventBatch, decode_block
from crucible_telemetry._postgres_schema import postgres_migrations
from crucible_telemetry._records import ExperimentRecord
from crucible_telemetry._sql import (
    EVENT_COLUMN_LIST,
    append_block,
    check_known_version,
    select_events,
)
from crucible_telemetry._store import (
    BLOCK_MERGE_ROWS,
    EXPERIMENT_COLUMNS,
    EventQuery,
    check_status,
    concat_analytics,
    experiment_from_row,
    experiment_to_row,
)

__all__ = ["PostgresStore"]

_SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_EXPERIMENT_LIST = ", ".join(EXPERIMENT_COLUMNS)


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "PostgresStore needs psycopg 3: pip install 'crucible-telemetry[postgres]'"
        ) from exc
    return psycopg


class PostgresStore:
    """Telemetry in PostgreSQL tables inside ``schema`` (created if missing), through psycopg 3.

    Batches are written with ``COPY ... FROM STDIN`` in one transaction each; the schema is versioned
    and migrated forward on connect (under an advisory lock, so concurrent processes are safe). An
    unreachable server raises :class:`~crucible_core.errors.NetworkError` naming host and port (never
    the password). A dropped connection is re-opened on the next call.

        >>> store = PostgresStore("postgresql://postgres@127.0.0.1:5432/test")  # doctest: +SKIP
    """

    def __init__(
        self, url: str, *, schema: str = "crucible_telemetry", connect_timeout: float = 10.0
    ) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValidationError(
                "url must be a PostgreSQL URL such as 'postgresql://user@host:5432/db'",
                argument="url",
                value=repr(url),
            )
        if not isinstance(schema, str) or not _SCHEMA_RE.match(schema):
            raise ValidationError(
                f"schema must be a plain SQL identifier (letters, digits, underscores; not starting with a digit); "
                f"got {schema!r}",
                argument="schema",
                value=repr(schema),
            )
        self._psycopg = _import_psycopg()
        self._url = url
        self.schema = schema
        self._s = f'"{schema}"'
        self._timeout = connect_timeout
        self._lock = threading.RLock()
        self._conn: Any = None
        self._closed = False
        self._where = self._describe()
        conn = self._connect()
        self._migrate(conn)

    def __repr__(self) -> str:
        return f"PostgresStore({redact_url(self._url)!r}, schema={self.schema!r})"

    # -- connection ------------------------------------------------------------------------------
    def _describe(self) -> dict[str, Any]:
        try:
            info = self._psycopg.conninfo.conninfo_to_dict(self._url)
        except Exception:
            info = {}
        return {
            "host": info.get("host") or "localhost",
            "port": int(info.get("port") or 5432),
            "dbname": info.get("dbname"),
        }

    def _connect(self) -> Any:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=max(1, round(self._timeout)))
        except psycopg.Error as exc:
            raise self._network_error(exc) from None
        conn.execute("SET TIME ZONE 'UTC'")
        self._conn = conn
        return conn

    def _network_error(self, exc: BaseException) -> NetworkError:
        reason = redact_text(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        password = self._password()
        if password:
            reason = reason.replace(password, REDACTED)
        host, port, db = self._where["host"], self._where["port"], self._where["dbname"]
        return NetworkError(
            f"cannot reach PostgreSQL at {host}:{port} (database {db!r}): {reason}. "
            "Check that the server is running and that the URL's host, port and credentials are right.",
            host=host,
            port=port,
            database=db,
        )

    def _password(self) -> str | None:
        try:
            return self._psycopg.conninfo.conninfo_to_dict(self._url).get("password")
        except Exception:
            return None

    def _db(self) -> Any:
        if self._closed:
            raise ValidationError(f"{self!r} is closed; create a new PostgresStore", schema=self.schema)
        if self._conn is None or self._conn.closed or self._conn.broken:
            return self._connect()
        return self._conn

    def _run(self, fn: Any, *, read: bool = False) -> Any:
        """Call ``fn(conn)`` under the lock; connection failures become NetworkError. A read that
        finds the connection dropped (server restart, idle timeout) reconnects and runs once more;
        a write is not repeated (it may have committed), the writer's retry policy decides."""
        psycopg = self._psycopg
        with self._lock:
            for attempt in (1, 2):
                conn = self._db()
                try:
                    return fn(conn)
                except psycopg.OperationalError as exc:
                    if not (conn.broken or conn.closed):
                        raise
                    if not read or attempt == 2:
                        raise self._network_error(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- schema ----------------------------------------------------------------------------------
    def _migrate(self, conn: Any) -> None:
        s = self._s
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"crucible_telemetry:{self.schema}",))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {s}.schema_version (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
        for migration in postgres_migrations(self.schema):
            with conn.transaction():
                conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"crucible_telemetry:{self.schema}",)
                )
                current = conn.execute(
                    f"SELECT COALESCE(MAX(version), 0) FROM {s}.schema_version"
                ).fetchone()[0]
                check_known_version(current, f"PostgreSQL schema {self.schema!r}")
                if current < migration.version:
                    for statement in migration.statements:
                        conn.execute(statement)
                    if migration.data_step is not None:
                        migration.data_step(conn)
                    conn.execute(
                        f"INSERT INTO {s}.schema_version (version, description, applied_at) VALUES (%s, %s, %s)",
                        (migration.version, migration.description, datetime.now(UTC)),
                    )

    @property
    def schema_version(self) -> int:
        return int(
            self._run(lambda c: c.execute(f"SELECT MAX(version) FROM {self._s}.schema_version").fetchone()[0])
        )

    # -- experiments -----------------------------------------------------------------------------
    def create_experiment(self, record: ExperimentRecord) -> None:
        row = experiment_to_row(record)
        placeholders = ", ".join(["%s"] * len(EXPERIMENT_COLUMNS))

        def insert(conn: Any) -> None:
            try:
                conn.execute(
                    f"INSERT INTO {self._s}.experiments ({_EXPERIMENT_LIST}) VALUES ({placeholders})", row
                )
            except self._psycopg.errors.UniqueViolation:
                raise ValidationError(
                    f"an experiment with id {record.id!r} already exists; choose another id",
                    argument="record",
                    experiment_id=record.id,
                ) from None

        self._run(insert)

    def update_experiment(self, record: ExperimentRecord) -> None:
        row = experiment_to_row(record)
        assignments = ", ".join(f"{c} = %s" for c in EXPERIMENT_COLUMNS[1:])
        sql = f"UPDATE {self._s}.experiments SET {assignments} WHERE experiment_id = %s"
        count = self._run(lambda c: c.execute(sql, (*row[1:], row[0])).rowcount)
        if count == 0:
            raise _not_found(record.id)

    def get_experiment(self, experiment_id: str) -> ExperimentRecord:
        sql = f"SELECT {_EXPERIMENT_LIST} FROM {self._s}.experiments WHERE experiment_id = %s"
        row = self._run(lambda c: c.execute(sql, (experiment_id,)).fetchone(), read=True)
        if row is None:
            raise _not_found(experiment_id)
        return experiment_from_row(row)

    def list_experiments(
        self, *, status: str | None = None, name: str | None = None
    ) -> list[ExperimentRecord]:
        check_status(status)
        sql = (
            f"SELECT {_EXPERIMENT_LIST} FROM {self._s}.experiments WHERE (%(status)s::text IS NULL OR status = %(status)s) "
            "AND (%(name)s::text IS NULL OR name = %(name)s) ORDER BY started_at, experiment_id"
        )
        rows = self._run(lambda c: c.execute(sql, {"status": status, "name": name}).fetchall(), read=True)
        return [experiment_from_row(row) for row in rows]

    # -- events ----------------------------------------------------------------------------------
    def write_batches(self, batches: Sequence[EventBatch]) -> None:
        s = self._s

        def write(conn: Any) -> None:
            with conn.transaction():
                wanted = sorted({b.experiment_id for b in batches})
                found = {
                    r[0]
                    for r in conn.execute(
                        f"SELECT experiment_id FROM {s}.experiments WHERE experiment_id = ANY(%s)", (wanted,)
                    ).fetchall()
                }
                for experiment_id in wanted:
                    if experiment_id not in found:
                        raise _not_found(experiment_id)
                with conn.cursor() as cursor:
                    for batch in batches:
                        if not len(batch):
                            continue
                        with cursor.copy(f"COPY {s}.events ({EVENT_COLUMN_LIST}) FROM STDIN") as copy:
                            for row in batch.rows():
                                copy.write_row(row)
                        self._append_block(conn, batch)

        self._run(write)

    def _append_block(self, conn: Any, batch: EventBatch) -> None:
        append_block(
            conn.execute, batch, table=f"{self._s}.event_blocks", placeholder="%s",
            merge_rows=BLOCK_MERGE_ROWS, lock_clause="FOR UPDATE",
        )  # fmt: skip

    def read_rows(self, experiment_id: str, query: EventQuery) -> list[tuple[Any, ...]]:
        sql, params = select_events(
            query, experiment_id, table=f"{self._s}.events", columns=EVENT_COLUMN_LIST, placeholder="%s"
        )

        def read(conn: Any) -> list[tuple[Any, ...]]:
            self._require(conn, experiment_id)
            return conn.execute(sql, params).fetchall()

        return self._run(read, read=True)

    def read_analytics(self, experiment_id: str) -> pl.DataFrame:
        def read(conn: Any) -> list[Any]:
            self._require(conn, experiment_id)
            return conn.execute(
                f"SELECT data FROM {self._s}.event_blocks WHERE experiment_id = %s ORDER BY block_id",
                (experiment_id,),
            ).fetchall()

        return concat_analytics([decode_block(blob) for (blob,) in self._run(read, read=True)])

    def count_events(self, experiment_id: str) -> int:
        def count(conn: Any) -> int:
            self._require(conn, experiment_id)
            sql = f"SELECT COALESCE(SUM(n_events), 0) FROM {self._s}.event_blocks WHERE experiment_id = %s"
            return int(conn.execute(sql, (experiment_id,)).fetchone()[0])

        return self._run(count, read=True)

    def _require(self, conn: Any, experiment_id: str) -> None:
        sql = f"SELECT 1 FROM {self._s}.experiments WHERE experiment_id = %s"
        if conn.execute(sql, (experiment_id,)).fetchone() is None:
            raise _not_found(experiment_id)

    def drop_schema(self) -> None:
        """Drop ``schema`` and every table in it (irreversible; meant for tests and clean-ups)."""
        self._run(lambda c: c.execute(f"DROP SCHEMA IF EXISTS {self._s} CASCADE"))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None and not self._conn.closed:
                self._conn.close()
            self._conn = None


def _not_found(experiment_id: str) -> NotFoundError:
    return NotFoundError(
        f"no experiment with id {experiment_id!r} in this store; list_experiments() shows the known ids",
        experiment_id=experiment_id,
    )
