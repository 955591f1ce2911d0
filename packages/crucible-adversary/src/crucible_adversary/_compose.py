"""Composition: run attacks over many texts, chain attacks, and search for the best attack per item."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from crucible_adversary._registry import attack, attack_async, get_entry
from crucible_adversary._rng import derive_seed
from crucible_adversary._scoring import Scorer, as_scorer
from crucible_adversary._types import AttackResult, AttackSpec
from crucible_core.errors import ValidationError
from crucible_core.models import Model

__all__ = [
    "AttackBatch",
    "BestOf",
    "BestOfOutcome",
    "Chain",
    "as_spec",
    "attack_batch",
    "best_of",
    "chain",
]


class Chain(BaseModel):
    """Attacks applied one after the other; each step gets its own seed derived from the chain's seed."""

    model_config = ConfigDict(frozen=True)

    steps: tuple[AttackSpec, ...]

    @property
    def label(self) -> str:
        return "chain(" + " > ".join(step.label for step in self.steps) + ")"

    @property
    def needs_model(self) -> bool:
        """True when some step cannot run without a model (``back_translate``)."""
        return any(get_entry(step.name).info.needs_model for step in self.steps)

    @property
    def model_assisted(self) -> bool:
        """True when some step uses a model if one is given (``paraphrase``, ``formality_change``, ...)."""
        return any(get_entry(step.name).info.model_assisted for step in self.steps)

    def apply(self, text: str, *, seed: int = 0) -> AttackResult:
        """Run every step on the previous step's output (offline attacks only)."""
        results: list[AttackResult] = []
        for index, step in enumerate(self.steps):
            current = results[-1].perturbed if results else text
            seed_i = derive_seed(seed, index, step.name)
            results.append(attack(step.name, current, rate=step.rate, seed=seed_i, **step.options))
        return self._combined(text, seed, results)

    async def apply_async(self, text: str, *, seed: int = 0, model: Model | None = None) -> AttackResult:
        """Like :meth:`apply`, and runs model-assisted steps with ``model`` (every step that can use a
        model does when ``model`` is given; see ``AttackInfo.model_assisted``)."""
        results: list[AttackResult] = []
        for index, step in enumerate(self.steps):
            current = results[-1].perturbed if results else text
            seed_i = derive_seed(seed, index, step.name)
            results.append(
                await attack_async(
                    step.name, current, model=model, rate=step.rate, seed=seed_i, **step.options
                )
            )
        return self._combined(text, seed, results)

    def _combined(self, text: str, seed: int, results: list[AttackResult]) -> AttackResult:
        """One result for the chain: the last step's text, every step's parameters and edits."""
        return AttackResult(
            original=text,
            perturbed=results[-1].perturbed if results else text,
            attack=self.label,
            params={
                "seed": seed,
                "steps": [
                    {"attack": step.name, **r.params} for step, r in zip(self.steps, results, strict=True)
                ],
            },
            edits=tuple(edit for r in results for edit in r.edits),
        )

    def summary(self) -> str:
        return self.label


def as_spec(item: str | AttackSpec | tuple[str, float]) -> AttackSpec:
    """``"homoglyph"``, ``("homoglyph", 0.3)`` or an :class:`AttackSpec` as an :class:`AttackSpec`."""
    if isinstance(item, AttackSpec):
        spec = item
    elif isinstance(item, str):
        spec = AttackSpec(name=item)
    elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        spec = AttackSpec(name=item[0], rate=item[1])
    else:
        raise ValidationError(
            f"an attack must be a name, (name, rate) or AttackSpec; got {item!r}",
            argument="attacks",
            value=repr(item),
        )
    get_entry(spec.name)  # unknown names fail here, with suggestions
    return spec


def chain(attacks: Sequence[str | AttackSpec | tuple[str, float]]) -> Chain:
    """Compose attacks: ``chain(["synonym_replacement", "keyboard_typo"]).apply(text, seed=7)``."""
    if isinstance(attacks, str) or len(attacks) < 1:
        raise ValidationError(
            "chain needs a list of at least one attack, e.g. chain(['synonym_replacement', 'keyboard_typo'])",
            argument="attacks",
        )
    return Chain(steps=tuple(as_spec(a) for a in attacks))


class BestOfOutcome(BaseModel):
    """What :meth:`BestOf.run` found: the chosen attack's result, whether it flipped the answer, queries."""

    model_config = ConfigDict(frozen=True)

    result: AttackResult
    success: bool
    queries: int
    tried: tuple[str, ...]
    completion: str | None = None


class BestOf:
    """An adaptive attack: try each candidate in turn against ``model`` until one makes ``scorer``
    reject the answer (the attack that succeeded is kept; otherwise the last candidate's result).

    Every try costs one model query (plus the attack's own queries for model-assisted attacks);
    :func:`evaluate_robustness` reports them, so adaptive and one-shot attacks compare fairly.
    """

    def __init__(self, candidates: Sequence[AttackSpec | Chain], model: Model, scorer: Scorer) -> None:
        self.candidates = tuple(candidates)
        self.model = model
        self.scorer = scorer

    @property
    def label(self) -> str:
        return "best_of(" + ", ".join(c.label for c in self.candidates) + ")"

    async def run(self, prompt: str, expected: Any, *, seed: int = 0, params: Any = None) -> BestOfOutcome:
        tried: list[str] = []
        queries = 0
        last: AttackResult | None = None
        completion_text: str | None = None
        for index, candidate in enumerate(self.candidates):
            sub_seed = derive_seed(seed, index, candidate.label)
            if isinstance(candidate, Chain):
                result = await candidate.apply_async(prompt, seed=sub_seed, model=self.model)
            else:
                result = await attack_async(
                    candidate.name,
                    prompt,
                    model=self.model,
                    rate=candidate.rate,
                    seed=sub_seed,
                    **candidate.options,
                )
            queries += int(result.params.get("queries", 0))
            tried.append(candidate.label)
            completion = await self.model.generate(result.perturbed, params=params)
            queries += 1
            last, completion_text = result, completion.text
            if not self.scorer(completion.text, expected):
                return BestOfOutcome(
                    result=result,
                    success=True,
                    queries=queries,
                    tried=tuple(tried),
                    completion=completion.text,
                )
        assert last is not None
        return BestOfOutcome(
            result=last, success=False, queries=queries, tried=tuple(tried), completion=completion_text
        )


def best_of(
    attacks: Sequence[str | AttackSpec | tuple[str, float] | Chain],
    model: Model,
    scorer: str | Callable[[str, Any], bool],
) -> BestOf:
    """Adaptive composition: the first of ``attacks`` that flips ``model``'s answer (see :class:`BestOf`)."""
    if isinstance(attacks, str) or not attacks:
        raise ValidationError("best_of needs a non-empty list of attacks", argument="attacks")
    if not callable(getattr(model, "generate", None)):
        raise ValidationError(
            "model must implement crucible_core.models.Model (async generate)", argument="model"
        )
    candidates = [a if isinstance(a, Chain) else as_spec(a) for a in attacks]
    return BestOf(candidates, model, as_scorer(scorer))


class AttackBatch(BaseModel):
    """The results of :func:`attack_batch`, text-major (every attack on text 0, then on text 1, ...)."""

    model_config = ConfigDict(frozen=True)

    results: tuple[AttackResult, ...]

    def __iter__(self) -> Iterator[AttackResult]:  # type: ignore[override]
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> AttackResult:
        return self.results[index]

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [
                {
                    "attack": r.attack,
                    "original": r.original,
                    "perturbed": r.perturbed,
                    "edits": len(r.edits),
                    "changed": r.changed,
                }
                for r in self.results
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results]}

    def summary(self) -> str:
        changed = sum(r.changed for r in self.results)
        return f"{len(self.results)} attacked texts, {changed} changed"


def attack_batch(
    texts: Sequence[str], attacks: Sequence[str | AttackSpec | tuple[str, float] | Chain], *, seed: int = 0
) -> AttackBatch:
    """Every attack on every text; text ``i`` uses seed ``derive_seed(seed, i)``, so a text's result does
    not depend on the other texts in the batch."""
    if isinstance(texts, str):
        raise ValidationError("texts must be a list of strings, not one string", argument="texts")
    specs = [a if isinstance(a, Chain) else as_spec(a) for a in attacks]
    out: list[AttackResult] = []
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValidationError(
                f"texts[{index}] must be a str; got {type(text).__name__}", argument="texts", index=index
            )
        item_seed = derive_seed(seed, index)
        for spec in specs:
            if isinstance(spec, Chain):
                out.append(spec.apply(text, seed=item_seed))
            else:
                out.append(attack(spec.name, text, rate=spec.rate, seed=item_seed, **spec.options))
    return AttackBatch(results=tuple(out))
