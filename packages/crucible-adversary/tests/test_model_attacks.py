"""Model-assisted attacks (back-translation, paraphrase) through a real HTTP model on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from crucible_adversary import attack_async, chain, evaluate_robustness, list_attacks
from crucible_core.errors import ValidationError
from crucible_core.models import OpenAICompatibleModel
from crucible_core.testing import FakeLLMServer

QUESTION = "Tom has 12 apples and gives away 5. How many are left? A) 7 B) 17"


def _translator(keep_numbers: bool):
    def respond(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        text = prompt.split("Text:\n", 1)[1]
        if "into French" in prompt:
            return "Tom a 12 pommes et en donne 5. Combien en reste-t-il ? A) 7 B) 17"
        if "into English" in prompt:
            if not keep_numbers:
                return "Tom has a dozen apples and gives some away. How many are left?"
            return "Tom owns 12 apples and hands out 5. How many remain? A) 7 B) 17"
        if "Paraphrase" in prompt:
            return text.replace("has", "owns") if keep_numbers else "Tom has many apples."
        return "?"

    return respond


@pytest.mark.anyio
async def test_back_translation_through_an_http_model() -> None:
    with FakeLLMServer(_translator(keep_numbers=True)) as server:
        model = OpenAICompatibleModel(
            "translator", base_url=server.base_url, api_key="sk-test-0123456789abcdef", max_retries=0
        )
        try:
            result = await attack_async("back_translate", QUESTION, model=model, seed=4, pivot="French")
        finally:
            await model.aclose()
        assert server.request_count == 2
        bodies = [r.body or {} for r in server.requests]
    assert result.perturbed == "Tom owns 12 apples and hands out 5. How many remain? A) 7 B) 17"
    assert (
        result.params["queries"] == 2
        and result.params["pivot"] == "French"
        and "fallback" not in result.params
    )
    assert "into French" in bodies[0]["messages"][-1]["content"] and bodies[0][
        "temperature"
    ] == pytest.approx(0.3)


@pytest.mark.anyio
async def test_model_rewrites_that_lose_numbers_are_rejected() -> None:
    with FakeLLMServer(_translator(keep_numbers=False)) as server:
        model = OpenAICompatibleModel(
            "translator", base_url=server.base_url, api_key="sk-test-0123456789abcdef", max_retries=0
        )
        try:
            back = await attack_async("back_translate", QUESTION, model=model, seed=4)
            para = await attack_async("paraphrase", QUESTION, model=model, seed=4)
        finally:
            await model.aclose()
    assert back.perturbed == QUESTION and "original kept" in back.params["fallback"]
    assert para.params["method"] == "rules" and "numbers" in para.params["fallback"]
    assert "12" in para.perturbed and "A) 7" in para.perturbed


@pytest.mark.anyio
async def test_model_paraphrase_and_offline_fallback_without_a_model() -> None:
    with FakeLLMServer(_translator(keep_numbers=True)) as server:
        model = OpenAICompatibleModel(
            "translator", base_url=server.base_url, api_key="sk-test-0123456789abcdef", max_retries=0
        )
        try:
            para = await attack_async("paraphrase", QUESTION, model=model, seed=1)
        finally:
            await model.aclose()
    assert para.params["method"] == "model" and para.perturbed == QUESTION.replace("has", "owns")
    offline = await attack_async("paraphrase", "Can you explain what is wrong here?", seed=1)
    assert offline.changed and "queries" not in offline.params
    with pytest.raises(ValidationError, match="needs a Model"):
        await attack_async("back_translate", QUESTION)


@pytest.mark.anyio
async def test_back_translate_inside_evaluate_robustness_uses_the_attack_model() -> None:
    items = [{"prompt": QUESTION, "expected": "A"}]

    def answer(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        if prompt.startswith(("Translate", "Paraphrase")):
            return _translator(True)(body)
        return "The answer is A." if "has 12" in prompt else "The answer is B."

    with FakeLLMServer(answer) as server:
        model = OpenAICompatibleModel(
            "m", base_url=server.base_url, api_key="sk-test-0123456789abcdef", max_retries=0
        )
        try:
            report = await evaluate_robustness(
                model, items, attacks=["back_translate"], scorer="multiple_choice"
            )
        finally:
            await model.aclose()
    metrics = report.by_attack["back_translate"]
    assert report.clean_accuracy.estimate == 1.0 and metrics.accuracy.estimate == 0.0
    assert metrics.queries == 3 and metrics.attack_success_rate.estimate == 1.0


def _rewriter(body: dict[str, Any]) -> str:
    """A helper model on loopback: every rewrite request gets a recognisable rewrite that keeps numbers."""
    prompt = body["messages"][-1]["content"]
    text = prompt.split("Text:\n", 1)[1]
    if prompt.startswith("Paraphrase"):
        return "PARAPHRASED " + text
    if prompt.startswith("Rewrite") and "register" in prompt:
        return "FORMALITY " + text
    return "?"


@pytest.mark.anyio
async def test_evaluate_robustness_uses_the_attack_model_for_model_assisted_attacks() -> None:
    items = [{"prompt": QUESTION, "expected": "A"}]
    with FakeLLMServer(_rewriter) as helper_server, FakeLLMServer(lambda body: "A") as target_server:
        helper = OpenAICompatibleModel(
            "helper", base_url=helper_server.base_url, api_key="sk-test-0123456789abcdef", max_retries=0
        )
        target = OpenAICompatibleModel(
            "target", base_url=target_server.base_url, api_key="sk-test-0123456789abcdef", max_retries=0
        )
        try:
            report = await evaluate_robustness(
                target,
                items,
                attacks=["paraphrase", "formality_change", chain(["paraphrase", "keyboard_typo"])],
                scorer="multiple_choice",
                attack_model=helper,
            )
            asked = sorted(r.body["messages"][-1]["content"] for r in target_server.requests if r.body)
            rewrites = [r.body["messages"][-1]["content"] for r in helper_server.requests if r.body]
            helper_server.reset()
            target_server.reset()
            # without attack_model, paraphrase keeps to its offline rules: the target is never asked to rewrite
            offline = await evaluate_robustness(
                target, items, attacks=["paraphrase"], scorer="multiple_choice"
            )
            assert helper_server.request_count == 0 and target_server.request_count == 2
        finally:
            await helper.aclose()
            await target.aclose()
    assert len(rewrites) == 3
    assert sum(p.startswith("Paraphrase") for p in rewrites) == 2  # the chain's first step too
    assert sum(p.startswith("Rewrite") for p in rewrites) == 1
    # the target model was asked the helper's rewrites, not a rule-based paraphrase
    assert "PARAPHRASED " + QUESTION in asked and "FORMALITY " + QUESTION in asked
    assert report.by_attack["paraphrase"].queries == 2 and report.by_attack["formality_change"].queries == 2
    assert offline.by_attack["paraphrase"].queries == 1


@pytest.mark.anyio
async def test_model_formality_change_and_list_attacks_flags() -> None:
    infos = {a.name: a for a in list_attacks()}
    assert {n for n, a in infos.items() if a.model_assisted} == {
        "paraphrase",
        "formality_change",
        "back_translate",
    }
    assert not infos["paraphrase"].needs_model and "uses a Model" in infos["paraphrase"].summary()
    with FakeLLMServer(_rewriter) as server:
        model = OpenAICompatibleModel(
            "helper", base_url=server.base_url, api_key="sk-test-0123456789abcdef", max_retries=0
        )
        try:
            casual = await attack_async(
                "formality_change", QUESTION, model=model, seed=2, direction="informal"
            )
        finally:
            await model.aclose()
        prompt = (server.requests[0].body or {})["messages"][-1]["content"]
    assert casual.perturbed == "FORMALITY " + QUESTION and casual.params["method"] == "model"
    assert "casual" in prompt and casual.params["register"] == "informal" and casual.params["queries"] == 1
    with pytest.raises(ValidationError, match="direction"):
        await attack_async("formality_change", QUESTION, direction="sideways")
