"""Running experiments end to end on simulated models and function conditions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from crucible_core.errors import DataError, ValidationError
from crucible_core.export import read_records
from crucible_datasets import Item
from crucible_harness import Condition, Experiment, Outcome, ResultsStore, TaskContext, arun, load_run, run


def _outcome_rows(run_dir: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(run_dir / "results.sqlite") as conn:
        return conn.execute(
            "SELECT task_id, condition, item_id, repeat, status, prediction, scores FROM outcomes ORDER BY task_id"
        ).fetchall()


def test_run_records_one_outcome_per_task_and_analyses(
    tmp_path: Path, simulated_experiment: Callable[..., Experiment]
) -> None:
    exp = simulated_experiment(40, repeats=2)
    result = run(exp, output_dir=tmp_path / "run")
    assert result.status == "completed" and result.stop_reason is None
    assert result.counts == {"tasks": 160, "ok": 160, "failed": 0, "blocked": 0, "pending": 0}
    with sqlite3.connect(tmp_path / "run" / "results.sqlite") as conn:
        per_task = conn.execute(
            "SELECT t.id, COUNT(o.task_id) FROM tasks t LEFT JOIN outcomes o ON o.task_id = t.id GROUP BY t.id"
        ).fetchall()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(per_task) == 160 and {n for _, n in per_task} == {1}
    strong = result.analysis.condition("strong")
    weak = result.analysis.condition("weak")
    assert strong is not None and weak is not None
    assert strong.metrics[0].metric == "exact_match" and strong.metrics[0].n_items == 40
    # the simulated models answer correctly with probability 0.9 and 0.5 (seeded: these exact counts)
    frame = result.to_frame()
    means = frame.group_by("condition").agg(pl.col("score.exact_match").mean()).sort("condition")
    assert means["score.exact_match"].to_list() == pytest.approx(
        [strong.metrics[0].mean, weak.metrics[0].mean]
    )
    assert strong.metrics[0].mean > weak.metrics[0].mean
    assert strong.metrics[0].method == "clt"  # two repeats per item: item means are not 0/1
    assert weak.cost_usd == pytest.approx(
        sum((r["prompt_tokens"] * 1.0 + r["completion_tokens"] * 2.0) / 1e6 for r in result.outcomes()
            if r["condition"] == "weak")
    )  # fmt: skip
    assert strong.cost_usd == 0.0 and result.simulated
    [comparison] = result.analysis.comparisons
    assert comparison.condition_a == "strong" and comparison.metric == "exact_match"
    assert comparison.p_adjusted == comparison.p_value  # one comparison: Holm leaves it alone
    assert "simulation" in result.analysis.conclusion


def test_same_seed_same_outcomes_and_other_seed_differs(
    tmp_path: Path, simulated_experiment: Callable[..., Experiment]
) -> None:
    first = run(simulated_experiment(30), output_dir=tmp_path / "a")
    second = run(simulated_experiment(30), output_dir=tmp_path / "b")
    third = run(simulated_experiment(30, seed=8), output_dir=tmp_path / "c")
    assert _outcome_rows(first.path) == _outcome_rows(second.path)
    assert _outcome_rows(first.path) != _outcome_rows(third.path)


def test_exports_parquet_csv_and_frame(
    tmp_path: Path, simulated_experiment: Callable[..., Experiment]
) -> None:
    exp = simulated_experiment(12, outputs={"formats": ["json"], "figures": False, "progress": "quiet"})
    result = run(exp, output_dir=tmp_path / "run")
    frame = pl.read_parquet(tmp_path / "run" / "outcomes.parquet")
    assert frame.shape[0] == 24
    assert {"condition", "item_id", "repeat", "variant", "status", "seed", "score.exact_match"} <= set(
        frame.columns
    )
    assert frame.equals(result.to_frame())
    csv = read_records(tmp_path / "run" / "outcomes.csv")
    assert len(csv) == 24 and csv[0]["condition"] == "strong"
    spec = json.loads((tmp_path / "run" / "experiment.json").read_text())
    assert spec["conditions"][0]["model"]["provider"] == "simulated"
    environment = json.loads((tmp_path / "run" / "environment.json").read_text())
    assert (
        environment["sessions"][0]["session"] == 1
        and "crucible-harness" in environment["sessions"][0]["packages"]
    )
    assert (tmp_path / "run" / "telemetry.sqlite").is_file()


@pytest.mark.anyio
async def test_function_conditions_get_seeded_context(tmp_path: Path) -> None:
    seen: list[TaskContext] = []

    async def guess(item: Item, ctx: TaskContext) -> Outcome:
        seen.append(ctx)
        value = ctx.rng.random()
        return Outcome(prediction=str(item.expected) if value < 0.7 else "wrong", scores={"draw": value},
                       prompt_tokens=3, completion_tokens=1, cost_usd=0.001)  # fmt: skip

    def plain(item: Item, ctx: TaskContext) -> str:  # a sync function works too
        return "wrong"

    exp = Experiment(
        name="fn",
        dataset={"items": [{"id": f"i{n}", "prompt": "p", "expected": "yes"} for n in range(10)]},
        conditions=[Condition("guess", fn=guess), Condition("plain", fn=plain)],
        metrics=["exact_match"],
        repeats=3,
        outputs={"formats": [], "figures": False, "progress": "quiet"},
    )
    result = await arun(exp, output_dir=tmp_path / "run")
    assert len(seen) == 30 and len({c.seed for c in seen}) == 30
    assert all(c.params.seed == c.seed for c in seen)
    guess_summary = result.analysis.condition("guess")
    assert guess_summary is not None and guess_summary.cost_usd == pytest.approx(0.03)
    names = [m.metric for m in guess_summary.metrics]
    assert names == ["exact_match", "draw"]
    by_draw = {(r["item_id"], r["repeat"]): r for r in result.outcomes() if r["condition"] == "guess"}
    for row in by_draw.values():
        assert row["scores"]["exact_match"] == (1.0 if row["scores"]["draw"] < 0.7 else 0.0)


@pytest.mark.anyio
async def test_bad_model_output_and_metric_failures_never_crash_the_run(tmp_path: Path) -> None:
    class Weird:
        def __repr__(self) -> str:
            return "<weird>"

    async def odd(item: Item, ctx: TaskContext) -> Any:
        return {"i0": None, "i1": Weird(), "i2": "\x00\ud800 bytes", "i3": 12.5}[item.id]

    def fragile(prediction: Any, item: Item) -> float:
        return len(prediction) / 10  # raises for None and Weird

    exp = Experiment(
        name="odd",
        dataset={"items": [{"id": f"i{n}", "prompt": "p", "expected": "x"} for n in range(4)]},
        conditions=[Condition("odd", fn=odd)],
        metrics=["exact_match", fragile],
        outputs={"formats": ["json", "markdown"], "figures": False, "progress": "quiet"},
    )
    result = await arun(exp, output_dir=tmp_path / "run")
    assert result.counts["ok"] == 4
    rows = {r["item_id"]: r for r in result.outcomes()}
    assert rows["i1"]["prediction"] == "<weird>"
    assert "fragile" not in rows["i0"]["scores"] and rows["i0"]["scores"]["exact_match"] == 0.0
    assert any("fragile" in p for p in rows["i0"]["metadata"]["score_problems"])
    assert rows["i2"]["scores"]["fragile"] == pytest.approx(0.8)  # the raw prediction has 8 characters
    assert rows["i2"]["prediction"] == "\x00\\ud800 bytes"  # a lone surrogate is stored escaped
    assert "fragile" not in rows["i3"]["scores"] and rows["i3"]["prediction"] == 12.5
    assert (tmp_path / "run" / "report.md").is_file()


@pytest.mark.anyio
async def test_run_dir_rules(tmp_path: Path, simulated_experiment: Callable[..., Experiment]) -> None:
    exp = simulated_experiment(4)
    with pytest.raises(ValidationError, match="holds no run"):
        await arun(exp, output_dir=tmp_path / "missing", resume=True)
    await arun(exp, output_dir=tmp_path / "run")
    with pytest.raises(ValidationError, match="already holds a run"):
        await arun(exp, output_dir=tmp_path / "run")
    with pytest.raises(ValidationError, match="different plan"):
        await arun(simulated_experiment(5), output_dir=tmp_path / "run", resume=True)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "results.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(DataError, match="not a usable results store"):
        ResultsStore(tmp_path / "junk" / "results.sqlite")
    loaded = load_run(tmp_path / "run")
    assert loaded.counts["ok"] == 8 and loaded.sessions == 1


@pytest.mark.anyio
async def test_require_clean_git_refuses_a_dirty_tree(
    tmp_path: Path, simulated_experiment: Callable[..., Experiment]
) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    source = repo / "exp.py"
    source.write_text("# the experiment\n")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for command in (["init", "-q"], ["add", "exp.py"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *command], cwd=repo, check=True, env={**env, "PATH": "/usr/bin:/bin"})
    strict = simulated_experiment(3, reproducibility={"require_clean_git": True})
    clean = await arun(strict, output_dir=tmp_path / "clean", source=str(source))
    environment = json.loads((tmp_path / "clean" / "environment.json").read_text())["sessions"][0]
    assert clean.status == "completed" and environment["git"]["root"] == str(repo)
    assert environment["git"]["dirty"] is False
    source.write_text("# changed, not committed\n")
    with pytest.raises(ValidationError, match="require_clean_git"):
        await arun(strict, output_dir=tmp_path / "dirty", source=str(source))
    assert not (tmp_path / "dirty").exists()


@pytest.mark.anyio
async def test_a_template_that_does_not_fit_the_items_fails_before_anything_is_written(
    tmp_path: Path, simulated_experiment: Callable[..., Experiment]
) -> None:
    model = {"name": "sim", "provider": "simulated", "sleep": False}
    bad = simulated_experiment(4, conditions=[Condition("m", model=model, prompt="Q: {question}")])
    with pytest.raises(ValidationError, match=r"\{question\}.*no such input field") as info:
        await arun(bad, output_dir=tmp_path / "run")
    assert info.value.details["argument"] == "prompt" and "fix: use one of" in str(info.value)
    assert not (tmp_path / "run").exists()  # no run directory, no results.sqlite
    fixed = simulated_experiment(4, conditions=[Condition("m", model=model, prompt="Q: {prompt}")])
    result = await arun(fixed, output_dir=tmp_path / "run")  # the same directory is free for the fixed run
    assert result.status == "completed" and result.counts["ok"] == 4
