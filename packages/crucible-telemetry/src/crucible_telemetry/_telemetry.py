"""The :class:`Telemetry` entry point: attach to the event bus, route events to experiments, store them."""

from __future__ import annotations

import atexit
import functools
import os
import random
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

from crucible_core import events
from crucible_core.environment import capture_environment
from crucible_core.errors import ValidationError
from crucible_core.ids import new_id
from crucible_core.logging import get_logger
from crucible_core.redaction import redact
from crucible_telemetry._batch import EventBatch
from crucible_telemetry._compare import ExperimentComparison, compare_metrics
from crucible_telemetry._convert import sanitise_mapping
from crucible_telemetry._experiment import Experiment
from crucible_telemetry._export import load_export
from crucible_telemetry._live import LiveAggregator, LiveView
from crucible_telemetry._memory import MemoryStore
from crucible_telemetry._records import EVENT_COLUMNS, EventRecord, ExperimentRecord
from crucible_telemetry._sink import CaptureStats, Sink, check_options, positive_int
from crucible_telemetry._state import ExperimentState
from crucible_telemetry._store import Store
from crucible_telemetry._writer import CaptureWriter, Target

__all__ = ["CaptureStats", "Sink", "Telemetry"]

_log = get_logger("crucible_telemetry")


def _close_at_exit(ref: weakref.ref[Telemetry]) -> None:
    telemetry = ref()
    if telemetry is not None:
        telemetry.close()


class Telemetry:
    """Capture crucible-core events per experiment into a :class:`Store`.

    ``prefixes`` selects the events (default ``"crucible"``: everything Crucible emits; add your own,
    or ``""`` for all). ``sample_rate`` < 1 keeps each event with that probability (seeded by
    ``seed``; skipped events are counted). Events go through a queue of ``queue_size`` written by a
    background thread every ``flush_interval`` seconds or ``batch_size`` events; when the queue is full
    ``overflow="block"`` makes the emitter wait and ``"drop"`` discards (and counts) the event. Events
    emitted outside any experiment are ignored unless :meth:`set_default_experiment` names one.
    ``sinks`` (e.g. the OpenTelemetry bridge) receive every stored event.

    :meth:`close` (also at interpreter exit, and at the end of ``with Telemetry(...)``) flushes, stops
    running experiments, closes the sinks and the store.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        prefixes: str | Iterable[str] = ("crucible",),
        sample_rate: float = 1.0,
        seed: int = 0,
        queue_size: int = 100_000,
        batch_size: int = 2_000,
        flush_interval: float = 0.2,
        overflow: Literal["block", "drop"] = "block",
        capture_environment: bool = True,
        sinks: Sequence[Sink] = (),
    ) -> None:
        check_options(store, sample_rate, flush_interval, overflow, sinks)
        self.store: Store = store if store is not None else MemoryStore()
        self._sample_rate = float(sample_rate)
        self._rng = random.Random(seed)
        self._capture_environment = capture_environment
        self._sinks = tuple(sinks)
        self._lock = threading.RLock()
        self._live_lock = threading.Lock()
        self._states: dict[str, ExperimentState] = {}
        self._active: dict[str, ExperimentState] = {}
        self._default: ExperimentState | None = None
        self._closed = False
        self._writer = CaptureWriter(
            self._write,
            self._after_write,
            queue_size=positive_int(queue_size, "queue_size"),
            batch_size=positive_int(batch_size, "batch_size"),
            flush_interval=float(flush_interval),
            overflow=overflow,
        )
        self.handler_id = f"crucible-telemetry-{new_id()}"
        try:
            events.attach(
                self.handler_id,
                prefixes,
                self._writer.handler(
                    self._active, self._default_target, self._sampled_in if self._sample_rate < 1.0 else None
                ),
            )
        except BaseException:
            self._writer.close()
            raise
        self._atexit = functools.partial(_close_at_exit, weakref.ref(self))
        atexit.register(self._atexit)

    def __repr__(self) -> str:
        return f"Telemetry(store={self.store!r}, active={len(self._active)})"

    def __enter__(self) -> Telemetry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the bus handler (hot path: CaptureWriter.handler) -----------------------------------------
    def _default_target(self) -> ExperimentState | None:
        return self._default

    def _sampled_in(self, state: Target) -> bool:
        if self._rng.random() < self._sample_rate:
            return True
        state.count("sampled_out", 1)
        return False

    def _write(self, batches: Sequence[EventBatch]) -> None:
        with self._live_lock:  # a live view seeded from the store never double-counts a batch
            self.store.write_batches(batches)
            for batch in batches:
                state = self._states.get(batch.experiment_id)
                if state is not None and state.live is not None:
                    state.live.update(batch.analytics())

    def _after_write(self, batches: Sequence[EventBatch]) -> None:
        if not self._sinks:
            return
        records: list[EventRecord] = []
        for batch in batches:
            columns = [batch.columns[name] for name in EVENT_COLUMNS]
            columns[-1] = [dict(metadata) for metadata in columns[-1]]  # shared in the batch: one per record
            records.extend(
                EventRecord.model_construct(**dict(zip(EVENT_COLUMNS, values, strict=True)))
                for values in zip(*columns, strict=True)
            )
        for sink in self._sinks:
            try:
                sink.handle(records)
            except Exception as exc:
                _log.error(
                    "telemetry sink failed", sink=type(sink).__name__, error=f"{type(exc).__name__}: {exc}"
                )

    # -- experiments -----------------------------------------------------------------------------
    def experiment(
        self,
        name: str,
        *,
        hypothesis: str | None = None,
        condition: str | None = None,
        tags: Iterable[str] = (),
        metadata: Mapping[str, Any] | None = None,
        experiment_id: str | None = None,
    ) -> Experiment:
        """Create and start an experiment (status ``running``); use it as ``with tel.experiment(...) as exp:``.

        Secrets (API keys, ``sk-…``/``tml-…`` tokens, registered secrets) are redacted from ``name``,
        ``condition``, ``hypothesis``, ``tags`` and ``metadata`` before anything is stored; the name and
        condition are copied into every event row.
        """
        self._check_open()
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(
                f"name must be a non-empty string; got {name!r}", argument="name", value=repr(name)
            )
        for argument, value in (
            ("hypothesis", hypothesis),
            ("condition", condition),
            ("experiment_id", experiment_id),
        ):
            if value is not None and not isinstance(value, str):
                raise ValidationError(
                    f"{argument} must be a string or None; got {value!r}", argument=argument
                )
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise ValidationError(
                f"tags must be a list of strings, e.g. tags=['h1']; got {tags!r}",
                argument="tags",
                value=repr(tags),
            )
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError(
                f"metadata must be a mapping; got {type(metadata).__name__}", argument="metadata"
            )
        bad = [0]
        clean_metadata = sanitise_mapping(metadata, bad)
        record = ExperimentRecord(
            id=experiment_id or new_id("exp"),
            name=redact(name),  # copied into every event row: redacted like the rest of the record
            hypothesis=redact(hypothesis),
            condition=redact(condition),
            tags=tuple(redact(list(tags))),
            metadata=clean_metadata,
            environment=capture_environment() if self._capture_environment else None,
            counters={"invalid_values": bad[0]} if bad[0] else {},
        )
        self.store.create_experiment(record)
        self._register(record)
        return Experiment(self, record.id)

    def _register(self, record: ExperimentRecord) -> ExperimentState:
        state = ExperimentState(record)
        with self._lock:
            self._states[record.id] = state
            self._active[record.id] = state
        return state

    def get_experiment(self, experiment_id: str) -> Experiment:
        """A handle on a stored experiment; unknown ids raise :class:`~crucible_core.errors.NotFoundError`."""
        if experiment_id not in self._states:
            self.store.get_experiment(experiment_id)
        return Experiment(self, experiment_id)

    def list_experiments(
        self, *, status: str | None = None, name: str | None = None
    ) -> list[ExperimentRecord]:
        """Records of the stored experiments (by start time), optionally filtered by status and name.

        ``name`` is redacted like stored names, so the name given to :meth:`experiment` finds it.
        """
        records = self.store.list_experiments(status=status, name=redact(name) if name is not None else None)
        return [self._current_record(r.id) if r.id in self._states else r for r in records]

    def compare(
        self, a: Experiment | str, b: Experiment | str, **metric_options: Any
    ) -> ExperimentComparison:
        """Per-metric differences of two experiments (``b - a``); ``metric_options`` go to ``metrics()``."""
        first = a if isinstance(a, Experiment) else self.get_experiment(a)
        second = b if isinstance(b, Experiment) else self.get_experiment(b)
        return compare_metrics(first.metrics(**metric_options), second.metrics(**metric_options))

    def set_default_experiment(self, experiment: Experiment | str | None) -> None:
        """Route events emitted outside any experiment context to ``experiment`` (None: ignore them)."""
        if experiment is None:
            self._default = None
            return
        experiment_id = experiment.id if isinstance(experiment, Experiment) else experiment
        state = self._active.get(experiment_id)
        if state is None:
            raise ValidationError(
                f"experiment {experiment_id!r} is not capturing in this Telemetry; create it with "
                "tel.experiment(...) or resume() it first",
                argument="experiment",
                value=experiment_id,
            )
        self._default = state

    def import_experiment(self, path: str | os.PathLike[str], *, format: str | None = None) -> Experiment:
        """Load a JSONL/Parquet export (see ``Experiment.export``) into this store; returns its handle."""
        exported = load_export(path, format=format)
        if exported.experiment is None:
            raise ValidationError(
                f"{path} has no experiment record beside it (<stem>.experiment.json); it cannot be imported",
                argument="path",
                value=str(path),
            )
        record = exported.experiment
        self.store.create_experiment(record)
        if exported.events:
            self.store.write_batches([EventBatch.from_records(record.id, exported.events)])
        return Experiment(self, record.id)

    # -- lifecycle (called by Experiment) --------------------------------------------------------
    def _current_record(self, experiment_id: str) -> ExperimentRecord:
        state = self._states.get(experiment_id)
        if state is None:
            return self.store.get_experiment(experiment_id)
        return state.record.model_copy(update={"counters": state.snapshot_counters()})

    def _is_capturing_here(self, experiment_id: str) -> bool:
        return experiment_id in self._active

    def _flush_if_capturing(self, experiment_id: str) -> None:
        if experiment_id in self._states and not self._closed:
            self._writer.flush()

    def _save(self, state: ExperimentState, **changes: Any) -> ExperimentRecord:
        record = state.record.model_copy(update={**changes, "counters": state.snapshot_counters()})
        self.store.update_experiment(record)
        state.record = record
        return record

    def _pause(self, experiment_id: str) -> None:
        state = self._active.get(experiment_id)
        status = state.record.status if state is not None else self.store.get_experiment(experiment_id).status
        if state is None or status != "running":
            raise ValidationError(
                f"cannot pause experiment {experiment_id!r}: it is {status}"
                + ("" if state is not None else " and not capturing in this Telemetry")
                + "; only a running experiment can be paused",
                argument="experiment",
                status=status,
            )
        state.capturing = False
        self._writer.flush()
        self._save(state, status="paused")

    def _resume(self, experiment_id: str) -> None:
        self._check_open()
        state = self._active.get(experiment_id)
        if state is not None:
            if state.record.status == "running":
                raise ValidationError(
                    f"experiment {experiment_id!r} is already running",
                    argument="experiment",
                    status="running",
                )
            self._save(state, status="running")
            state.capturing = True
            return
        record = self.store.get_experiment(experiment_id)
        if record.status == "archived":
            raise ValidationError(
                f"experiment {experiment_id!r} is archived and read-only; start a new experiment instead",
                argument="experiment",
                status="archived",
            )
        state = self._register(record)
        self._save(state, status="running", stopped_at=None)
        state.capturing = True

    def _finish(self, experiment_id: str, status: Literal["stopped", "archived"]) -> None:
        state = self._active.get(experiment_id)
        now = datetime.now(UTC)
        if state is None:
            record = self.store.get_experiment(experiment_id)
            if record.status == status or record.status == "archived":
                return
            self.store.update_experiment(
                record.model_copy(update={"status": status, "stopped_at": record.stopped_at or now})
            )
            return
        state.capturing = False
        if not self._closed:
            self._writer.flush()
        with self._lock:
            self._active.pop(experiment_id, None)
            if self._default is state:
                self._default = None
        self._save(state, status=status, stopped_at=now)
        with self._lock:
            self._states.pop(experiment_id, None)

    def _live(self, experiment_id: str) -> LiveView:
        state = self._states.get(experiment_id)
        if state is None:  # not capturing here: a one-off view of what is stored
            aggregator = LiveAggregator()
            aggregator.update(self.store.read_analytics(experiment_id))
            return LiveView(ExperimentState(self.store.get_experiment(experiment_id)), aggregator)
        if state.live is None:
            self._writer.flush()
            with self._live_lock:
                if state.live is None:
                    aggregator = LiveAggregator()
                    aggregator.update(self.store.read_analytics(experiment_id))
                    state.live = aggregator
        return LiveView(state, state.live)

    # -- pipeline --------------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> None:
        """Wait until every event queued so far is written to the store."""
        if not self._closed:
            self._writer.flush(timeout)

    def stats(self) -> CaptureStats:
        return CaptureStats(
            queued=self._writer.queued,
            written=self._writer.written,
            write_failures=self._writer.failed,
            active_experiments=len(self._active),
        )

    def _check_open(self) -> None:
        if self._closed:
            raise ValidationError("this Telemetry is closed; create a new one", argument="telemetry")

    def close(self) -> None:
        """Detach from the bus, write what is queued, stop running experiments, close sinks and store."""
        if self._closed:
            return
        events.detach(self.handler_id)
        self._writer.flush()
        self._closed = True
        for experiment_id in list(self._active):
            try:
                self._finish(experiment_id, "stopped")
            except Exception as exc:
                _log.error("could not stop experiment at close", experiment_id=experiment_id, error=repr(exc))
        self._writer.close()
        for sink in self._sinks:
            try:
                sink.close()
            except Exception as exc:
                _log.error("telemetry sink failed to close", sink=type(sink).__name__, error=repr(exc))
        self.store.close()
        atexit.unregister(self._atexit)
