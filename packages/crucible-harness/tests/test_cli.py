"""The ``crucible-harness`` command: run, resume, estimate, report, list, show (typer's CliRunner)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crucible_harness.cli import app

runner = CliRunner()

EXPERIMENT = """
from crucible_harness import Condition, Experiment, ModelSpec

experiment = Experiment(
    name="cli-exp",
    dataset={"items": [{"id": f"q{i}", "prompt": f"What is {i} + {i}?", "expected": str(2 * i)} for i in range(12)]},
    conditions=[
        Condition("good", model=ModelSpec(name="good", provider="simulated", accuracy=0.9, sleep=False), answer="number"),
        Condition("poor", model=ModelSpec(name="poor", provider="simulated", accuracy=0.3, sleep=False,
                                           price=(1.0, 1.0)), answer="number"),
    ],
    metrics=["exact_match"],
    outputs={"formats": ["markdown", "json"], "figures": False},
)
"""


@pytest.fixture
def experiment_file(tmp_path: Path) -> Path:
    path = tmp_path / "exp.py"
    path.write_text(textwrap.dedent(EXPERIMENT))
    return path


def test_run_show_list_report_and_resume(tmp_path: Path, experiment_file: Path) -> None:
    runs = tmp_path / "runs"
    out = runs / "one"
    result = runner.invoke(
        app, ["run", str(experiment_file), "--output", str(out), "--quiet", "--set", "seed=3"]
    )
    assert result.exit_code == 0, result.output
    assert "cli-exp" in result.output and "completed" in result.output and "markdown:" in result.output
    assert json.loads((out / "report.json").read_text())["seed"] == 3

    shown = runner.invoke(app, ["show", str(out)])
    assert shown.exit_code == 0 and "good" in shown.output and "poor" in shown.output

    listed = runner.invoke(app, ["list", str(runs)])
    assert listed.exit_code == 0 and "cli-exp" in listed.output and "completed" in listed.output

    reported = runner.invoke(app, ["report", str(out), "--format", "html", "--format", "tex"])
    assert reported.exit_code == 0, reported.output
    assert (out / "report.html").is_file() and (out / "report.tex").is_file()

    resumed = runner.invoke(app, ["run", "--resume", str(out), "--quiet"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((out / "report.json").read_text())["sessions"] == 2


def test_estimate_and_errors_exit_2_with_the_fix(tmp_path: Path, experiment_file: Path) -> None:
    estimated = runner.invoke(app, ["estimate", str(experiment_file)])
    assert estimated.exit_code == 0 and "poor [poor]" in estimated.output and "total" in estimated.output

    bad = runner.invoke(app, ["run", str(experiment_file), "--set", "limits.concurrency=0", "--quiet"])
    assert bad.exit_code == 2
    assert "Limits.concurrency" in bad.output and "fix:" in bad.output

    missing = runner.invoke(app, ["run", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2 and "no experiment file" in missing.output

    empty = runner.invoke(app, ["list", str(tmp_path)])
    assert empty.exit_code == 0 and "no runs" in empty.output


def test_budget_stop_exits_1_and_suggests_resume(tmp_path: Path, experiment_file: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(experiment_file), "--output", str(out), "--quiet", "--set", "budget.total_usd=0.00003",
            "--set", "budget.expected_completion_tokens=6"]  # fmt: skip
    stopped = runner.invoke(app, args)
    assert stopped.exit_code == 1, stopped.output
    assert "resume with: crucible-harness run --resume" in stopped.output


def test_commands_are_importable_for_the_framework_cli() -> None:
    names = {command.name for command in app.registered_commands}
    assert names == {"run", "estimate", "report", "list", "show"}


def test_messages_name_the_command_as_invoked(tmp_path: Path, experiment_file: Path) -> None:
    """Invoked under another name (crucible-framework mounts these commands in ``crucible``), the resume
    hint names that command, not ``crucible-harness``."""
    out = tmp_path / "run"
    args = ["run", str(experiment_file), "--output", str(out), "--quiet", "--set", "budget.total_usd=0.00003",
            "--set", "budget.expected_completion_tokens=6"]  # fmt: skip
    stopped = runner.invoke(app, args, prog_name="crucible")
    assert stopped.exit_code == 1, stopped.output
    assert f"resume with: crucible run --resume {out}" in stopped.output
    assert "crucible-harness" not in stopped.output


def test_a_failing_hook_is_a_clean_error_with_the_resume_command(tmp_path: Path) -> None:
    path = tmp_path / "hooked.py"
    path.write_text(
        textwrap.dedent(EXPERIMENT).replace("metrics=[", "hooks={'after_task': boom},\n    metrics=[")
        .replace("experiment = Experiment(", "def boom(ctx, record):\n    if ctx.item.id == 'q5':\n"
                 "        raise RuntimeError('the hook is broken')\n\n\nexperiment = Experiment(")
    )  # fmt: skip
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", str(path), "--output", str(out), "--quiet", "--set", "limits.concurrency=1"]
    )
    assert result.exit_code == 1, result.output
    assert (
        "error (hook): the after_task hook" in result.output
        and "RuntimeError: the hook is broken" in result.output
    )
    assert f"resume with: crucible-harness run --resume {out}" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
