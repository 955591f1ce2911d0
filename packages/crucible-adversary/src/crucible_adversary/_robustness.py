"""evaluate_robustness: clean run + one run per attack, paired item by item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict

from crucible_adversary._compose import BestOf, Chain, as_spec
from crucible_adversary._registry import attack, attack_async, get_entry
from crucible_adversary._rng import derive_seed
from crucible_adversary._robustness_report import ItemOutcome, RobustnessReport, _proportion, attack_metrics
from crucible_adversary._scoring import Scorer, as_scorer
from crucible_adversary._types import AttackResult, AttackSpec
from crucible_core import events
from crucible_core.errors import ValidationError
from crucible_core.models import GenerationParams, Model

__all__ = ["RobustnessItem", "evaluate_robustness"]

ROBUSTNESS_SPAN = "crucible.adversary.robustness"
AttackArg = str | AttackSpec | tuple[str, float] | Chain | BestOf


class RobustnessItem(BaseModel):
    """One evaluation item: the prompt and the answer a correct model gives."""

    model_config = ConfigDict(frozen=True)

    id: str
    prompt: str
    expected: Any


def _items(items: Iterable[Any]) -> list[RobustnessItem]:
    out: list[RobustnessItem] = []
    for index, item in enumerate(items):
        if isinstance(item, RobustnessItem):
            out.append(item)
            continue
        if isinstance(item, Mapping):
            prompt = next((item[k] for k in ("prompt", "question", "input", "text") if k in item), None)
            expected = next((item[k] for k in ("expected", "answer", "target", "label") if k in item), None)
            ident = str(item.get("id", index))
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            prompt, expected, ident = item[0], item[1], str(index)
        else:
            prompt = expected = ident = None
        if not isinstance(prompt, str) or expected is None:
            raise ValidationError(
                f"items[{index}] must be a RobustnessItem, a (prompt, expected) pair or a dict with 'prompt' and "
                f"'expected' (or question/answer); got {item!r:.120}",
                argument="items",
                index=index,
            )
        out.append(RobustnessItem(id=str(ident), prompt=prompt, expected=expected))
    if not out:
        raise ValidationError("items is empty; pass at least one item", argument="items")
    return out


def _label(spec: AttackSpec | Chain | BestOf) -> str:
    return spec.label


async def _ask(
    model: Model, prompt: str, expected: Any, scorer: Scorer, params: GenerationParams | None
) -> tuple[bool | None, str | None, str | None]:
    """(correct, error, completion text); a failing call or scorer is recorded, never raised."""
    try:
        completion = await model.generate(prompt, params=params)
    except Exception as exc:  # the evaluation records every failure and goes on
        return None, f"{type(exc).__name__}: {exc}"[:300], None
    text = getattr(completion, "text", None)
    if not isinstance(text, str):
        return None, f"InvalidCompletion: model returned {type(completion).__name__} without text", None
    try:
        return bool(scorer(text, expected)), None, text
    except Exception as exc:  # a scorer choking on garbage output counts as an error, not a crash
        return None, f"ScorerError: {type(exc).__name__}: {exc}"[:300], text


async def _perturb(
    spec: AttackSpec | Chain, prompt: str, seed: int, helper: Model, assist: Model | None
) -> AttackResult:
    """Attack ``prompt``. ``helper`` runs the attacks that need a model; ``assist`` (the caller's
    ``attack_model``, or None) also runs the ones that merely can use one, as ``Chain.apply_async`` and
    :func:`attack_async` do when given a model."""
    if isinstance(spec, Chain):
        if assist is not None and spec.model_assisted:
            return await spec.apply_async(prompt, seed=seed, model=assist)
        if spec.needs_model:
            return await spec.apply_async(prompt, seed=seed, model=helper)
        return spec.apply(prompt, seed=seed)
    info = get_entry(spec.name).info
    if info.needs_model or (assist is not None and info.model_assisted):
        return await attack_async(
            spec.name,
            prompt,
            model=assist if assist is not None else helper,
            rate=spec.rate,
            seed=seed,
            **spec.options,
        )
    return attack(spec.name, prompt, rate=spec.rate, seed=seed, **spec.options)


async def evaluate_robustness(
    model: Model,
    items: Iterable[Any],
    attacks: Sequence[AttackArg],
    scorer: str | Any = "multiple_choice",
    *,
    seed: int = 0,
    concurrency: int = 32,
    params: GenerationParams | None = None,
    attack_model: Model | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    keep_completions: bool = False,
) -> RobustnessReport:
    """Accuracy of ``model`` on ``items`` clean and under each attack, paired item by item.

    Every item is asked once clean and once per attack (adaptive :func:`best_of` attacks ask until
    one flips the answer). Item ``i`` under attack ``a`` uses seed ``derive_seed(seed, i, a)``, so a
    rerun reproduces every perturbed prompt. Attacks that need a model (``back_translate``) call
    ``attack_model`` (default: ``model``); attacks that can use one (``paraphrase``,
    ``formality_change``: ``AttackInfo.model_assisted``) call ``attack_model`` when it is given and
    use their offline rules otherwise, so the evaluated model never rewrites its own inputs unasked.
    A call that raises, or a completion the scorer cannot handle, is recorded as an error on that
    cell and excluded from the paired statistics of that attack; it never stops the evaluation. ``scorer`` is a :mod:`crucible_core.answers` normaliser
    name (``"multiple_choice"``, ``"number"``, ``"text"``, ...) or ``callable(text, expected) -> bool``.

    Per attack (see :class:`AttackMetrics`): accuracy (Wilson), accuracy drop (paired percentile
    bootstrap), attack success rate among clean-correct items (Wilson), McNemar's test on the paired
    2x2 table (``crucible_bench.mcnemar``; exact binomial when fewer than 25 discordant pairs) and
    the number of model queries.
    """
    if not callable(getattr(model, "generate", None)):
        raise ValidationError(
            f"model must implement crucible_core.models.Model (async generate); got {type(model).__name__}",
            argument="model",
        )
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError(f"concurrency must be an int >= 1; got {concurrency!r}", argument="concurrency")
    if isinstance(attacks, str) or not attacks:
        raise ValidationError(
            "attacks must be a non-empty list, e.g. ['homoglyph', 'keyboard_typo']", argument="attacks"
        )
    data = _items(items)
    check = as_scorer(scorer)
    specs: list[AttackSpec | Chain | BestOf] = [
        a if isinstance(a, Chain | BestOf) else as_spec(a) for a in attacks
    ]
    labels = [_label(s) for s in specs]
    if len(set(labels)) != len(labels):
        raise ValidationError(
            f"attacks contain duplicates: {labels}; give each a distinct rate or options", argument="attacks"
        )
    helper = attack_model if attack_model is not None else model
    n, k = len(data), len(specs)
    clean: list[bool | None] = [None] * n
    clean_err: list[str | None] = [None] * n
    clean_text: list[str | None] = [None] * n
    cells: list[list[tuple[bool | None, str | None, bool, int, str | None]]] = [
        [(None, None, False, 0, None)] * n for _ in range(k)
    ]
    limiter = anyio.CapacityLimiter(concurrency)

    async def run_clean(i: int) -> None:
        async with limiter:
            clean[i], clean_err[i], clean_text[i] = await _ask(
                model, data[i].prompt, data[i].expected, check, params
            )

    async def run_attack(a: int, i: int) -> None:
        spec, item = specs[a], data[i]
        item_seed = derive_seed(seed, i, labels[a])
        async with limiter:
            try:
                if isinstance(spec, BestOf):
                    found = await spec.run(item.prompt, item.expected, seed=item_seed, params=params)
                    changed = found.result.changed
                    cells[a][i] = (not found.success, None, changed, found.queries, found.completion)
                    return
                result = await _perturb(spec, item.prompt, item_seed, helper, attack_model)
            except Exception as exc:  # an attack that needs a failing model: record, go on
                cells[a][i] = (None, f"{type(exc).__name__}: {exc}"[:300], False, 0, None)
                return
            correct, error, text = await _ask(model, result.perturbed, item.expected, check, params)
            cells[a][i] = (correct, error, result.changed, 1 + int(result.params.get("queries", 0)), text)

    name = getattr(model, "name", type(model).__name__)
    with events.span(ROBUSTNESS_SPAN, model=name, items=n, attacks=labels, seed=seed) as span:
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(run_clean, i)
            for a in range(k):
                for i in range(n):
                    group.start_soon(run_attack, a, i)
        by_attack = {}
        outcomes = [
            ItemOutcome(
                item_id=data[i].id,
                condition="clean",
                correct=clean[i],
                error=clean_err[i],
                completion=clean_text[i] if keep_completions else None,
            )
            for i in range(n)
        ]
        total_queries = n
        for a, label in enumerate(labels):
            column = cells[a]
            queries = sum(c[3] for c in column)
            total_queries += queries
            by_attack[label] = attack_metrics(
                label,
                clean,
                [c[0] for c in column],
                [c[2] for c in column],
                queries,
                confidence=confidence,
                n_resamples=n_resamples,
                seed=derive_seed(seed, "bootstrap", label) % (2**32),
            )
            outcomes += [
                ItemOutcome(
                    item_id=data[i].id,
                    condition=label,
                    correct=c[0],
                    error=c[1],
                    changed=c[2],
                    queries=c[3],
                    completion=c[4] if keep_completions else None,
                )
                for i, c in enumerate(column)
            ]
        done = [c for c in clean if c is not None]
        span.measure(queries=float(total_queries), errors=float(sum(o.error is not None for o in outcomes)))
    return RobustnessReport(
        model=name,
        n_items=n,
        clean_accuracy=_proportion(sum(1 for c in done if c), len(done), confidence),
        clean_errors=n - len(done),
        by_attack=by_attack,
        queries=total_queries,
        seed=seed,
        confidence=confidence,
        outcomes=tuple(outcomes),
    )
