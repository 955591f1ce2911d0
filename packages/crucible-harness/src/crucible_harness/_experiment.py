"""The :class:`Experiment` declaration and its :class:`Condition`\\s and :class:`Hooks`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from crucible_core.models import Model
from crucible_datasets import Dataset, Metric, get_metric
from crucible_harness._registry import as_callable
from crucible_harness._spec import (
    AnalysisSpec,
    Budget,
    DatasetSpec,
    EnsembleSpec,
    GenerationSpec,
    GuardSpec,
    HedgingSpec,
    Limits,
    ModelSpec,
    OutputSpec,
    Reproducibility,
    check_name,
)
from crucible_harness._validation import Spec, invalid

__all__ = ["Condition", "Experiment", "Hooks"]

HOOK_NAMES = ("before_run", "after_run", "before_condition", "after_condition", "before_task", "after_task")
ANSWER_MODES = ("text", "number", "multiple_choice", "boolean", "json")


class Condition(Spec):
    """One arm of the experiment: a name plus a function or a declared model / ensemble.

        >>> Condition("baseline", model=ModelSpec(name="gpt-4o-mini"), generation={"temperature": 0})
        ... # doctest: +SKIP

    * ``fn``: ``async def fn(item, ctx) -> Outcome | str | Completion`` (a registered name or
      ``"module:function"`` also works). With ``fn``, a declared ``model`` / ``ensemble`` is handed to it
      as ``ctx.model`` / ``ctx.ensemble``.
    * ``model``: :class:`ModelSpec` (or its dict, a model name, or any ``Model`` instance); the prompt is
      built from the item with ``prompt`` (a ``str.format`` template over the item's input fields, or a
      callable ``item -> str | messages``) and ``system``; ``answer`` turns the text into the prediction
      (``text`` keeps it; ``number``, ``multiple_choice``, ``boolean``, ``json`` extract it).
    * ``ensemble``: :class:`EnsembleSpec`; ``hedging``: :class:`HedgingSpec` for the model calls: a
      ``model`` condition's request (also ``ctx.model`` / ``ctx.generate`` of a ``fn`` condition with a
      ``model``), or each member call of an ensemble with ``execution="hedged"``. Declared anywhere else
      it would have no effect, so it is refused.
    * ``attacks``: crucible-adversary attacks; every item is also run perturbed by each (variant = the
      attack's label). ``guard``: a ``Guard`` or :class:`GuardSpec`; blocked items are recorded as
      ``blocked`` with the findings, never dropped.
    """

    name: str
    fn: Callable[..., Any] | None = None
    model: ModelSpec | Model | None = None
    ensemble: EnsembleSpec | None = None
    hedging: HedgingSpec | None = None
    prompt: str | Callable[..., Any] | None = None
    system: str | None = None
    generation: GenerationSpec = Field(default_factory=GenerationSpec)
    answer: str | Callable[..., Any] = "text"
    concurrency: int | None = Field(default=None, ge=1)
    attacks: tuple[Any, ...] = ()
    guard: Any = None
    description: str = ""

    def __init__(self, name: str | None = None, /, **data: Any) -> None:
        if name is not None:
            data["name"] = name
        super().__init__(**data)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return check_name(value, "name")

    @field_validator("fn", mode="before")
    @classmethod
    def _fn(cls, value: Any) -> Any:
        return None if value is None else as_callable(value, "fn")

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, value: Any) -> Any:
        from crucible_harness._models import as_model_ref

        return None if value is None else as_model_ref(value, "model")

    @field_validator("answer", mode="before")
    @classmethod
    def _answer(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in ANSWER_MODES and ":" not in value:
            raise invalid("answer", "unknown answer mode", value, fix=f"use one of {', '.join(ANSWER_MODES)}")
        return as_callable(value, "answer") if isinstance(value, str) and ":" in value else value

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt(cls, value: Any) -> Any:
        if isinstance(value, str) and ":" in value and "{" not in value and " " not in value:
            return as_callable(value, "prompt")
        return value

    @field_validator("guard", mode="before")
    @classmethod
    def _guard(cls, value: Any) -> Any:
        if value is None or isinstance(value, GuardSpec):
            return value
        if isinstance(value, Mapping):
            return GuardSpec(**dict(value))
        from crucible_adversary import Guard

        if isinstance(value, Guard):
            return value
        raise invalid("guard", "must be a crucible_adversary.Guard or a GuardSpec", value)

    @field_validator("attacks", mode="before")
    @classmethod
    def _attacks(cls, value: Any) -> Any:
        from crucible_adversary import AttackSpec, list_attacks

        if isinstance(value, str | AttackSpec | Mapping):
            value = [value]
        known = {a.name: a for a in list_attacks()}
        out: list[AttackSpec] = []
        for index, raw in enumerate(value or ()):
            spec = AttackSpec(name=raw) if isinstance(raw, str) else raw
            if isinstance(spec, Mapping):
                spec = AttackSpec(**dict(spec))
            if not isinstance(spec, AttackSpec) or spec.name not in known:
                raise invalid(f"attacks[{index}]", "unknown attack", raw)
            if known[spec.name].needs_model:
                raise invalid(
                    f"attacks[{index}]", "attacks that need a model are not run inside experiments", raw,
                    fix="choose an attack with needs_model=False (see list_attacks())",
                )  # fmt: skip
            out.append(spec)
        labels = [a.label for a in out]
        if len(set(labels)) != len(labels):
            raise invalid("attacks", "the same attack is listed twice", labels)
        return tuple(out)

    @model_validator(mode="after")
    def _kind(self) -> Condition:
        if self.fn is None and self.model is None and self.ensemble is None:
            raise invalid(
                "fn", "the condition has nothing to run", None,
                fix="pass fn=<async function>, model=ModelSpec(...) or ensemble=EnsembleSpec(...)",
            )  # fmt: skip
        if self.model is not None and self.ensemble is not None:
            raise invalid("ensemble", "declare either model or ensemble, not both", self.ensemble)
        if self.hedging is not None and self.model is None:
            if self.ensemble is None:
                raise invalid(
                    "hedging", "hedging needs a model to hedge, and this condition declares none", self.hedging,
                    fix="hedging applies to model= conditions (and to fn= conditions that also declare "
                    "model=, through ctx.model / ctx.generate); remove it or declare model=...",
                )  # fmt: skip
            if self.ensemble.execution != "hedged":
                raise invalid(
                    "hedging", f"an ensemble with execution={self.ensemble.execution!r} sends no hedged requests",
                    self.hedging,
                    fix="for an ensemble set EnsembleSpec(execution='hedged') to hedge every member call "
                    "with this HedgingSpec, or remove hedging; hedging= alone applies to model= conditions",
                )  # fmt: skip
        return self

    @property
    def kind(self) -> str:
        """``function``, ``model`` or ``ensemble``."""
        return "function" if self.fn is not None else ("model" if self.model is not None else "ensemble")

    @property
    def variants(self) -> tuple[str, ...]:
        """``("clean", <attack labels>...)``."""
        return ("clean", *(a.label for a in self.attacks))


class Hooks(Spec):
    """Callables run around the run, each condition and each task (sync or async; all actually called).

    ``before_run(info)``, ``after_run(result)``, ``before_condition(condition, info)``,
    ``after_condition(condition, info)``, ``before_task(ctx)``, ``after_task(ctx, record)``.

    Every invocation of ``run`` (the first and each resume) is a session, and the run and condition hooks
    fire once per session: ``before_condition`` for every condition (also one a resume has nothing left
    to run for: ``info.pending == 0``), ``after_condition`` for every condition whose
    ``before_condition`` fired, once its tasks are done — finished, or stopped by a budget
    (``info.stop_reason`` says why). An exception raised by a hook stops the run (what was recorded stays
    recorded) and reaches the caller as one :class:`~crucible_harness.HookError` naming the hook, with the
    hook's exception as its ``__cause__``.
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    before_run: tuple[Callable[..., Any], ...] = ()
    after_run: tuple[Callable[..., Any], ...] = ()
    before_condition: tuple[Callable[..., Any], ...] = ()
    after_condition: tuple[Callable[..., Any], ...] = ()
    before_task: tuple[Callable[..., Any], ...] = ()
    after_task: tuple[Callable[..., Any], ...] = ()

    @field_validator(*HOOK_NAMES, mode="before")
    @classmethod
    def _hooks(cls, value: Any) -> Any:
        if value is None:
            return ()
        if callable(value) or isinstance(value, str):
            value = [value]
        return tuple(as_callable(v, "hooks") for v in value)


class Experiment(Spec):
    """A whole experiment, declared once (in Python, with :func:`experiment`'s fluent API, or in TOML).

    Everything is validated on construction; an error names the field (``Experiment.limits.concurrency``)
    and the fix before anything runs. See the README for every field.
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    name: str
    description: str = ""
    author: str | None = None
    version: str = "1"
    hypothesis: str | None = None
    tags: tuple[str, ...] = ()
    dataset: DatasetSpec
    conditions: tuple[Condition, ...]
    metrics: tuple[Any, ...] = ()
    repeats: int = Field(default=1, ge=1)
    seed: int = 0
    limits: Limits = Field(default_factory=Limits)
    budget: Budget = Field(default_factory=Budget)
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec)
    outputs: OutputSpec = Field(default_factory=OutputSpec)
    reproducibility: Reproducibility = Field(default_factory=Reproducibility)
    hooks: Hooks = Field(default_factory=Hooks)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return check_name(value, "name")

    @field_validator("dataset", mode="before")
    @classmethod
    def _dataset(cls, value: Any) -> Any:
        if isinstance(value, Dataset):
            return DatasetSpec(items=value.items)
        if isinstance(value, str):
            return DatasetSpec(name=value)
        if isinstance(value, list | tuple):
            return DatasetSpec(items=tuple(value))
        return value

    @field_validator("conditions", mode="before")
    @classmethod
    def _conditions(cls, value: Any) -> Any:
        if isinstance(value, Condition | Mapping):
            value = [value]
        if not value:
            raise invalid("conditions", "no condition declared", value)
        return value

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str | Metric) or callable(value):
            value = [value]
        out: list[Any] = []
        for index, raw in enumerate(value):
            if isinstance(raw, str) and ":" in raw:
                raw = as_callable(raw, f"metrics[{index}]")
            if isinstance(raw, str | Metric):
                try:
                    out.append(get_metric(raw))
                except Exception as exc:
                    raise invalid(f"metrics[{index}]", f"unknown metric ({exc})", raw) from None
            elif callable(raw):
                out.append(raw)
            else:
                raise invalid(f"metrics[{index}]", "must be a metric name, a Metric or a callable", raw)
        return tuple(out)

    @field_validator("hooks", mode="before")
    @classmethod
    def _hooks(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - set(HOOK_NAMES))
            if unknown:
                raise invalid(
                    f"hooks.{unknown[0]}", "unknown hook", unknown[0], fix=f"use {', '.join(HOOK_NAMES)}"
                )
        return value

    @model_validator(mode="after")
    def _cross(self) -> Experiment:
        names = [c.name for c in self.conditions]
        for index, name in enumerate(names):
            if names.index(name) != index:
                raise invalid(f"conditions[{index}].name", "duplicate condition name", name)
        for key in self.budget.per_condition_usd:
            if key not in names:
                raise invalid(f"budget.per_condition_usd[{key!r}]", f"no condition is named {key!r}", key,
                              fix=f"use one of {names}")  # fmt: skip
        if self.analysis.baseline is not None and self.analysis.baseline not in names:
            raise invalid("analysis.baseline", "no condition has this name", self.analysis.baseline,
                          fix=f"use one of {names}")  # fmt: skip
        metric_names = [n for m in self.metrics for n in metric_outputs(m)]
        if len(set(metric_names)) != len(metric_names):
            raise invalid("metrics", "two metrics produce the same score name", metric_names)
        return self

    @property
    def condition_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.conditions)

    def condition(self, name: str) -> Condition:
        """The condition called ``name``."""
        for cond in self.conditions:
            if cond.name == name:
                return cond
        raise invalid("condition", "no such condition", name, fix=f"use one of {list(self.condition_names)}")

    def summary(self) -> str:
        """A few lines describing the experiment."""
        from crucible_harness._describe import experiment_summary

        return experiment_summary(self)

    def to_dict(self) -> dict[str, Any]:
        """The resolved declaration as JSON-friendly data (functions as references, secrets redacted)."""
        from crucible_harness._describe import describe_experiment

        return describe_experiment(self)


def metric_outputs(metric: Any) -> tuple[str, ...]:
    """The score names a metric produces (a callable's is its ``__name__``)."""
    if isinstance(metric, Metric):
        return tuple(metric.outputs)
    return (str(getattr(metric, "__name__", type(metric).__name__)),)
