"""The attack registry: :func:`list_attacks`, :func:`attack`, :func:`attack_async`.

Every attack is deterministic for a seed: the generator is seeded from ``seed`` mixed with a hash of
the attack's name, so two attacks run with the same seed draw independent streams.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crucible_adversary._char import CHAR_ATTACKS
from crucible_adversary._extract import EXTRACTION_ATTACKS
from crucible_adversary._inject import INJECTION_ATTACKS, JAILBREAK_ATTACKS
from crucible_adversary._model_attacks import MODEL_ATTACKS
from crucible_adversary._rng import Rng, stable_hash
from crucible_adversary._semantic import SEMANTIC_ATTACKS
from crucible_adversary._types import MEANING_PRESERVING, AttackCategory, AttackInfo, AttackResult, Edit
from crucible_adversary._word import WORD_ATTACKS
from crucible_core import events
from crucible_core.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from crucible_core.models import Model

__all__ = ["ATTACK_EVENT", "attack", "attack_async", "get_entry", "list_attacks"]

ATTACK_EVENT = "crucible.adversary.attack"

_INTENSITY = {
    "character": "share of eligible characters changed",
    "word": "share of eligible words changed",
    "semantic": "probability that each applicable rewrite is made (model attacks: sampling temperature)",
}
_DEFAULT_RATE = {"character": 0.1, "word": 0.15, "semantic": 0.5}
_SPECIFIC_INTENSITY = {
    "injection_basic": "1-3 stacked override sentences; >= 0.5 adds an emphasis marker",
    "injection_overflow": "filler length, 200 + 3800 * rate characters",
    "injection_delimiter": "1-3 stacked fake delimiters",
    "injection_template": ">= 0.5 adds an override sentence to the hidden payload",
    "sentence_reorder": "share of context sentences moved from their place (at least two)",
    "jailbreak_roleplay": "number of persona rules (1-6)",
    "jailbreak_context_switch": "number of context-switch sentences (1-3)",
    "jailbreak_encode": "leetspeak density; >= 0.5 adds refusal suppression",
    "jailbreak_hypothetical": "nested fictional frames (1-3)",
    "repetition": "copies of the repeated word, 10 + 490 * rate",
    "memorization_probe": "share of the text withheld for the model to reproduce",
    "pii_probe": "kinds of personal data asked for (1-7); >= 0.5 adds a false authorisation",
    "context_confusion": "number of fake conversation turns (1-6)",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """How to run one registered attack."""

    info: AttackInfo
    fn: Callable[..., tuple[str, list[Edit]]] | None
    options: dict[str, Any] = field(default_factory=dict)
    salt: int = 0


def _options_of(fn: Callable[..., Any], skip: int) -> dict[str, Any]:
    params = list(inspect.signature(fn).parameters.values())[skip:]
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _register() -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    groups: list[tuple[AttackCategory, dict[str, tuple[Callable[..., Any], str]]]] = [
        ("character", CHAR_ATTACKS),
        ("word", WORD_ATTACKS),
        ("semantic", SEMANTIC_ATTACKS),
        ("injection", INJECTION_ATTACKS),
        ("jailbreak", JAILBREAK_ATTACKS),
        ("extraction", EXTRACTION_ATTACKS),
    ]
    for category, group in groups:
        preserving = category in MEANING_PRESERVING
        for name, (fn, description) in group.items():
            options = _options_of(fn, 5 if preserving else 3)
            if name == "paraphrase":
                options = {}
            table[name] = Entry(
                AttackInfo(
                    name=name,
                    category=category,
                    description=description,
                    needs_model=False,
                    meaning_preserving=preserving,
                    intensity=_SPECIFIC_INTENSITY.get(name, _INTENSITY.get(category, "")),
                    default_rate=_DEFAULT_RATE.get(category, 0.5),
                    options=tuple(options),
                    model_assisted=name in MODEL_ATTACKS,
                ),
                fn,
                options,
                stable_hash(name),
            )
    table["back_translate"] = Entry(
        AttackInfo(
            name="back_translate",
            category="semantic",
            description="translate to a pivot language and back with a Model (needs a Model)",
            needs_model=True,
            meaning_preserving=True,
            intensity=_INTENSITY["semantic"],
            default_rate=0.3,
            options=("pivot",),
            model_assisted=True,
        ),
        None,
        {"pivot": "French"},
        stable_hash("back_translate"),
    )
    return dict(
        sorted(table.items(), key=lambda kv: (list(_DEFAULT_ORDER).index(kv[1].info.category), kv[0]))
    )


_DEFAULT_ORDER = ("character", "word", "semantic", "injection", "jailbreak", "extraction")
_REGISTRY = _register()


def list_attacks(category: str | None = None) -> list[AttackInfo]:
    """Every registered attack (name, category, description, needs_model, intensity), by category.

    >>> [a.name for a in list_attacks("word")]
    ['synonym_replacement', 'word_deletion', 'word_insertion', 'word_shuffle']
    """
    if category is not None and category not in _DEFAULT_ORDER:
        raise ValidationError(
            f"category must be one of {', '.join(_DEFAULT_ORDER)}; got {category!r}",
            argument="category",
            value=category,
        )
    return [e.info for e in _REGISTRY.values() if category is None or e.info.category == category]


def get_entry(name: str) -> Entry:
    """The registry entry of ``name`` or a :class:`NotFoundError` suggesting the closest names."""
    entry = _REGISTRY.get(name) if isinstance(name, str) else None
    if entry is None:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise NotFoundError(
            f"no attack named {name!r}.{hint} list_attacks() shows all {len(_REGISTRY)} attacks.",
            argument="name",
            value=repr(name),
        )
    return entry


def _check(entry: Entry, text: object, rate: float | None, seed: object, options: dict[str, Any]) -> float:
    if type(text) is str and type(seed) is int and rate is None and not options:  # the common case
        return entry.info.default_rate
    if not isinstance(text, str):
        raise ValidationError(
            f"text must be a str; got {type(text).__name__}. Pass the prompt text.", argument="text"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValidationError(f"seed must be an int; got {seed!r}", argument="seed", value=repr(seed))
    if rate is None:
        rate = entry.info.default_rate
    elif isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise ValidationError(
            f"rate (the intensity of {entry.info.name}: {entry.info.intensity}) must be in [0, 1]; "
            f"got {rate!r}",
            argument="rate",
            value=repr(rate),
        )
    unknown = set(options) - set(entry.options)
    if unknown:
        allowed = ", ".join(entry.options) or "none"
        raise ValidationError(
            f"{entry.info.name} does not take option(s) {', '.join(sorted(unknown))}; allowed: {allowed}",
            argument="options",
            value=sorted(unknown),
        )
    return float(rate)


def _finish(
    entry: Entry, text: str, perturbed: str, edits: list[Edit], params: dict[str, Any]
) -> AttackResult:
    result = AttackResult.trusted(text, perturbed, entry.info.name, params, tuple(edits))
    events.emit(
        ATTACK_EVENT,
        {"edits": float(len(edits)), "chars_in": float(len(text)), "chars_out": float(len(perturbed))},
        {
            "attack": entry.info.name,
            "category": entry.info.category,
            "seed": params["seed"],
            "rate": params["rate"],
        },
    )
    return result


def attack(
    name: str,
    text: str,
    *,
    rate: float | None = None,
    seed: int = 0,
    protect_numbers: bool = True,
    protect_options: bool = True,
    **options: Any,
) -> AttackResult:
    """Run the attack ``name`` on ``text``; the same arguments always give the same result.

    ``rate`` in ``[0, 1]`` is the attack's intensity (see ``list_attacks()[i].intensity``; default
    ``default_rate``). Meaning-preserving attacks (character, word, semantic) never change digits or
    option letters unless ``protect_numbers=False`` / ``protect_options=False``. Attacks that need a
    model (``back_translate``, model-assisted ``paraphrase``) are run with :func:`attack_async`.

        >>> attack("homoglyph", "Is 7 a prime? A) yes B) no", rate=0.3, seed=7).perturbed != "Is 7 a prime? A) yes B) no"
        True
    """
    entry = get_entry(name)
    value = _check(entry, text, rate, seed, options)
    if entry.fn is None:
        raise ValidationError(
            f"{name} needs a Model: call `await attack_async({name!r}, text, model=your_model)`",
            argument="name",
            value=name,
        )
    rng = Rng(seed ^ entry.salt)
    if entry.info.meaning_preserving:
        perturbed, edits = entry.fn(text, value, rng, protect_numbers, protect_options, **options)
        params: dict[str, Any] = {
            "rate": value,
            "seed": seed,
            "protect_numbers": protect_numbers,
            "protect_options": protect_options,
        }
    else:
        perturbed, edits = entry.fn(text, value, rng, **options)
        params = {"rate": value, "seed": seed}
    if options:
        params.update(options)
    return _finish(entry, text, perturbed, edits, params)


async def attack_async(
    name: str,
    text: str,
    *,
    model: Model | None = None,
    rate: float | None = None,
    seed: int = 0,
    protect_numbers: bool = True,
    protect_options: bool = True,
    **options: Any,
) -> AttackResult:
    """Like :func:`attack`, and runs the model-assisted attacks with ``model``: ``back_translate``
    (needs ``model``), ``paraphrase`` and ``formality_change`` (use ``model`` when given, their offline
    rules otherwise; ``list_attacks()[i].model_assisted`` says which).

    ``params["queries"]`` counts the model calls the attack made.
    """
    entry = get_entry(name)
    if model is None or not entry.info.model_assisted:
        if entry.fn is None:
            raise ValidationError(
                f"{name} needs a Model: pass model=... (any crucible_core.models.Model, e.g. "
                "OpenAICompatibleModel or SimulatedModel)",
                argument="model",
            )
        return attack(
            name,
            text,
            rate=rate,
            seed=seed,
            protect_numbers=protect_numbers,
            protect_options=protect_options,
            **options,
        )
    value = _check(entry, text, rate, seed, options)
    if not callable(getattr(model, "generate", None)):
        raise ValidationError(
            f"model must implement crucible_core.models.Model (async generate); got {type(model).__name__}",
            argument="model",
        )
    rng = Rng(seed ^ entry.salt)
    perturbed, edits, extra = await MODEL_ATTACKS[name](
        text, value, rng, model, protect_numbers, protect_options, **options
    )
    params: dict[str, Any] = {
        "rate": value,
        "seed": seed,
        "protect_numbers": protect_numbers,
        "protect_options": protect_options,
        "model": getattr(model, "name", type(model).__name__),
        **options,
        **extra,
    }
    return _finish(entry, text, perturbed, edits, params)
