"""multiple_choice voting reads the question's options, so an answer giving an option's text votes
for its letter (issue 8, audit: the normaliser never saw the options)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crucible_core.errors import ValidationError
from crucible_core.models import OpenAICompatibleModel, SimulatedModel
from crucible_core.testing import FakeLLMServer
from crucible_ensemble import Ensemble, self_consistency

Server = Callable[..., FakeLLMServer]
Client = Callable[..., OpenAICompatibleModel]

INLINE = "Which planet is largest? A) Mars B) Jupiter C) Venus D) Earth"
LINES = "Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Earth\nAnswer:"
PARENS = "Which planet is largest? (A) Mars (B) Jupiter (C) Venus (D) Earth"


def members(fake_llm_server: Server, client: Client, *texts: str) -> list[OpenAICompatibleModel]:
    return [client(fake_llm_server(lambda body, t=t: t), f"m{i}") for i, t in enumerate(texts)]


@pytest.mark.anyio
@pytest.mark.parametrize("prompt", [INLINE, LINES, PARENS])
async def test_option_text_answers_vote_for_their_letter(
    fake_llm_server: Server, client: Client, prompt: str
) -> None:
    models = members(fake_llm_server, client, "Jupiter", "It must be Jupiter, not Mars.", "The answer is A.")
    result = await Ensemble(models, normalizer="multiple_choice").predict(prompt)
    assert [r.answer for r in result.responses] == ["B", "B", "A"]
    assert result.answer == "B" and result.consensus == pytest.approx(2 / 3)


@pytest.mark.anyio
async def test_letters_past_d_and_chat_prompts(fake_llm_server: Server, client: Client) -> None:
    options = [
        "Mars",
        "Jupiter",
        "Venus",
        "Earth",
        "Mercury",
        "Saturn",
        "Neptune",
        "Uranus",
        "Pluto",
        "Ceres",
    ]
    prompt = "Which is a ringed giant?\n" + "\n".join(
        f"{'ABCDEFGHIJ'[i]}) {o}" for i, o in enumerate(options)
    )
    models = members(fake_llm_server, client, "Saturn", "The answer is (F).", "J")
    result = await Ensemble(models, normalizer="multiple_choice").predict(
        [{"role": "system", "content": "Answer with one option."}, {"role": "user", "content": prompt}]
    )
    assert [r.answer for r in result.responses] == ["F", "F", "J"]
    assert result.answer == "F"


@pytest.mark.anyio
async def test_explicit_choices(fake_llm_server: Server, client: Client) -> None:
    models = members(fake_llm_server, client, "Jupiter", "jupiter!", "Venus")
    ensemble = Ensemble(models, normalizer="multiple_choice")
    plain = await ensemble.predict("Which planet is largest?", choices=["Mars", "Jupiter", "Venus"])
    assert [r.answer for r in plain.responses] == ["B", "B", "C"]
    mapped = await ensemble.predict(
        "Which planet is largest?", choices={"A": "Venus", "B": "Mars", "C": "Jupiter"}
    )
    assert mapped.answer == "C" and [r.answer for r in mapped.responses] == ["C", "C", "A"]
    # without options the texts are unreadable: abstentions, as before
    with pytest.raises(Exception, match="readable answer"):
        await ensemble.predict("Which planet is largest?")
    with pytest.raises(ValidationError, match="multiple_choice") as caught:
        await Ensemble(models, normalizer="text").predict("Q", choices=["a", "b"])
    assert caught.value.details["argument"] == "choices"
    with pytest.raises(ValidationError) as bad:
        await ensemble.predict("Q", choices="AB")  # type: ignore[arg-type]
    assert bad.value.details["argument"] == "choices"


@pytest.mark.anyio
async def test_self_consistency_with_option_texts() -> None:
    prompt = "Q1: Which planet is largest? A) Mars B) Jupiter C) Venus D) Earth"
    model = SimulatedModel("sim", answer_key={prompt: "Jupiter"}, accuracy=1.0, sleep=False)
    result = await self_consistency(model, prompt, n=3, normalizer="multiple_choice", seed=1)
    assert result.answer == "B" and result.consensus == 1.0
    given = await self_consistency(
        model, prompt, n=2, normalizer="multiple_choice", choices=["Jupiter", "Mars"], seed=1
    )
    assert given.answer == "A"
