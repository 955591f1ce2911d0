"""Self-consistency: sample one model several times and take the majority answer."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from crucible_core.answers import Choices
from crucible_core.errors import ValidationError
from crucible_core.models import GenerationParams, Message, Model
from crucible_ensemble._config import VotingLike
from crucible_ensemble._ensemble import Ensemble
from crucible_ensemble._execution import Execution
from crucible_ensemble._member import Member
from crucible_ensemble._results import PredictionResult

__all__ = ["self_consistency"]


async def self_consistency(
    model: Model,
    prompt: str | Sequence[Message | Mapping[str, Any]],
    *,
    n: int = 10,
    temperature: float = 0.8,
    normalizer: str | Callable[[str], Hashable | None] = "number",
    voting: VotingLike = "majority",
    seed: int | None = None,
    params: GenerationParams | None = None,
    execution: Execution = "parallel",
    min_responses: int = 1,
    timeout: float | None = 60.0,
    logprobs: bool = False,
    choices: Choices | None = None,
) -> PredictionResult:
    """Sample ``model`` ``n`` times at ``temperature`` and vote over the normalised answers.

    Wang et al. (2023), "Self-Consistency Improves Chain of Thought Reasoning in Language Models",
    ICLR: sample diverse reasoning paths, marginalise them out by a majority vote over the final
    answers. ``seed`` gives sample ``i`` the request seed ``seed + i`` (reproducible where the endpoint
    honours seeds; :class:`~crucible_core.models.SimulatedModel` does); ``params`` supplies other
    sampling settings. The samples are members ``<name>#1`` ... ``<name>#n`` of an :class:`Ensemble`,
    so the result has the same fields (``consensus`` is the share of samples that agree). With
    ``execution="sequential"`` sampling stops as soon as the remaining samples cannot change the
    majority (adaptive-consistency; Aggarwal et al. 2023). With ``normalizer="multiple_choice"`` the
    options are read from the prompt, or given as ``choices`` (see :meth:`Ensemble.predict`).

        >>> result = await self_consistency(model, "What is 17 * 3?", n=10)    # doctest: +SKIP
        >>> result.answer, result.consensus                                      # doctest: +SKIP
        ('51', 0.8)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError(f"n must be an int >= 1 (the number of samples); got {n!r}", argument="n")
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or temperature < 0:
        raise ValidationError(f"temperature must be >= 0; got {temperature!r}", argument="temperature")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValidationError(f"seed must be an int or None; got {seed!r}", argument="seed")
    if params is not None and not isinstance(params, GenerationParams):
        raise ValidationError("params must be a GenerationParams or None", argument="params")
    if not isinstance(model, Model):
        raise ValidationError(
            f"model must implement crucible_core.models.Model; got {type(model).__name__}", argument="model"
        )
    base = params or GenerationParams()
    members = [
        Member(
            model,
            name=f"{model.name}#{i + 1}",
            params=base.model_copy(
                update={"temperature": float(temperature), "seed": None if seed is None else seed + i}
            ),
        )
        for i in range(n)
    ]
    ensemble = Ensemble(
        members,
        voting=voting,
        execution=execution,
        normalizer=normalizer,
        min_responses=min_responses,
        timeout=timeout,
        logprobs=logprobs,
        name="self-consistency",
    )
    return await ensemble.predict(prompt, choices=choices)
