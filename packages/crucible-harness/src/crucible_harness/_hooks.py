"""Calling hooks (sync or async) and the small records they receive."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crucible_core.errors import CrucibleError
from crucible_harness._registry import reference_of

__all__ = ["ConditionInfo", "HookError", "RunInfo", "call_hooks"]


class HookError(CrucibleError, RuntimeError):
    """A hook raised: the run stopped (what was recorded stays recorded). ``__cause__`` is the hook's own
    exception; ``details`` name the hook point (``hook``) and the function (``function``)."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What ``before_run`` hooks (and ``before_condition``/``after_condition``) are told about the run."""

    run_id: str
    run_dir: Path
    experiment: str
    session: int
    resumed: bool
    total_tasks: int
    pending_tasks: int


@dataclass(frozen=True, slots=True)
class ConditionInfo:
    """Progress of one condition, given to ``before_condition`` / ``after_condition`` hooks.

    ``stop_reason`` is set (for ``after_condition``) when tasks are left because a budget stopped the
    condition or the run; None when it finished (or, for ``before_condition``, has not started).
    """

    name: str
    total: int
    finished: int
    pending: int
    cost_usd: float
    failed: int
    stop_reason: str | None = None


async def call_hooks(hooks: Sequence[Callable[..., Any]], name: str, *args: Any) -> None:
    """Call every hook with ``args``; an exception is raised again as a :class:`HookError` naming the hook
    (the original is its ``__cause__``)."""
    for hook in hooks:
        try:
            value = hook(*args)
            if inspect.isawaitable(value):
                await value
        except Exception as exc:
            function = reference_of(hook)
            raise HookError(
                f"the {name} hook {function} raised {type(exc).__name__}: {exc}; the run stopped and the results "
                "recorded so far are kept: fix the hook, then resume the run",
                hook=name,
                function=function,
            ) from exc
