"""Tabular results: one row per pair of groups (post-hoc tests, ``pairwise``, ``compare_many``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crucible_bench._format import fmt_num, fmt_p
from crucible_bench._results import ResultModel, TestResult
from crucible_bench._validate import NanPolicy, as_sample, check_nan_policy
from crucible_core.errors import ValidationError

if TYPE_CHECKING:
    import polars as pl

__all__ = ["PairComparison", "PostHocResult", "named_groups", "pair_indices"]

FRAME_COLUMNS = ("group_a", "group_b", "diff", "ci_low", "ci_high", "statistic", "df", "p_value", "p_adj")


class PairComparison(ResultModel):
    """One pair: ``diff`` is group_a minus group_b (R's ``"a-b"`` rows), ``p_adj`` the family-wise p-value."""

    group_a: str
    group_b: str
    diff: float
    ci_low: float | None = None
    ci_high: float | None = None
    statistic: float
    df: float | None = None
    p_value: float
    p_adj: float
    se: float | None = None

    def summary(self) -> str:
        ci = (
            ""
            if self.ci_low is None or self.ci_high is None
            else f" [{fmt_num(self.ci_low)}, {fmt_num(self.ci_high)}]"
        )
        return f"{self.group_a} − {self.group_b}: {fmt_num(self.diff)}{ci}, adjusted {fmt_p(self.p_adj)}"


class PostHocResult(ResultModel):
    """A family of pairwise comparisons, with the omnibus test when there was one.

    ``to_frame()`` gives one row per pair with columns ``group_a``, ``group_b``, ``diff``, ``ci_low``,
    ``ci_high``, ``statistic``, ``df``, ``p_value`` (unadjusted) and ``p_adj`` (adjusted by ``correction``
    or, for Tukey / Games–Howell, by the studentized range). ``diff`` is named by ``estimate_name``.
    """

    test: str
    method: str
    correction: str
    estimate_name: str
    confidence: float | None = None
    comparisons: tuple[PairComparison, ...]
    omnibus: TestResult | None = None
    rationale: str | None = None
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pl.DataFrame:
        """The pairs as a polars DataFrame (one row per pair)."""
        import polars as pl

        rows = [{c: getattr(p, c) for c in FRAME_COLUMNS} for p in self.comparisons]
        schema = {c: (pl.Utf8 if c.startswith("group") else pl.Float64) for c in FRAME_COLUMNS}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def significant(self, alpha: float = 0.05) -> list[tuple[str, str]]:
        """The pairs whose adjusted p-value is below ``alpha``."""
        return [(p.group_a, p.group_b) for p in self.comparisons if p.p_adj < alpha]

    def summary(self) -> str:
        head = f"{self.method} ({self.correction})"
        if self.omnibus is not None:
            head = f"{self.omnibus.summary()} Post-hoc: {head}"
        sig = self.significant()
        body = f"{len(sig)} of {len(self.comparisons)} pairs differ at adjusted p < .05"
        if sig:
            body += ": " + "; ".join(p.summary() for p in self.comparisons if p.p_adj < 0.05)
        return f"{head}: {body}."

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.method}** ({self.correction})", "", "| " + " | ".join(FRAME_COLUMNS) + " |"]
        lines.append("|" + "---|" * len(FRAME_COLUMNS))
        for p in self.comparisons:
            vals = [getattr(p, c) for c in FRAME_COLUMNS]
            lines.append("| " + " | ".join(_cell(v) for v in vals) + " |")
        if self.omnibus is not None:
            lines.insert(0, f"{self.omnibus.summary()}\n")
        return "\n".join(lines)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def pair_indices(k: int) -> list[tuple[int, int]]:
    """R's pair order: ``(j, i)`` for ``i < j``, ordered by ``i`` then ``j`` ("2-1", "3-1", "3-2")."""
    return [(j, i) for i in range(k) for j in range(i + 1, k)]


def named_groups(
    groups: Sequence[Any],
    *,
    nan_policy: NanPolicy = "raise",
    min_n: int = 1,
    min_groups: int = 2,
    aligned: bool | None = False,
) -> tuple[list[str], list[NDArray[np.float64]]]:
    """Groups given as ``*arrays``, one list of arrays, or one mapping ``{name: values}``.

    Unnamed groups are called ``"1"``, ``"2"``, … (R's factor levels). ``aligned=True`` treats the groups
    as columns of one items × conditions table: they must have equal lengths and a non-finite value
    removes its whole row under ``nan_policy="omit"``. ``aligned=None`` does so when the lengths agree.
    """
    check_nan_policy(nan_policy)
    items: list[tuple[str, ArrayLike]]
    if len(groups) == 1 and isinstance(groups[0], Mapping):
        items = [(str(k), v) for k, v in groups[0].items()]
    elif (
        len(groups) == 1
        and isinstance(groups[0], list | tuple)
        and groups[0]
        and all(np.ndim(g) == 1 for g in groups[0])
    ):
        items = [(str(i + 1), g) for i, g in enumerate(groups[0])]
    else:
        items = [(str(i + 1), g) for i, g in enumerate(groups)]
    if len(items) < min_groups:
        raise ValidationError(
            f"at least {min_groups} groups are needed; got {len(items)}.",
            argument="groups",
            minimum=min_groups,
        )
    names = [n for n, _ in items]
    if aligned is not False:
        raw = [np.asarray(g, dtype=np.float64).ravel() for _, g in items]
        same = len({r.size for r in raw}) == 1
        if aligned and not same:
            sizes = {n: r.size for n, r in zip(names, raw, strict=True)}
            raise ValidationError(
                f"paired groups must have one value per item (equal lengths); got sizes {sizes}.",
                argument="groups",
            )
        if same:
            return names, _aligned_columns(names, raw, nan_policy, min_n)
    arrays = [as_sample(g, f"groups[{n!r}]", nan_policy=nan_policy, min_n=min_n) for n, g in items]
    return names, arrays


def _aligned_columns(
    names: list[str], raw: list[NDArray[np.float64]], nan_policy: NanPolicy, min_n: int
) -> list[NDArray[np.float64]]:
    table = np.column_stack(raw)
    finite = np.isfinite(table)
    if not finite.all():
        if nan_policy != "omit":
            i, j = (int(v) for v in np.argwhere(~finite)[0])
            raise ValidationError(
                f"groups[{names[j]!r}][{i}] is {float(table[i, j])!r}; every value must be finite. Pass "
                "nan_policy='omit' to drop that item from every condition.",
                argument=f"groups[{names[j]!r}]",
                index=i,
            )
        table = table[finite.all(axis=1)]
    if table.shape[0] < min_n:
        raise ValidationError(
            f"at least {min_n} complete items are needed; got {table.shape[0]}.",
            argument="groups",
            minimum=min_n,
        )
    return [table[:, j].copy() for j in range(table.shape[1])]
