"""Bad input raises ValidationError naming the argument, index and fix; degenerate data has defined results."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import crucible_bench as cb
from crucible_core.errors import ValidationError

X = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
Y = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    "call",
    [
        lambda x, y: cb.ttest(x, y),
        lambda x, y: cb.ttest(x, y, paired=True),
        lambda x, y: cb.mann_whitney(x, y),
        lambda x, y: cb.wilcoxon(x, y),
        lambda x, y: cb.kruskal_wallis(x, y),
        lambda x, y: cb.cohens_d(x, y),
        lambda x, y: cb.correlation(x, y),
        lambda x, y: cb.compare(x, y),
    ],
)
def test_non_finite_values_are_named_with_their_index(call, bad: float) -> None:  # type: ignore[no-untyped-def]
    x = list(X)
    x[3] = bad
    with pytest.raises(ValidationError) as info:
        call(x, Y)
    err = info.value
    assert err.details["index"] == 3
    assert "[3]" in err.message and "nan_policy='omit'" in err.message


def test_nan_policy_omit_drops_values_and_pairs() -> None:
    x = [*X, math.nan]
    y = [*Y, 1.0]
    assert cb.ttest(x, y, nan_policy="omit") == cb.ttest(X, [*Y, 1.0])
    assert cb.ttest(x, y, paired=True, nan_policy="omit").n == 10
    paired = cb.wilcoxon(x, y, nan_policy="omit")
    assert paired.statistic == cb.wilcoxon(X, Y).statistic


def test_too_few_observations_state_the_minimum() -> None:
    with pytest.raises(ValidationError, match="at least 2"):
        cb.ttest([1.0], [2.0, 3.0])
    with pytest.raises(ValidationError, match="at least 3") as info:
        cb.shapiro_wilk([1.0, 2.0])
    assert info.value.details["minimum"] == 3
    with pytest.raises(ValidationError, match="at least 2 groups"):
        cb.anova([1.0, 2.0, 3.0])
    with pytest.raises(ValidationError, match="at most 5000"):
        cb.shapiro_wilk(np.arange(5001.0))


def test_options_are_checked() -> None:
    with pytest.raises(ValidationError, match="alternative"):
        cb.ttest(X, Y, alternative="two.sided")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="confidence"):
        cb.ttest(X, Y, confidence=95)
    with pytest.raises(ValidationError, match="method"):
        cb.p_adjust([0.1, 0.2], "fdr_bh")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"p_values\[1\]"):
        cb.p_adjust([0.1, 1.2])
    with pytest.raises(ValidationError, match="exactly one of"):
        cb.power_ttest(n=10, d=0.5, power=0.8)
    with pytest.raises(ValidationError, match="exactly one of"):
        cb.power_ttest(n=10)


def test_tables_are_checked() -> None:
    with pytest.raises(ValidationError, match=r"table\[1\]\[0\]"):
        cb.chi_square([[1, 2], [-1, 3]])
    with pytest.raises(ValidationError, match="row 1 is all zeros"):
        cb.chi_square([[1, 2], [0, 0]])
    with pytest.raises(ValidationError, match="2×2"):
        cb.fisher_exact([[1, 2, 3], [3, 2, 1]])
    with pytest.raises(ValidationError, match="whole-number"):
        cb.mcnemar([[1.5, 2], [3, 4]])
    with pytest.raises(ValidationError, match="0/1"):
        cb.cochran_q([[0, 1, 2], [1, 1, 0]])
    with pytest.raises(ValidationError, match="exceed"):
        cb.binomial_test(11, 10)


def test_zero_variance_has_defined_results() -> None:
    same = cb.ttest([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], paired=True)
    assert same.p_value == 1.0 and same.statistic == 0.0 and same.notes
    shifted = cb.ttest([2.0, 2.0, 2.0], [1.0, 1.0, 1.0], paired=True)
    assert shifted.p_value == 0.0 and shifted.statistic == math.inf
    assert cb.ttest([2.0, 2.0], [1.0, 1.0]).p_value == 0.0
    assert cb.anova([1.0, 1.0], [1.0, 1.0]).p_value == 1.0
    assert cb.anova([1.0, 1.0], [2.0, 2.0]).statistic == math.inf
    assert cb.kruskal_wallis([3.0, 3.0], [3.0, 3.0]).p_value == 1.0
    assert cb.mann_whitney([1.0, 1.0], [1.0, 1.0]).p_value == 1.0
    assert cb.wilcoxon([0.0, 0.0, 0.0]).p_value == 1.0
    assert cb.levene([1.0, 1.0], [5.0, 5.0]).p_value == 1.0
    assert cb.mcnemar([[5, 0], [0, 5]]).p_value == 1.0
    assert cb.cochran_q([[1, 1], [0, 0], [1, 1]]).p_value == 1.0
    assert cb.friedman([[1, 1, 1], [2, 2, 2]]).p_value == 1.0
    for call in (lambda: cb.welch_anova([1.0, 1.0], [1.0, 2.0]), lambda: cb.bartlett([1.0, 1.0], [1.0, 2.0])):
        with pytest.raises(ValidationError, match="zero variance"):
            call()
    with pytest.raises(ValidationError, match="identical"):
        cb.shapiro_wilk([2.0, 2.0, 2.0])
    with pytest.raises(ValidationError, match="constant"):
        cb.correlation([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0])
    for res in (same, cb.kruskal_wallis([3.0, 3.0], [3.0, 3.0])):
        assert not math.isnan(res.p_value)


def test_compare_alignment_errors() -> None:
    with pytest.raises(ValidationError, match="only one of a and b"):
        cb.compare({"q1": 1.0, "q2": 0.0}, {"q1": 1.0, "q3": 1.0}, paired=True)
    with pytest.raises(ValidationError, match="equal length"):
        cb.compare([1.0, 2.0, 3.0], [1.0, 2.0], paired=True)
    with pytest.raises(ValidationError, match="kind='binary'"):
        cb.compare([0.5, 1.0, 0.0], [1.0, 0.0, 1.0], kind="binary")


def test_rm_anova_input_errors() -> None:
    data = pl.DataFrame({"s": [1, 1, 2, 2], "w": ["a", "b", "a", "a"], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValidationError, match="one value per subject"):
        cb.rm_anova(data, "s", "w", "y")
    with pytest.raises(ValidationError, match="column 'z'"):
        cb.rm_anova(data, "s", "w", "z")
    gap = pl.DataFrame({"s": [1, 1, 2, 3, 3], "w": ["a", "b", "a", "a", "b"], "y": [1.0, 2.0, 3.0, 4.0, 6.0]})
    with pytest.raises(ValidationError, match="subject '2'"):
        cb.rm_anova(gap, "s", "w", "y")


def test_paired_groups_drop_whole_items_with_omit() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(0.6, 0.1, 30)
    wide = {
        "m0": base.copy(),
        "m1": base + 0.02 + rng.normal(0, 0.01, 30),
        "m2": base + 0.05 + rng.normal(0, 0.01, 30),
    }
    holes = {k: v.copy() for k, v in wide.items()}
    holes["m1"][4] = math.nan
    with pytest.raises(ValidationError, match=r"groups\['m1'\]\[4\]"):
        cb.pairwise(holes, test="paired")
    dropped = cb.pairwise(holes, test="paired", nan_policy="omit")
    complete = cb.pairwise({k: np.delete(v, 4) for k, v in wide.items()}, test="paired")
    assert dropped == complete
    many = cb.compare_many(holes, nan_policy="omit")
    assert many.omnibus is not None and many.omnibus.n == 29 * 3
    long = pl.DataFrame(
        {
            "s": np.tile(np.arange(30), 3),
            "w": np.repeat(["m0", "m1", "m2"], 30),
            "y": np.concatenate(list(holes.values())),
        }
    )
    assert cb.rm_anova(long, "s", "w", "y", nan_policy="omit").n == 29 * 3


def _argument(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        call()
    return str(info.value.details["argument"])


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: cb.power_ttest(n=math.nan, d=0.5), "n"),
        (lambda: cb.power_ttest(n=math.inf, d=0.5), "n"),
        (lambda: cb.power_ttest(n=20, d=math.nan), "d"),
        (lambda: cb.power_ttest(n=20, d=math.inf), "d"),
        (lambda: cb.power_ttest(d=math.nan, power=0.8), "d"),
        (lambda: cb.power_ttest(n=20, d=0.5, alpha=math.nan), "alpha"),
        (lambda: cb.power_ttest(n=20, d=None, power=math.nan), "power"),
        (lambda: cb.power_ttest(n=20, d=0.5, tol=math.nan), "tol"),
        (lambda: cb.power_anova(3, n=20, f=math.nan), "f"),
        (lambda: cb.power_anova(3, n=math.nan, f=0.25), "n"),
        (lambda: cb.power_anova(3, n=20, f=-0.1), "f"),
        (lambda: cb.power_anova(True, n=20, f=0.25), "groups"),  # type: ignore[arg-type]
        (lambda: cb.power_proportions(0.5, 0.6, n=math.nan), "n"),
        (lambda: cb.power_proportions(math.nan, 0.6, n=100), "p1"),
        (lambda: cb.power_proportions(0.5, math.nan, n=100), "p2"),
        (lambda: cb.power_proportions(0.5, 0.6, n=-3), "n"),
        (lambda: cb.power_mcnemar(0.2, 0.1, n=math.nan), "n"),
        (lambda: cb.power_mcnemar(0.2, math.nan, n=100), "p01"),
        (lambda: cb.power_mcnemar(0.2, 0.1, n=100, alpha=math.inf), "alpha"),
        (lambda: cb.power_mcnemar(0.2, 0.1, power=1.5), "power"),
        (lambda: cb.minimum_detectable_effect(math.nan), "n"),
        (lambda: cb.minimum_detectable_effect(math.inf, test="mcnemar", discordant=0.2), "n"),
        (lambda: cb.minimum_detectable_effect(100, power=math.nan), "power"),
        (lambda: cb.minimum_detectable_effect(100, alpha=math.nan, test="mcnemar", discordant=0.2), "alpha"),
        (lambda: cb.minimum_detectable_effect(100, test="mcnemar", discordant=math.nan), "discordant"),
        (lambda: cb.minimum_detectable_effect(100, test="proportions", baseline=math.nan), "p1"),
    ],
)
def test_power_functions_reject_non_finite_and_out_of_range_numbers(call, argument: str) -> None:  # type: ignore[no-untyped-def]
    assert _argument(call) == argument


@pytest.mark.parametrize("mu", [math.nan, math.inf, -math.inf, "0"])
@pytest.mark.parametrize(
    "call",
    [
        lambda mu: cb.ttest(X, mu=mu),
        lambda mu: cb.ttest(X, Y, paired=True, mu=mu),
        lambda mu: cb.wilcoxon(X, mu=mu),
        lambda mu: cb.wilcoxon(X, Y, mu=mu),
        lambda mu: cb.mann_whitney(X, Y, mu=mu),
        lambda mu: cb.sign_test(X, mu=mu),
    ],
)
def test_mu_must_be_finite(call, mu: object) -> None:  # type: ignore[no-untyped-def]
    assert _argument(lambda: call(mu)) == "mu"


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"sd": math.nan}, "sd"),
        ({"sd": 0.0}, "sd"),
        ({"sd": -0.2}, "sd"),
        ({"sd": (0.2, math.inf)}, "sd"),
        ({"sd": (0.2, 0.3, 0.4)}, "sd"),
        ({"sd": 0.2, "within_variance": -0.1}, "within_variance"),
        ({"sd": 0.2, "within_variance": math.nan}, "within_variance"),
        ({"sd": 0.2, "repeats": 0}, "repeats"),
        ({"sd": 0.2, "repeats": 2.5}, "repeats"),
        ({"sd": 0.2, "repeats": True}, "repeats"),
        ({"sd": 0.2, "paired_correlation": math.nan}, "paired_correlation"),
        ({"sd": 0.2, "alpha": math.nan}, "alpha"),
        ({"sd": 0.2, "power": math.inf}, "power"),
        ({"baseline": math.nan}, "baseline"),
    ],
)
def test_eval_sample_size_validates_every_number(kwargs: dict[str, object], argument: str) -> None:
    assert _argument(lambda: cb.eval_sample_size(0.03, **kwargs)) == argument  # type: ignore[arg-type]
    assert _argument(lambda: cb.eval_sample_size(math.nan, sd=0.2)) == "effect"


@pytest.mark.parametrize(
    "call",
    [
        lambda p: cb.ttest(X, Y, nan_policy=p),
        lambda p: cb.ttest(X, Y, paired=True, nan_policy=p),
        lambda p: cb.kruskal_wallis(X, Y, nan_policy=p),
        lambda p: cb.friedman([X, Y], nan_policy=p),
        lambda p: cb.cochran_q([[0, 1], [1, 1], [0, 0]], nan_policy=p),
        lambda p: cb.pairwise({"a": X, "b": Y}, test="paired", nan_policy=p),
        lambda p: cb.compare(X, Y, nan_policy=p),
        lambda p: cb.eval_mean([1, 0, 1], nan_policy=p),
        lambda p: cb.rm_anova(
            {"s": [1, 1, 2, 2], "w": ["a", "b"] * 2, "y": [1.0, 2.0, 3.0, 5.0]}, "s", "w", "y", nan_policy=p
        ),
    ],
)
@pytest.mark.parametrize("policy", ["propagate", "Omit", None])
def test_unknown_nan_policy_is_rejected(call, policy: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="nan_policy must be 'raise' or 'omit'") as info:
        call(policy)
    assert info.value.details["argument"] == "nan_policy"


def test_rm_anova_accepts_a_dict_mixing_ints_and_nan() -> None:
    data = {"s": [1, 1, 2, 2, 3, 3, 4, 4], "w": ["a", "b"] * 4, "y": [1, 2, math.nan, 4, 5, 7, 2, 5]}
    complete = {"s": [1, 1, 3, 3, 4, 4], "w": ["a", "b"] * 3, "y": [1.0, 2.0, 5.0, 7.0, 2.0, 5.0]}
    assert cb.rm_anova(data, "s", "w", "y", nan_policy="omit") == cb.rm_anova(complete, "s", "w", "y")
    with pytest.raises(ValidationError, match="subject '2'"):
        cb.rm_anova(data, "s", "w", "y")
    with pytest.raises(ValidationError, match="must hold numbers") as info:
        cb.rm_anova({"s": [1, 1, 2, 2], "w": ["a", "b"] * 2, "y": [1, "x", 3, 4]}, "s", "w", "y")
    assert info.value.details["argument"] == "data"
    with pytest.raises(ValidationError, match="could not be read as a table"):
        cb.rm_anova({"s": [1, 1, 2], "w": ["a", "b"], "y": [1.0, 2.0, 3.0]}, "s", "w", "y")


def test_chi_square_gof_names_the_index_of_a_bad_count() -> None:
    with pytest.raises(ValidationError, match=r"observed\[1\] is nan") as info:
        cb.chi_square_gof([3, math.nan, 5])
    assert info.value.details["index"] == 1
    with pytest.raises(ValidationError, match=r"expected\[2\]"):
        cb.chi_square_gof([3, 4, 5], [0.2, 0.3, -0.5])
    assert cb.chi_square_gof([[10, 20, 30]]).statistic == cb.chi_square_gof([10, 20, 30]).statistic


def test_eval_helpers_offer_and_honour_nan_policy() -> None:
    scores = [1, 0, 1, math.nan, 1, 1, 0, 1]
    with pytest.raises(ValidationError, match=r"scores\[3\] is nan.*nan_policy='omit'"):
        cb.eval_mean(scores)
    kept = [1, 0, 1, 1, 1, 0, 1]
    assert cb.eval_mean(scores, nan_policy="omit") == cb.eval_mean(kept)
    clusters = [0, 0, 1, 1, 2, 2, 3, 3]
    assert cb.eval_mean(scores, clusters=clusters, nan_policy="omit") == cb.eval_mean(
        kept, clusters=[0, 0, 1, 2, 2, 3, 3]
    )
    matrix = [[1, 0, 1], [0, math.nan, 0], [1, 1, 1], [0, 1, 1]]
    with pytest.raises(ValidationError, match=r"scores\[1\]\[1\].*nan_policy='omit'"):
        cb.eval_mean(matrix)
    assert cb.eval_mean(matrix, nan_policy="omit") == cb.eval_mean([[1, 0, 1], [1, 1, 1], [0, 1, 1]])
    a = [1, 0, 1, 1, math.nan, 1, 0, 1]
    b = [1, 1, 0, math.nan, 1, 0, 0, 1]
    with pytest.raises(ValidationError, match=r"a\[4\] is nan.*nan_policy='omit'"):
        cb.paired_eval_difference(a, b)
    keep = [0, 1, 2, 5, 6, 7]
    assert cb.paired_eval_difference(a, b, clusters=clusters, nan_policy="omit") == cb.paired_eval_difference(
        [a[i] for i in keep], [b[i] for i in keep], clusters=[clusters[i] for i in keep]
    )


def test_cochran_q_nan_policy_drops_incomplete_items() -> None:
    data = [[1, 1, 0], [0, 1, 1], [1, math.nan, 1], [0, 0, 1], [1, 1, 1], [0, 1, 0]]
    with pytest.raises(ValidationError, match=r"data\[2\]\[1\].*nan_policy='omit'"):
        cb.cochran_q(data)
    assert cb.cochran_q(data, nan_policy="omit") == cb.cochran_q(
        [row for row in data if math.nan not in row and row != data[2]]
    )
