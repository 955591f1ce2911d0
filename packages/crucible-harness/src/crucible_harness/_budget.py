"""Live cost accounting: admit a task only if it cannot push the spend past a budget."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from crucible_core.logging import get_logger
from crucible_harness._spec import Budget

__all__ = ["BudgetGuard"]

_log = get_logger("crucible_harness.budget")


class BudgetGuard:
    """Tracks spend (recorded), reservations (tasks in flight) and per-condition observed cost.

    :meth:`admit` is called before a task starts with the task's cost estimate: the task is refused
    when ``spent + reserved + estimate`` would exceed the total budget or the condition's budget. The
    estimate is the condition's static estimate (prices x tokens) when prices are known, else the mean
    cost of the condition's finished tasks (0 before the first). :meth:`settle` replaces the reservation
    by the recorded cost. When a budget's spend crosses ``warn_at`` a warning is logged and
    ``on_warning(scope, spent, limit, message)`` is called (the runner records it in the results store),
    once per budget and limit: ``warned`` holds the (scope, limit) pairs earlier sessions already warned
    about (a resume with a raised limit warns again at the new threshold).
    """

    def __init__(
        self,
        budget: Budget,
        spent: Mapping[str, float],
        finished: Mapping[str, int],
        *,
        warned: Iterable[tuple[str, float]] = (),
        on_warning: Callable[[str, float, float, str], None] | None = None,
    ) -> None:
        self.budget = budget
        self.spent_by = dict(spent)
        self.count_by = dict(finished)
        self.reserved_by: dict[str, float] = {}
        self.reserved = 0.0
        self._warned: set[tuple[str, float]] = {(str(scope), float(limit)) for scope, limit in warned}
        self._on_warning = on_warning
        self.refused: str | None = None
        self.active = budget.total_usd is not None or bool(budget.per_condition_usd)

    @property
    def spent(self) -> float:
        return sum(self.spent_by.values())

    def estimate(self, condition: str, static: float | None) -> float:
        if static is not None:
            return static
        n = self.count_by.get(condition, 0)
        return self.spent_by.get(condition, 0.0) / n if n else 0.0

    def admit(self, condition: str, estimate: float) -> tuple[str, str] | None:
        """Reserve ``estimate`` for a task of ``condition``. When it would exceed a budget, returns
        ``(scope, reason)`` instead: scope ``"total"`` or the condition's name."""
        if not self.active:
            return None
        total = self.budget.total_usd
        if total is not None and self.spent + self.reserved + estimate > total:
            return "total", (
                f"budget: the next task (estimated ${estimate:.6f}) would take the spend past total_usd="
                f"${total:g} (spent ${self.spent:.6f}, ${self.reserved:.6f} in flight)"
            )
        limit = self.budget.per_condition_usd.get(condition)
        spent_c = self.spent_by.get(condition, 0.0)
        reserved_c = self.reserved_by.get(condition, 0.0)
        if limit is not None and spent_c + reserved_c + estimate > limit:
            return condition, (
                f"budget: the next task of {condition!r} (estimated ${estimate:.6f}) would take its spend past "
                f"per_condition_usd[{condition!r}]=${limit:g} (spent ${spent_c:.6f})"
            )
        self.reserved += estimate
        self.reserved_by[condition] = reserved_c + estimate
        return None

    def settle(self, condition: str, estimate: float, actual: float, *, reserved: bool) -> None:
        """Replace a task's reservation by its recorded cost."""
        if reserved and self.active:
            self.reserved -= estimate
            self.reserved_by[condition] = self.reserved_by.get(condition, 0.0) - estimate
        self.spent_by[condition] = self.spent_by.get(condition, 0.0) + actual
        self.count_by[condition] = self.count_by.get(condition, 0) + 1
        if self.active:
            self._check_warning(condition)

    def _check_warning(self, condition: str) -> None:
        warn_at = self.budget.warn_at
        total = self.budget.total_usd
        if total is not None and ("total", total) not in self._warned and self.spent >= warn_at * total:
            self._warned.add(("total", total))
            _log.warning("cost budget warning", spent_usd=self.spent, total_usd=total, warn_at=warn_at)
            self._notify(
                "total", self.spent, total,
                f"budget warning: the spend (${self.spent:.6f}) reached warn_at={warn_at:g} of total_usd=${total:g}",
            )  # fmt: skip
        limit = self.budget.per_condition_usd.get(condition)
        spent = self.spent_by.get(condition, 0.0)
        if limit is not None and (condition, limit) not in self._warned and spent >= warn_at * limit:
            self._warned.add((condition, limit))
            _log.warning(
                "condition cost budget warning", condition=condition, spent_usd=spent, limit_usd=limit
            )
            self._notify(
                condition, spent, limit,
                f"budget warning: {condition!r} spent ${spent:.6f}, reaching warn_at={warn_at:g} of "
                f"per_condition_usd[{condition!r}]=${limit:g}",
            )  # fmt: skip

    def _notify(self, scope: str, spent: float, limit: float, message: str) -> None:
        if self._on_warning is not None:
            self._on_warning(scope, spent, limit, message)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The budgets warned about (``"total"`` or condition names)."""
        return tuple(sorted({scope for scope, _ in self._warned}))
