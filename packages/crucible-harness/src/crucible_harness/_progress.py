"""Progress display: one rich bar per condition (ETA, cost so far, errors), or nothing in quiet mode.

Nothing here reads standard input: a run never waits for a keypress or a y/n answer.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["Progress", "make_progress"]


class Progress:
    """The quiet display: counts only (used by ``progress="quiet"`` and when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.done: dict[str, int] = {}
        self.total: dict[str, int] = {}
        self.cost: dict[str, float] = {}
        self.errors: dict[str, int] = {}

    def start(
        self,
        conditions: Mapping[str, tuple[int, int]],
        cost: Mapping[str, float] | None = None,
        errors: Mapping[str, int] | None = None,
    ) -> None:
        """``conditions``: name -> (tasks, finished); ``cost`` and ``errors`` what earlier sessions of a
        resumed run recorded (the display continues from them instead of starting at $0)."""
        for name, (total, done) in conditions.items():
            self.total[name] = total
            self.done[name] = done
            self.cost[name] = float((cost or {}).get(name, 0.0))
            self.errors[name] = int((errors or {}).get(name, 0))

    def advance(self, condition: str, cost: float, failed: bool) -> None:
        self.done[condition] += 1
        self.cost[condition] += cost
        if failed:
            self.errors[condition] += 1

    def note(self, message: str) -> None:
        """A message for the user (a budget stop, a warning)."""

    def stop(self) -> None:
        """Close the display."""


class RichProgress(Progress):
    """A rich progress bar per condition with ETA, cost so far and error count, on stderr (or ``console``,
    a ``rich.console.Console``)."""

    def __init__(self, console: Any = None) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBars

        self.console = console if console is not None else Console(stderr=True)
        self._bars = RichBars(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("${task.fields[cost]:.4f}"),
            TextColumn("{task.fields[errors]} errors"),
            console=self.console,
            transient=False,
            refresh_per_second=4,
        )
        self._ids: dict[str, Any] = {}

    def start(
        self,
        conditions: Mapping[str, tuple[int, int]],
        cost: Mapping[str, float] | None = None,
        errors: Mapping[str, int] | None = None,
    ) -> None:
        super().start(conditions, cost, errors)
        for name, (total, done) in conditions.items():
            self._ids[name] = self._bars.add_task(
                name, total=total, completed=done, cost=self.cost[name], errors=self.errors[name]
            )
        self._bars.start()

    def advance(self, condition: str, cost: float, failed: bool) -> None:
        super().advance(condition, cost, failed)
        self._bars.update(
            self._ids[condition], advance=1, cost=self.cost[condition], errors=self.errors[condition]
        )

    def note(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def stop(self) -> None:
        self._bars.stop()


def make_progress(mode: Literal["auto", "rich", "quiet"]) -> Progress:
    """``rich`` bars, ``quiet``, or ``auto``: rich when stderr is a terminal."""
    if mode == "rich" or (mode == "auto" and sys.stderr.isatty()):
        return RichProgress()
    return Progress()
