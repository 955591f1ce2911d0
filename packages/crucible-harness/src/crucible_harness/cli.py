"""The ``crucible-harness`` command (also mounted by crucible-framework's ``crucible``).

    crucible-harness run FILE [--output DIR] [--set key=value ...] [--quiet]
    crucible-harness run --resume DIR            # reloads the file (and --set overrides) recorded in DIR
    crucible-harness estimate FILE [--set key=value ...]
    crucible-harness report DIR [--format md --format html ...]
    crucible-harness list DIR
    crucible-harness show DIR

Exit codes: 0 done, 1 the run stopped before finishing (budget, interrupted, a hook raised; resume it),
2 invalid input (the message names the field and the fix). Nothing ever reads standard input. Messages
name the command as it was invoked (``crucible-harness``, or ``crucible`` when crucible-framework mounts
these commands).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from crucible_core.errors import CrucibleError

__all__ = ["app", "main"]

app = typer.Typer(
    name="crucible-harness",
    help="Declare an LLM experiment once, run it safely with resume, and get the analysis and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
F = TypeVar("F", bound=Callable[..., Any])


def _program(ctx: typer.Context) -> str:
    """The name the user typed for the root command (``crucible-harness``, ``crucible``...)."""
    return ctx.find_root().info_name or "crucible-harness"


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CrucibleError as exc:
            _console(stderr=True).print(f"error ({exc.kind}): {exc.message}", markup=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", "-s", help="Override a field: key=value with a dotted key, e.g. limits.concurrency=4."
    ),
]


@app.command("run")
@_errors
def run_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="The experiment file (.py or .toml), or a run directory with --resume.")
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="The run directory.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run in the output directory.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="With --resume: rerun dead-lettered tasks.")
    ] = False,
    set_: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars (for CI).")] = False,
) -> None:
    """Run an experiment (or resume one) and write its results and reports."""
    from crucible_harness._hooks import HookError
    from crucible_harness._loader import load_experiment
    from crucible_harness._rundir import is_run_dir
    from crucible_harness._runner import run
    from crucible_harness._store import ResultsStore

    source = file
    overrides = list(set_ or ())
    if file.is_dir():
        if not is_run_dir(file):
            raise typer.BadParameter(f"{file} is a directory without results.sqlite", param_hint="FILE")
        with ResultsStore(file / "results.sqlite") as store:
            row = store.run_row()
        if not row["source"]:
            raise typer.BadParameter(f"{file} does not record its experiment file; pass FILE --output {file}")
        source, output, resume = Path(row["source"]), file, True
        overrides = [*row["spec"].get("source_overrides", []), *overrides]
    experiment = load_experiment(source, overrides)
    program = _program(ctx)
    try:
        result = run(
            experiment, output_dir=output, resume=resume, retry_failed=retry_failed,
            progress="quiet" if quiet else None, source=str(source), overrides=overrides,
        )  # fmt: skip
    except HookError as exc:
        errors = _console(stderr=True)
        errors.print(f"error (hook): {exc.message}", markup=False)
        if exc.details.get("run_dir"):
            errors.print(f"resume with: {program} run --resume {exc.details['run_dir']}", markup=False)
        raise typer.Exit(1) from None
    console = _console()
    console.print(result.summary(), markup=False)
    for name, path in result.reports.items():
        console.print(f"  {name}: {path}", markup=False)
    if result.status != "completed":
        console.print(f"resume with: {program} run --resume {result.run_dir}", markup=False)
        raise typer.Exit(1)


@app.command("estimate")
@_errors
def estimate_command(
    file: Annotated[Path, typer.Argument(help="The experiment file (.py or .toml).")],
    set_: SetOption = None,
) -> None:
    """Estimate tokens and cost without calling any model."""
    from crucible_harness._estimate import estimate
    from crucible_harness._loader import load_experiment

    _console().print(estimate(load_experiment(file, set_ or ())).summary(), markup=False)


@app.command("report")
@_errors
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    format: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="markdown|latex|html|notebook|json (repeatable)."),
    ] = None,
) -> None:
    """(Re)write the reports of a run from its results store."""
    from crucible_harness._finalize import report

    for name, path in report(run_dir, format or None).items():
        _console().print(f"{name}: {path}", markup=False)


def _runs(directory: Path) -> list[Path]:
    from crucible_harness._rundir import is_run_dir

    if is_run_dir(directory):
        return [directory]
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and is_run_dir(p))


@app.command("list")
@_errors
def list_command(
    directory: Annotated[Path, typer.Argument(help="A directory of runs.")] = Path("runs"),
) -> None:
    """List the runs in a directory."""
    from crucible_harness._store import ResultsStore

    table = Table("run", "experiment", "status", "ok/failed/pending", "cost (USD)", "updated (UTC)")
    for path in _runs(directory):
        with ResultsStore(path / "results.sqlite") as store:
            row = store.run_row()
            counts = store.counts()
            cost = sum(store.spent().values())
        updated = datetime.fromtimestamp(row["updated_at"], UTC).strftime("%Y-%m-%d %H:%M")
        name = path.name if path != directory else str(path)
        table.add_row(
            name, row["experiment"], row["status"], f"{counts['ok']}/{counts['failed']}/{counts['pending']}",
            f"{cost:.6f}", updated,
        )  # fmt: skip
    if not table.rows:
        _console().print(f"no runs in {directory}", markup=False)
        return
    _console().print(table)


@app.command("show")
@_errors
def show_command(run_dir: Annotated[Path, typer.Argument(help="A run directory.")]) -> None:
    """Show a run's status, per-condition results, comparisons and conclusion."""
    from crucible_harness._results import fmt, fmt_p
    from crucible_harness._runresult import load_run

    result = load_run(run_dir)
    console = _console()
    console.print(result.summary(), markup=False)
    if result.analysis.comparisons:
        table = Table("a", "b", "metric", "difference", "p", "adjusted p", "verdict")
        for c in result.analysis.comparisons:
            table.add_row(
                c.condition_a, c.condition_b, c.metric, fmt(c.estimate), fmt_p(c.p_value), fmt_p(c.p_adjusted),
                "differ" if c.significant else "no detectable difference",
            )  # fmt: skip
        console.print(table)


def main() -> None:
    """Entry point of the ``crucible-harness`` script."""
    app()


if __name__ == "__main__":  # pragma: no cover - python -m crucible_harness.cli
    main()
