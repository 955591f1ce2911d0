"""Model-assisted semantic attacks: paraphrase, formality change and back-translation through a :class:`Model`.

The model is told to keep every number and option label; the answer is then checked: when a number
or an option label of the original is missing from the model's rewrite, the rewrite is rejected
(paraphrase and formality change fall back to their offline rules, back-translation keeps the
original text) and
``params["fallback"]`` says why. ``rate`` is the sampling temperature (0 = the most literal rewrite).
Back-translation follows Sennrich et al. 2016; the pivot language is an option.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from crucible_adversary._rng import Rng
from crucible_adversary._semantic import formality_change, formality_direction, rule_paraphrase
from crucible_adversary._types import Edit

if TYPE_CHECKING:
    from crucible_core.models import Model

__all__ = [
    "MODEL_ATTACKS",
    "model_back_translate",
    "model_formality_change",
    "model_paraphrase",
    "protected_tokens",
]

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_OPTION = re.compile(r"(?<![A-Za-z0-9])[(\[]?([A-J])[).:\]](?=\s|$)")
_PREFIX = re.compile(r"^\s*(?:paraphrase|rewritten text|translation|text)\s*:\s*", re.IGNORECASE)

_KEEP = (
    "Keep the meaning, every number and every answer-option label (such as A) or (B)) exactly as written. "
    "Reply with the rewritten text only."
)

Outcome = tuple[str, list[Edit], dict[str, Any]]


def protected_tokens(text: str, protect_numbers: bool = True, protect_options: bool = True) -> Counter[str]:
    """The numbers and option labels of ``text`` that a meaning-preserving rewrite must keep."""
    found: Counter[str] = Counter()
    if protect_numbers:
        found.update(_NUMBER.findall(text))
    if protect_options:
        found.update("opt:" + m for m in _OPTION.findall(text))
    return found


def _kept(original: str, rewrite: str, protect_numbers: bool, protect_options: bool) -> bool:
    need = protected_tokens(original, protect_numbers, protect_options)
    have = protected_tokens(rewrite, protect_numbers, protect_options)
    return all(have[token] >= count for token, count in need.items())


def _clean(text: str) -> str:
    text = _PREFIX.sub("", text.strip())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return text.strip()


async def _ask(model: Model, prompt: str, rate: float, seed: int) -> str:
    from crucible_core.models import GenerationParams  # lazily: keeps `import crucible_adversary` light

    completion = await model.generate(prompt, params=GenerationParams(temperature=rate, seed=seed))
    return _clean(completion.text)


async def model_paraphrase(
    text: str, rate: float, rng: Rng, model: Model, protect_numbers: bool, protect_options: bool
) -> Outcome:
    """Paraphrase with ``model``; fall back to the rule-based paraphrase when protected tokens change."""
    seed = rng.next32()
    rewrite = await _ask(model, f"Paraphrase the following text. {_KEEP}\n\nText:\n{text}", rate, seed)
    if rewrite and _kept(text, rewrite, protect_numbers, protect_options):
        return rewrite, [Edit("substitute", 0, text, rewrite)], {"method": "model", "queries": 1}
    perturbed, edits = rule_paraphrase(text, max(rate, 0.3), rng, protect_numbers, protect_options)
    reason = "empty model output" if not rewrite else "model output changed numbers or option labels"
    return perturbed, edits, {"method": "rules", "fallback": reason, "queries": 1}


async def model_formality_change(
    text: str,
    rate: float,
    rng: Rng,
    model: Model,
    protect_numbers: bool,
    protect_options: bool,
    direction: str = "auto",
) -> Outcome:
    """Shift the register with ``model`` (``direction`` as in the offline ``formality_change``); fall
    back to the offline rules when protected tokens change."""
    target = formality_direction(text, direction)
    register = "more casual, conversational" if target == "informal" else "more formal, polished"
    seed = rng.next32()
    rewrite = await _ask(
        model, f"Rewrite the following text in a {register} register. {_KEEP}\n\nText:\n{text}", rate, seed
    )
    if rewrite and _kept(text, rewrite, protect_numbers, protect_options):
        edits = [Edit("substitute", 0, text, rewrite)]
        return rewrite, edits, {"method": "model", "register": target, "queries": 1}
    perturbed, rule_edits = formality_change(text, rate, rng, protect_numbers, protect_options, target)
    reason = "empty model output" if not rewrite else "model output changed numbers or option labels"
    return perturbed, rule_edits, {"method": "rules", "register": target, "fallback": reason, "queries": 1}


async def model_back_translate(
    text: str,
    rate: float,
    rng: Rng,
    model: Model,
    protect_numbers: bool,
    protect_options: bool,
    pivot: str = "French",
) -> Outcome:
    """Translate to ``pivot`` and back to English with ``model`` (two queries)."""
    seed = rng.next32()
    there = await _ask(
        model, f"Translate the following text into {pivot}. {_KEEP}\n\nText:\n{text}", rate, seed
    )
    back = await _ask(
        model, f"Translate the following text into English. {_KEEP}\n\nText:\n{there}", rate, seed
    )
    if back and _kept(text, back, protect_numbers, protect_options):
        return back, [Edit("substitute", 0, text, back)], {"pivot_text": there, "queries": 2}
    reason = "empty model output" if not back else "model output changed numbers or option labels"
    return text, [], {"pivot_text": there, "fallback": f"{reason}; original kept", "queries": 2}


ModelAttack = Callable[..., Awaitable[Outcome]]
#: The attacks that use a model: back_translate needs one, the others use it when one is given.
MODEL_ATTACKS: dict[str, ModelAttack] = {
    "paraphrase": model_paraphrase,
    "formality_change": model_formality_change,
    "back_translate": model_back_translate,
}
