"""The progress display: rich bars per condition (names, cost so far, errors), continued on resume."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from crucible_harness import Condition, Experiment, ModelSpec, arun
from crucible_harness._progress import Progress, RichProgress


class _NoStdin(io.StringIO):
    def read(self, *args: Any) -> str:
        raise AssertionError("the progress display must never read standard input")

    readline = read  # type: ignore[assignment]


def test_rich_progress_renders_names_cost_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _NoStdin())
    buffer = io.StringIO()
    progress = RichProgress(console=Console(file=buffer, force_terminal=True, width=140, color_system=None))
    progress.start(
        {"baseline": (10, 4), "treatment": (5, 0)}, cost={"baseline": 1.25}, errors={"baseline": 2}
    )
    progress.advance("baseline", 0.5, True)
    progress.advance("treatment", 0.125, False)
    progress.note("budget warning: the spend reached warn_at=0.8")
    progress.stop()
    text = buffer.getvalue()
    assert "baseline" in text and "treatment" in text
    assert "5/10" in text and "1/5" in text
    assert "$1.7500" in text and "3 errors" in text  # continued from the earlier sessions' $1.25 and 2 errors
    assert "$0.1250" in text and "0 errors" in text
    assert "budget warning: the spend reached warn_at=0.8" in text


@pytest.mark.anyio
async def test_a_resumed_run_shows_the_cost_so_far_not_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[Progress] = []

    def capture(mode: str) -> Progress:
        shown.append(Progress())
        return shown[-1]

    monkeypatch.setattr("crucible_harness._runner.make_progress", capture)
    items = [{"id": f"q{i:02d}", "prompt": f"What is {i} + {i}?", "expected": str(2 * i)} for i in range(30)]
    paid = ModelSpec(name="paid", provider="simulated", sleep=False, price=(100.0, 200.0))
    exp = Experiment(
        name="progress", dataset={"items": items}, conditions=[Condition("paid", model=paid)],
        budget={"total_usd": 0.01, "expected_completion_tokens": 8}, limits={"concurrency": 2},
        outputs={"formats": [], "figures": False, "progress": "quiet", "telemetry": False},
    )  # fmt: skip
    first = await arun(exp, output_dir=tmp_path / "run")
    assert first.status == "stopped" and shown[0].cost["paid"] == pytest.approx(first.cost_usd)
    more = exp.model_copy(update={"budget": exp.budget.model_copy(update={"total_usd": 1.0})})
    second = await arun(more, output_dir=tmp_path / "run", resume=True)
    assert second.status == "completed" and second.cost_usd > first.cost_usd
    assert shown[1].cost["paid"] == pytest.approx(second.cost_usd)  # seeded with the first session's spend
    assert shown[1].done["paid"] == 30
