"""The parts of an experiment declaration: models, ensembles, hedging, dataset and guard (and, re-exported
from :mod:`crucible_harness._settings`, the run settings)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from crucible_core.models import GenerationParams
from crucible_datasets import Item
from crucible_harness._settings import (
    CORRECTIONS,
    REPORT_FORMATS,
    TESTS,
    AnalysisSpec,
    Budget,
    Limits,
    OutputSpec,
    Reproducibility,
)
from crucible_harness._validation import Spec, invalid, register_choices

__all__ = [
    "CORRECTIONS",
    "REPORT_FORMATS",
    "TESTS",
    "AnalysisSpec",
    "Budget",
    "DatasetSpec",
    "EnsembleSpec",
    "GenerationSpec",
    "GuardSpec",
    "HedgingSpec",
    "Limits",
    "ModelSpec",
    "OutputSpec",
    "Reproducibility",
]


class GenerationSpec(Spec):
    """Sampling parameters sent with every request of a model condition (None = server default)."""

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    temperature: float | None = Field(default=None, ge=0.0)
    max_tokens: int | None = Field(default=None, ge=1)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    stop: tuple[str, ...] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def params(self, seed: int | None) -> GenerationParams:
        """The :class:`GenerationParams` of one task (its derived ``seed`` included)."""
        return GenerationParams(
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            top_p=self.top_p,
            stop=self.stop,
            seed=seed,
            extra=dict(self.extra),
        )


class ModelSpec(Spec):
    """A model declared by its fields (usable from TOML).

    ``provider="openai"`` builds an :class:`~crucible_core.models.OpenAICompatibleModel` (OpenAI, vLLM,
    Ollama, llama.cpp, Tinker) **with** ``max_retries=0``: the harness does the retrying, so retries never
    stack. The key comes from ``api_key`` or the environment variable ``api_key_env`` (default
    ``OPENAI_API_KEY``), read when the run starts; it is never written anywhere.
    ``provider="simulated"`` builds a seeded :class:`~crucible_core.models.SimulatedModel` whose answer key
    is the dataset's expected answers (an honest simulation, labelled as such in every output).
    ``price`` is USD per 1M prompt / completion tokens (default: crucible-core's table).
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    name: str
    provider: Literal["openai", "simulated"] = "openai"
    base_url: str = "https://api.openai.com/v1"
    api_key: SecretStr | None = None
    api_key_env: str | None = None
    endpoint: Literal["chat", "completions"] = "chat"
    timeout_s: float = Field(default=60.0, gt=0.0)
    max_connections: int | None = Field(default=None, ge=1)
    headers: dict[str, str] = Field(default_factory=dict)
    price: tuple[float, float] | None = None
    accuracy: float = Field(default=0.8, ge=0.0, le=1.0)
    accuracy_under_attack: float | None = Field(default=None, ge=0.0, le=1.0)
    latency_s: float = Field(default=0.0, ge=0.0)
    latency_sigma: float | None = Field(default=None, gt=0.0)
    sleep: bool = True
    failure_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    seed: int | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise invalid("name", "the model name is empty", value, fix="pass e.g. name='gpt-4o-mini'")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise invalid("base_url", "must start with http:// or https://", value)
        return value

    @field_validator("price")
    @classmethod
    def _price(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and any(not math.isfinite(v) or v < 0 for v in value):
            raise invalid("price", "prices must be finite USD per 1M tokens >= 0", value)
        return value

    def describe(self) -> dict[str, Any]:
        """The fields that define the model's behaviour (no key, headers redacted)."""
        data = self.model_dump(mode="json", exclude={"api_key", "headers"})
        data["api_key"] = "[REDACTED]" if self.api_key is not None else None
        data["headers"] = sorted(self.headers)
        return data


class HedgingSpec(Spec):
    """Hedged requests (crucible-hedging): send a backup when the first is slow, keep the first answer.

    ``strategy="percentile"`` hedges after the ``percentile`` of recent latencies, ``"fixed"`` after
    ``delay_s``; at most ``max_attempts`` attempts, with extra load capped by ``max_extra`` of the
    requests of the last ``window_s`` seconds plus ``min_per_second`` (a :class:`~crucible_hedging.LoadBudget`:
    with the defaults, hedges start once ten requests have been sent).
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    strategy: Literal["percentile", "fixed"] = "percentile"
    percentile: float = Field(default=95.0, gt=0.0, lt=100.0)
    delay_s: float | None = Field(default=None, ge=0.0)
    max_attempts: int = Field(default=2, ge=1, le=5)
    max_extra: float = Field(default=0.10, ge=0.0, le=4.0)
    min_per_second: float = Field(default=0.0, ge=0.0)
    window_s: float = Field(default=10.0, gt=0.0)

    @model_validator(mode="after")
    def _delay(self) -> HedgingSpec:
        if self.strategy == "fixed" and self.delay_s is None:
            raise invalid("delay_s", "strategy='fixed' needs delay_s", None, fix="pass e.g. delay_s=0.5")
        return self


class EnsembleSpec(Spec):
    """Several models answer; their normalised answers are voted on by :class:`crucible_ensemble.Ensemble`.

    ``voting``: ``majority``, ``weighted`` (one of ``weights`` per member), ``best_confidence`` or
    ``unanimous``. ``execution``: ``parallel``, ``sequential`` (stops once the rest cannot change the
    winner), ``hedged`` (each member call through a crucible-hedging ``Hedger`` built from the condition's
    ``hedging``) or ``cascade`` (in order until the winner's confidence reaches ``cascade_threshold``).
    ``normalizer`` is a :data:`crucible_core.answers.NORMALIZERS` name (``text``, ``number``,
    ``multiple_choice``, ``boolean``, ``json``). The prediction of a task is the winning answer.
    With ``trace`` (the default) every vote is stored as a crucible-trace chain (one event per member's
    answer, one for the decision) in the run's ``traces.sqlite``; the outcome's ``trace_chain`` names it.
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    members: tuple[Any, ...]
    voting: Literal["majority", "weighted", "best_confidence", "unanimous"] = "majority"
    execution: Literal["parallel", "sequential", "hedged", "cascade"] = "parallel"
    weights: tuple[float, ...] | None = None
    normalizer: str = "text"
    min_responses: int = Field(default=1, ge=1)
    cascade_threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    # record each vote as a crucible-trace chain in the run's traces.sqlite
    trace: bool = True

    @field_validator("members", mode="before")
    @classmethod
    def _members(cls, value: Any) -> Any:
        from crucible_harness._models import as_model_ref

        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise invalid("members", "must be a list of models", value)
        if len(value) < 2:
            raise invalid("members", f"an ensemble needs at least 2 members, got {len(value)}", value)
        return tuple(as_model_ref(v, f"members[{i}]") for i, v in enumerate(value))

    @model_validator(mode="after")
    def _weights(self) -> EnsembleSpec:
        if self.voting == "weighted" and (self.weights is None or len(self.weights) != len(self.members)):
            raise invalid(
                "weights", "voting='weighted' needs one weight per member", self.weights,
                fix=f"pass {len(self.members)} weights, e.g. weights={tuple([1.0] * len(self.members))}",
            )  # fmt: skip
        if self.min_responses > len(self.members):
            raise invalid("min_responses", f"exceeds the {len(self.members)} members", self.min_responses)
        from crucible_core.answers import NORMALIZERS

        if self.normalizer not in NORMALIZERS:
            raise invalid(
                "normalizer", "unknown answer normalizer", self.normalizer,
                fix=f"use one of {', '.join(NORMALIZERS)}",
            )  # fmt: skip
        return self


class DatasetSpec(Spec):
    """Where the items come from: a :func:`crucible_datasets.load_dataset` reference or explicit items.

    ``sample_size`` draws a seeded sample (``seed`` defaults to the experiment's), stratified by the
    item field ``stratify_by`` when given (``allocation`` proportional or equal).
    """

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    name: str | None = None
    split: str | None = None
    config: str | None = None
    revision: str | None = None
    fields: dict[str, Any] | None = None
    offline: bool | None = None
    items: tuple[Item, ...] | None = None
    sample_size: int | None = Field(default=None, ge=1)
    seed: int | None = None
    stratify_by: str | None = None
    allocation: Literal["proportional", "equal"] = "proportional"

    @field_validator("items", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
            raise invalid("items", "must be a list of items", value)
        out: list[Item] = []
        for index, raw in enumerate(value):
            out.append(_as_item(raw, index))
        if not out:
            raise invalid("items", "is empty", value, fix="pass at least one item")
        seen: set[str] = set()
        for index, item in enumerate(out):
            if item.id in seen:
                raise invalid(
                    f"items[{index}].id", "duplicate item id", item.id, fix="give every item a unique id"
                )
            seen.add(item.id)
        return tuple(out)

    @model_validator(mode="after")
    def _source(self) -> DatasetSpec:
        if (self.name is None) == (self.items is None):
            raise invalid(
                "name", "declare exactly one of name (a dataset or file) and items", self.name,
                fix="pass DatasetSpec(name='gsm8k', sample_size=100) or DatasetSpec(items=[...])",
            )  # fmt: skip
        if self.items is not None and self.sample_size is not None and self.sample_size > len(self.items):
            raise invalid("sample_size", f"larger than the {len(self.items)} items given", self.sample_size)
        return self


def _as_item(raw: Any, index: int) -> Item:
    if isinstance(raw, Item):
        return raw
    if isinstance(raw, str):
        return Item(id=str(index), input={"prompt": raw})
    if isinstance(raw, Mapping):
        known = {"id", "input", "expected", "metadata"}
        if "input" in raw and set(raw) <= known:
            data = raw["input"] if isinstance(raw["input"], dict) else {"prompt": raw["input"]}
            return Item(
                id=str(raw.get("id", index)),
                input=dict(data),
                expected=raw.get("expected"),
                metadata=dict(raw.get("metadata") or {}),
            )
        rest = {k: v for k, v in raw.items() if k not in known}
        return Item(
            id=str(raw.get("id", index)),
            input=rest,
            expected=raw.get("expected"),
            metadata=dict(raw.get("metadata") or {}),
        )
    raise invalid(f"items[{index}]", "must be an Item, a dict or a string", raw)


class GuardSpec(Spec):
    """A :class:`crucible_adversary.Guard` declared by its options; ``check_outputs`` also validates answers."""

    if TYPE_CHECKING:  # nested declarations may be given as dicts, lists or strings

        def __init__(self, /, **data: Any) -> None: ...

    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    detectors: tuple[str, ...] = ("prompt_injection", "jailbreak", "pii")
    pii_action: Literal["block", "flag"] = "block"
    check_outputs: bool = False


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$")


def check_name(value: object, path: str) -> str:
    """A name of letters, digits, space, '_', '.', '-' (it appears in paths, tables and reports)."""
    if not isinstance(value, str) or not _NAME_RE.match(value) or len(value) > 120:
        raise invalid(
            path, "names use letters, digits, spaces, '_', '.' and '-' (at most 120 characters)", value
        )
    return value


register_choices(GenerationSpec, ModelSpec, HedgingSpec, EnsembleSpec, DatasetSpec, GuardSpec)
