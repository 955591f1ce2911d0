"""Declaring experiments: validation errors name the field and the fix; fluent API, TOML, overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crucible_core.errors import NotFoundError, ValidationError
from crucible_datasets import Item
from crucible_harness import (
    Condition,
    Experiment,
    ModelSpec,
    apply_overrides,
    experiment,
    load_experiment,
    register,
    task_seed,
)


async def echo(item: Item, ctx: Any) -> str:
    return str(item.expected)


def _base(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "spec-test",
        "dataset": {"items": [{"id": "a", "prompt": "1+1?", "expected": "2"}]},
        "conditions": [Condition("echo", fn=echo)],
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("fields", "path", "fix"),
    [
        ({"repeats": 0}, "Experiment.repeats", "integer >= 1"),
        ({"limits": {"concurrency": 0}}, "Experiment.limits.concurrency", "integer >= 1"),
        (
            {"limits": {"backoff_base_s": 5, "backoff_max_s": 1}},
            "Experiment.limits.backoff_max_s",
            "backoff_base_s",
        ),
        ({"analysis": {"correction": "tukey"}}, "Experiment.analysis.correction", "holm"),
        ({"analysis": {"baseline": "nope"}}, "Experiment.analysis.baseline", "'echo'"),
        ({"budget": {"per_condition_usd": {"ghost": 1.0}}}, "Experiment.budget.per_condition_usd", "'echo'"),
        ({"metrics": ["accuracy_of_doom"]}, "Experiment.metrics[0]", "exact_match"),
        ({"outputs": {"formats": ["pdf"]}}, "Experiment.outputs.formats", "markdown"),
        ({"outputs": {"telemetry": "mysql://db"}}, "Experiment.outputs.telemetry", "postgresql://"),
        ({"conditions": []}, "Experiment.conditions", "at least one condition"),
        ({"name": "bad/name"}, "Experiment.name", "letters"),
        (
            {"conditions": [{"name": "m", "model": {"name": "x", "base_url": "ftp://host"}}]},
            "Experiment.conditions[0].model.base_url",
            "http://",
        ),
        (
            {"conditions": [Condition("echo", fn=echo), Condition("echo", fn=echo)]},
            "Experiment.conditions[1].name",
            "duplicate",
        ),
        (
            {"dataset": {"name": "gsm8k", "items": [{"id": "a", "prompt": "x"}]}},
            "Experiment.dataset.name",
            "exactly one",
        ),
    ],
)
def test_invalid_declarations_name_the_field_and_the_fix(fields: dict[str, Any], path: str, fix: str) -> None:
    with pytest.raises(ValidationError) as info:
        Experiment(**_base(**fields))
    message = str(info.value)
    assert message.startswith(path), message
    assert fix in message
    assert info.value.details["argument"].startswith(path)


def test_condition_needs_something_to_run_and_not_two_models() -> None:
    with pytest.raises(ValidationError, match=r"Condition\.fn: the condition has nothing to run"):
        Condition("empty")
    with pytest.raises(ValidationError, match="either model or ensemble"):
        Condition("both", model="gpt-4o", ensemble={"members": ["a", "b"]})
    with pytest.raises(ValidationError, match=r"attacks\[0\]: unknown attack"):
        Condition("x", fn=echo, attacks=["no_such_attack"])
    with pytest.raises(ValidationError, match="weights"):
        Condition("e", ensemble={"members": ["a", "b"], "voting": "weighted"})


def test_secret_values_never_appear_in_errors_or_descriptions() -> None:
    key = "sk-proj-SECRETSECRET1234567890abcd"
    with pytest.raises(ValidationError) as info:
        ModelSpec(name="m", api_key=key, base_url="nope://" + key)
    assert key not in str(info.value)
    spec = ModelSpec(name="m", api_key=key)
    assert key not in repr(spec)
    exp = Experiment(**_base(conditions=[Condition("m", model=spec)]))
    assert key not in str(exp.to_dict())


def test_fluent_builder_with_decorators() -> None:
    builder = (
        experiment("fluent", hypothesis="upper beats lower")
        .items(["a", "b", "c"])
        .metric("exact_match")
        .repeats(2)
        .seed(3)
        .limits(concurrency=4)
        .budget(total_usd=1.0)
    )

    @builder.condition("upper")
    async def upper(item: Item, ctx: Any) -> str:
        return item.input["prompt"].upper()

    builder.condition("lower", fn=echo)

    @builder.hook("after_task")
    def seen(ctx: Any, record: Any) -> None:
        return None

    exp = builder.build()
    assert exp.condition_names == ("upper", "lower")
    assert exp.repeats == 2 and exp.seed == 3 and exp.limits.concurrency == 4
    assert exp.hooks.after_task == (seen,)
    assert [i.id for i in exp.dataset.items or ()] == ["0", "1", "2"]
    assert "upper beats lower" in exp.summary()
    with pytest.raises(ValidationError, match="unknown hook"):
        builder.hook("whenever")


def test_toml_experiment_with_registered_components(tmp_path: Path) -> None:
    register("spec-test-echo", echo)
    path = tmp_path / "exp.toml"
    path.write_text(
        textwrap.dedent(
            """
            name = "toml-exp"
            seed = 5
            metrics = ["exact_match"]
            [dataset]
            items = [{id = "x", prompt = "1+1?", expected = "2"}]
            [[conditions]]
            name = "echo"
            fn = "spec-test-echo"
            [[conditions]]
            name = "sim"
            model = {name = "sim", provider = "simulated", sleep = false}
            [limits]
            concurrency = 3
            """
        )
    )
    exp = load_experiment(path, ["limits.concurrency=5", "conditions.sim.generation.temperature=0.5"])
    assert exp.conditions[0].fn is echo
    assert exp.limits.concurrency == 5
    assert exp.condition("sim").generation.temperature == 0.5
    path.write_text(path.read_text().replace('fn = "spec-test-echo"', 'fn = "not-registered"'))
    with pytest.raises(NotFoundError, match="not-registered"):
        load_experiment(path)


def test_python_experiment_file(tmp_path: Path) -> None:
    path = tmp_path / "exp.py"
    path.write_text(
        textwrap.dedent(
            """
            from crucible_harness import Condition, Experiment

            async def answer(item, ctx):
                return item.expected

            experiment = Experiment(name="py-exp", dataset={"items": ["q"]}, conditions=[Condition("a", fn=answer)])
            """
        )
    )
    assert load_experiment(path).name == "py-exp"
    with pytest.raises(ValidationError, match="key=value"):
        load_experiment(path, ["seed"])
    with pytest.raises(ValidationError, match="no field 'nope'"):
        load_experiment(path, ["limits.nope=1"])
    with pytest.raises(ValidationError, match=r"Limits\.concurrency"):
        load_experiment(path, ["limits.concurrency=-2"])


def test_overrides_parse_toml_literals() -> None:
    exp = Experiment(**_base())
    changed = apply_overrides(exp, ["seed=11", 'outputs.formats=["md", "html"]', "outputs.figures=false"])
    assert changed.seed == 11
    assert changed.outputs.formats == ("markdown", "html")
    assert changed.outputs.figures is False
    assert exp.seed == 0  # the original is unchanged (frozen)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(
    seed=st.integers(min_value=-(2**40), max_value=2**40),
    condition=st.text(min_size=1, max_size=20),
    item=st.text(max_size=30),
    repeat=st.integers(min_value=0, max_value=100),
)
def test_task_seeds_are_stable_63_bit_and_depend_on_every_part(
    seed: int, condition: str, item: str, repeat: int
) -> None:
    value = task_seed(seed, condition, item, repeat)
    assert value == task_seed(seed, condition, item, repeat)
    assert 0 <= value < 2**63
    assert value != task_seed(seed, condition, item, repeat + 1)
    assert value != task_seed(seed + 1, condition, item, repeat)


def test_task_seed_is_pinned() -> None:
    # BLAKE2b of "task|0|baseline|q1|0": the same on every machine and Python version.
    assert task_seed(0, "baseline", "q1", 0) == task_seed(0, "baseline", "q1", 0)
    assert task_seed(0, "baseline", "q1", 0) != task_seed(0, "baseline", "q2", 0)
    assert len({task_seed(0, "c", f"q{i}", r) for i in range(200) for r in range(5)}) == 1000


def test_hedging_where_it_would_do_nothing_is_refused_at_declaration() -> None:
    members = ["a", "b"]
    with pytest.raises(ValidationError) as info:
        Condition("fn", fn=echo, hedging={"strategy": "fixed", "delay_s": 0.1})
    assert info.value.details["argument"] == "Condition.hedging"
    assert "hedging applies to model= conditions" in str(info.value)
    with pytest.raises(ValidationError) as info:
        Condition("vote", ensemble={"members": members, "execution": "parallel"}, hedging={})
    assert info.value.details["argument"] == "Condition.hedging" and "execution='hedged'" in str(info.value)
    with pytest.raises(ValidationError, match="execution='hedged'"):
        Condition("fn-vote", fn=echo, ensemble={"members": members}, hedging={})
    with pytest.raises(ValidationError, match=r"^Experiment\.conditions\[0\]\.hedging"):
        Experiment(**_base(conditions=[{"name": "x", "fn": echo, "hedging": {}}]))
    # where hedging does act, it is accepted
    assert Condition("m", model="gpt-4o-mini", hedging={}).hedging is not None
    assert Condition("fm", fn=echo, model="gpt-4o-mini", hedging={}).hedging is not None
    assert (
        Condition("h", ensemble={"members": members, "execution": "hedged"}, hedging={}).hedging is not None
    )


@pytest.mark.parametrize(
    ("fields", "field", "values"),
    [
        ({"ensemble": {"members": ["a", "b"], "voting": "nope"}}, "voting",
         ["majority", "weighted", "best_confidence", "unanimous"]),
        ({"ensemble": {"members": ["a", "b"], "execution": "nope"}}, "execution",
         ["parallel", "sequential", "hedged", "cascade"]),
        ({"model": {"name": "m", "provider": "nope"}}, "provider", ["openai", "simulated"]),
        ({"model": {"name": "m", "endpoint": "nope"}}, "endpoint", ["chat", "completions"]),
    ],
)  # fmt: skip
def test_fix_hints_list_every_allowed_value(fields: dict[str, Any], field: str, values: list[str]) -> None:
    with pytest.raises(ValidationError) as info:
        Condition("c", **fields)
    fix = str(info.value).split("fix: ", 1)[1]
    assert all(repr(value) in fix for value in values), fix
    assert info.value.details["argument"].endswith(field)


def test_every_literal_field_hint_is_derived_from_its_type() -> None:
    from crucible_harness import _spec
    from crucible_harness._validation import FIXES, _literal_values

    specs = [_spec.ModelSpec, _spec.HedgingSpec, _spec.EnsembleSpec, _spec.DatasetSpec, _spec.GuardSpec,
             _spec.Limits, _spec.Budget, _spec.AnalysisSpec, _spec.OutputSpec, _spec.Reproducibility]  # fmt: skip
    checked = 0
    for spec in specs:
        for name, info in spec.model_fields.items():
            values = _literal_values(info.annotation)
            if values:
                checked += 1
                assert all(repr(v) in FIXES[name] for v in values), (spec.__name__, name, FIXES[name])
    assert checked >= 9
    assert all(repr(t) in FIXES["tests"] for t in _spec.TESTS)
    assert all(repr(c) in FIXES["correction"] for c in _spec.CORRECTIONS)


def test_named_tests_that_need_pairs_are_refused_with_unpaired_data() -> None:
    from crucible_harness import AnalysisSpec

    for test in ("wilcoxon", "sign", "mcnemar"):
        with pytest.raises(ValidationError) as info:
            AnalysisSpec(paired=False, tests=test)
        assert info.value.details["argument"].endswith("tests") and "paired=True" in str(info.value)
    for test in ("auto", "ttest", "permutation"):
        assert AnalysisSpec(paired=False, tests=test).tests == test
