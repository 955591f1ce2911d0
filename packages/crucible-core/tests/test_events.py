import anyio
import pytest
import structlog

from crucible_core import events
from crucible_core.errors import ValidationError


@pytest.fixture
def collected():
    seen: list[events.Event] = []
    events.attach("test-collector", ["crucible.test"], seen.append)
    yield seen
    events.detach("test-collector")


def test_prefix_matching_is_by_segment(collected):
    events.emit("crucible.test.a", {"x": 1.0}, {"m": "v"})
    events.emit("crucible.testing.b")
    events.emit("crucible.test")
    events.emit("other.thing")
    assert [e.name for e in collected] == ["crucible.test.a", "crucible.test"]
    assert collected[0].measurements == {"x": 1.0}
    assert collected[0].metadata == {"m": "v"}
    assert collected[0].time_ns > 0 and collected[0].monotonic_ns > 0


def test_empty_prefix_matches_everything():
    seen: list[str] = []
    events.attach("all", [""], lambda e: seen.append(e.name))
    try:
        events.emit("anything.at.all")
    finally:
        events.detach("all")
    events.emit("anything.after")
    assert seen == ["anything.at.all"]


def test_duplicate_handler_id_rejected(collected):
    with pytest.raises(ValidationError, match="already attached"):
        events.attach("test-collector", ["x"], lambda e: None)


def test_bad_prefixes_rejected():
    with pytest.raises(ValidationError, match="prefixes"):
        events.attach("bad", [], lambda e: None)
    with pytest.raises(ValidationError, match=r"prefixes\[0\]"):
        events.attach("bad", [3], lambda e: None)  # type: ignore[list-item]


def test_bad_names_and_context_fields_rejected(collected):
    with pytest.raises(ValidationError, match="name must be a non-empty"):
        events.span(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="name"):
        events.emit(123)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="experiment_id must be a string"):
        events.experiment_context(experiment_id=5).__enter__()  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="tags must be an iterable of strings"):
        events.experiment_context(tags="h1").__enter__()
    with events.experiment_context(tags=iter(["h1", "h2"])) as ctx:
        assert ctx.tags == ("h1", "h2")


def test_failing_handler_is_logged_and_detached(collected):
    calls = []

    def broken(event):
        calls.append(event.name)
        raise RuntimeError("boom")

    events.attach("broken", ["crucible.test"], broken)
    with structlog.testing.capture_logs() as logs:
        events.emit("crucible.test.one")  # must not raise
        events.emit("crucible.test.two")
    assert calls == ["crucible.test.one"]
    assert [e.name for e in collected] == ["crucible.test.one", "crucible.test.two"]
    assert ("broken", ("crucible.test",)) not in events.attached_handlers()
    assert any(log.get("handler_id") == "broken" and "boom" in log.get("error", "") for log in logs)


def test_span_sync_emits_start_stop_and_exception(collected):
    with events.span("crucible.test.op", model="m") as s:
        s.set(outcome="ok")
        s.measure(tokens=3)
    with pytest.raises(KeyError), events.span("crucible.test.fail"):
        raise KeyError("k")
    names = [e.name for e in collected]
    assert names == [
        "crucible.test.op.start",
        "crucible.test.op.stop",
        "crucible.test.fail.start",
        "crucible.test.fail.exception",
    ]
    stop = collected[1]
    assert stop.metadata == {"model": "m", "outcome": "ok"}
    assert stop.measurements["duration_ns"] >= 0 and stop.measurements["tokens"] == 3
    assert collected[3].metadata["error_type"] == "KeyError"


@pytest.mark.anyio
async def test_span_async(collected):
    async with events.span("crucible.test.aop"):
        await anyio.sleep(0)
    assert [e.name for e in collected] == ["crucible.test.aop.start", "crucible.test.aop.stop"]


def test_experiment_context_nests_and_restores(collected):
    with events.experiment_context(experiment_id="e1", condition="a", tags=["t"]):
        with events.experiment_context(condition="b", seed=3):
            events.emit("crucible.test.inner")
        events.emit("crucible.test.outer")
    events.emit("crucible.test.none")
    inner, outer, none = collected
    assert (inner.context.experiment_id, inner.context.condition, inner.context.extra["seed"]) == (
        "e1",
        "b",
        3,
    )
    assert (outer.context.experiment_id, outer.context.condition) == ("e1", "a")
    assert outer.context.tags == ("t",)
    assert none.context.experiment_id is None


@pytest.mark.anyio
async def test_concurrent_tasks_never_see_each_others_context(collected):
    async def worker(exp: str) -> None:
        with events.experiment_context(experiment_id=exp):
            for i in range(20):
                events.emit("crucible.test.tick", {"i": float(i)}, {"expected": exp})
                await anyio.sleep(0)

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(worker, f"exp{n}")
    assert len(collected) == 160
    assert all(e.context.experiment_id == e.metadata["expected"] for e in collected)


def test_threads_isolated(collected):
    import threading

    def worker(exp: str) -> None:
        with events.experiment_context(experiment_id=exp):
            for _ in range(50):
                events.emit("crucible.test.thread", None, {"expected": exp})

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(collected) == 200
    assert all(e.context.experiment_id == e.metadata["expected"] for e in collected)


def test_no_handlers_means_no_event_built():
    # With nothing attached emit returns before building an Event; it must still accept any input.
    assert events.attached_handlers() == [] or all(h[0] != "x" for h in events.attached_handlers())
    events.emit("crucible.nobody.listens", {"a": 1.0}, {"b": object()})
