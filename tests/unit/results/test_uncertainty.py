"""Bootstrap intervals and paired tests against values computed by hand."""

import numpy as np
import pytest

from mlan.errors import MlanError
from mlan.evaluation.metrics import pope, scienceqa
from mlan.results.uncertainty import (
    Outcomes,
    average_bootstrap,
    bootstrap,
    bootstrap_p,
    interval,
    mcnemar,
    paired,
    point,
    resample_index,
)


def outcomes(benchmark, correct, **columns):
    samples = [
        {"id": f"q{i:03d}", "correct": c, **{k: v[i] for k, v in columns.items()}} for i, c in enumerate(correct)
    ]
    return Outcomes.from_samples(benchmark, samples)


def test_the_interval_of_three_of_four_correct_is_25_to_100():
    # resampled accuracy is k/4, k ~ Binomial(4, 0.75): P(k=0) = 0.004 < 2.5 % < P(k<=1) = 0.051,
    # and P(k=4) = 0.316 > 2.5 %: the central 95 % interval is [25, 100]
    distribution = bootstrap(outcomes("race", [1, 1, 1, 0]), 4000, seed=0)
    assert interval(distribution) == (25.0, 100.0)
    assert set(np.unique(distribution)) <= {0.0, 25.0, 50.0, 75.0, 100.0}


def test_the_bootstrap_spread_of_an_accuracy_is_the_binomial_one():
    correct = [1] * 60 + [0] * 40
    distribution = bootstrap(outcomes("boolq", correct), 20000, seed=1)
    assert distribution.mean() == pytest.approx(60.0, abs=0.2)
    assert distribution.std() == pytest.approx(100 * np.sqrt(0.6 * 0.4 / 100), rel=0.03)  # 4.90 points


def test_every_item_right_has_a_point_interval():
    assert interval(bootstrap(outcomes("gqa", [1] * 7), 500, seed=3)) == (100.0, 100.0)


def test_pope_and_scienceqa_points_equal_their_metrics():
    generator = np.random.default_rng(5)
    answers = list(generator.choice(["yes", "no"], 50))
    predictions = list(generator.choice(["yes", "no", None], 50))
    correct = [p == a for p, a in zip(predictions, answers, strict=True)]
    samples = [{"prediction": p, "answer": a} for p, a in zip(predictions, answers, strict=True)]
    assert point(outcomes("pope", correct, prediction=predictions, answer=answers)) == pytest.approx(
        pope(samples)["f1"]
    )
    modality = ["text"] * 12 + ["vision"] * 30
    right = list(generator.integers(0, 2, 42))
    expected = scienceqa([{"modality": m, "correct": c} for m, c in zip(modality, right, strict=True)])
    assert point(outcomes("scienceqa", right, modality=modality)) == pytest.approx(expected["mean_accuracy"])


def test_the_official_scoring_is_recomputed_from_each_item_too():
    """POPE's official F1 leaves a reply neither yes nor no out of the false negatives, and
    ScienceQA's official score pools its rows: both as the items' own fields say."""
    generator = np.random.default_rng(6)
    answers = list(generator.choice(["yes", "no"], 60))
    counted = list(generator.choice(["yes", "no", None], 60))
    samples = [{"prediction": c or "maybe", "answer": a, "counted_as": c, "correct": c == a}
               for c, a in zip(counted, answers, strict=True)]  # fmt: skip
    official = outcomes("pope", [s["correct"] for s in samples], prediction=[s["prediction"] for s in samples],
                        answer=answers, counted_as=counted)  # fmt: skip
    assert point(official) == pytest.approx(pope(samples)["f1"])
    as_no = outcomes("pope", [s["correct"] for s in samples], prediction=[s["prediction"] for s in samples],
                     answer=answers)  # fmt: skip
    assert point(official) > point(as_no)  # fewer false negatives
    modality = ["text"] * 12 + ["vision"] * 30
    right = list(generator.integers(0, 2, 42))
    pooled = outcomes("scienceqa", right, modality=modality, stratum=["all"] * 42)
    assert point(pooled) == pytest.approx(100 * sum(right) / 42)
    assert (resample_index(pooled, 50, seed=0) < 12).sum(axis=1).std() > 0  # text items vary: one stratum


def test_scienceqa_is_resampled_within_each_modality():
    modality = ["text"] * 3 + ["vision"] * 5
    found = outcomes("scienceqa", [1, 0, 1, 0, 0, 1, 1, 1], modality=modality)
    index = resample_index(found, 200, seed=0)
    assert (found.stratum[index] == 0).sum(axis=1).tolist() == [3] * 200  # three text items in every resample
    with pytest.raises(MlanError, match="both text and image"):
        outcomes("scienceqa", [1, 0], modality=["text", "text"])


def test_the_same_seed_gives_the_same_intervals_and_another_seed_others():
    found = outcomes("hellaswag", [1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1])
    assert np.array_equal(bootstrap(found, 300, seed=7), bootstrap(found, 300, seed=7))
    assert not np.array_equal(bootstrap(found, 300, seed=7), bootstrap(found, 300, seed=8))


def test_mcnemar_by_hand():
    # A gets 8 items right that B gets wrong, B none that A gets wrong: p = 2 * 0.5**8
    a = outcomes("race", [1] * 10)
    b = outcomes("race", [1, 1] + [0] * 8)
    assert mcnemar(a, b) == pytest.approx(2 * 0.5**8)
    # 3 against 1 discordant items: p = 2 * P(X <= 1), X ~ Binomial(4, 1/2) = 2 * 5/16
    a = outcomes("race", [1, 1, 1, 0, 1, 0])
    b = outcomes("race", [0, 0, 0, 1, 1, 0])
    assert mcnemar(a, b) == pytest.approx(0.625)
    assert mcnemar(a, a) == 1.0


def test_a_run_against_itself_differs_by_nothing():
    found = outcomes("openbookqa", [1, 0, 1, 1, 0])
    result = paired([found], [found], 400, seed=0)
    assert (result.difference, result.low, result.high, result.p_bootstrap, result.p_mcnemar) == (0, 0, 0, 1.0, 1.0)


def test_a_run_right_everywhere_against_one_wrong_everywhere():
    result = paired([outcomes("boolq", [1] * 20)], [outcomes("boolq", [0] * 20)], 999, seed=0)
    assert (result.difference, result.low, result.high) == (100.0, 100.0, 100.0)
    assert result.p_bootstrap == pytest.approx(2 / 1000)  # no resample on the other side of 0
    assert result.p_mcnemar == pytest.approx(2 * 0.5**20)


def test_bootstrap_p_counts_both_sides():
    assert bootstrap_p(np.array([1.0, 2.0, -1.0, 3.0])) == pytest.approx(2 * 2 / 5)


def test_an_average_is_paired_benchmark_by_benchmark():
    a = [outcomes("race", [1, 1, 0, 1]), outcomes("gqa", [1, 0, 0])]
    b = [outcomes("race", [1, 0, 0, 1]), outcomes("gqa", [1, 0, 0])]
    result = paired(a, b, 500, seed=2)
    assert result.a == pytest.approx((75 + 100 / 3) / 2) and result.b == pytest.approx((50 + 100 / 3) / 2)
    assert result.difference == pytest.approx(12.5) and result.p_mcnemar is None and result.items == 7
    both = average_bootstrap(a, 500, seed=2)
    assert np.allclose(both, (bootstrap(a[0], 500, 2) + bootstrap(a[1], 500, 2)) / 2)


def test_runs_scored_on_other_items_are_not_paired():
    a = outcomes("race", [1, 0, 1])
    b = outcomes("race", [1, 0])
    with pytest.raises(MlanError, match="not scored on the same items"):
        paired([a], [b], 100, seed=0, names=("mlan", "llava"))


def test_no_predictions_is_an_error_not_a_score():
    with pytest.raises(MlanError, match="no predictions"):
        Outcomes.from_samples("race", [], where="results/eval/tiny/pretrain/race.predictions.jsonl")


def test_a_scores_file_with_an_interval_outside_0_to_100_is_refused(tmp_path):
    from mlan.results.scores import read_scores

    path = tmp_path / "scores.csv"
    path.write_text(
        "model,method,mix,percent,budget,seed,benchmark,metric,score,ci_low,ci_high\n"
        "tiny,pretrain,,,,,race,accuracy,50.0,40.0,60.0\n"
        "tiny,pretrain,,,,,gqa,accuracy,50.0,40.0,160.0\n"
    )
    with pytest.raises(ValueError, match=r"line 3: ci_high '160.0' is not within 0-100"):
        read_scores([path])


def test_predictions_that_recompute_another_score_are_refused():
    from mlan.results.intervals import check_scores

    found = {"race": outcomes("race", [1, 0, 0, 0])}
    check_scores(found, {"race": 25.0}, "run tiny/pretrain")
    with pytest.raises(MlanError, match="run tiny/pretrain: race's predictions give 25.0000, its score file 45.0000"):
        check_scores(found, {"race": 45.0}, "run tiny/pretrain")
