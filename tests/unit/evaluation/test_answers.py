"""Answer extraction and metrics on hand-written cases."""

import pytest

from mlan.benchmarks import scoring
from mlan.evaluation.answers import Mapping, cut, extract, is_correct
from mlan.evaluation.metrics import pope, scienceqa, score

SCIENCEQA = scoring(["scienceqa"])["scienceqa"]

PAPER_STOP = ["USER:", '"', ":", ".", ","]
ON = Mapping()
OFF = Mapping(option_text=False, true_false=False, number_words=False)


@pytest.mark.parametrize(
    "generation,answer_type,choices,expected",
    [
        ('C" because the passage says so', "mc", ["a", "b", "c", "d"], "C"),
        ("B", "mc", ["a", "b"], "B"),
        (" (B) the second one", "mc", ["a", "b"], "B"),
        ("D. none of these", "mc", ["a", "b", "c", "d"], "D"),
        ("E", "mc", ["a", "b", "c", "d"], None),  # not an option
        ("the garden", "mc", ["the kitchen", "the garden"], "B"),  # option text -> letter
        ("Garden.", "mc", ["kitchen", "garden"], "B"),
        ("A cat sat on the mat", "mc", ["dog", "cat"], None),  # an article, not option A
        ("It was black. Definitely", "mc", ["It was white.", "It was black."], "B"),
        ("Yes, it is", "yesno", None, "yes"),
        ('no" is the answer', "yesno", None, "no"),
        ("True", "yesno", None, "yes"),
        ("false.", "yesno", None, "no"),
        ("maybe", "yesno", None, None),
        ("two", "short", None, "2"),
        ('"Three cats"', "short", None, "3 cats"),
        ("The red ball, I think", "short", None, "red ball"),
        ("", "short", None, None),
        ("USER: what?", "short", None, None),
        # the training targets' format: read after "the direct answer is"
        ("Overall, the direct answer is: red", "short", None, "red"),
        ("In short, the direct answer is: B. The rest", "mc", ["a", "b"], "B"),
        ("So the direct answer is yes.", "yesno", None, "yes"),
    ],
)
def test_extraction_under_the_papers_protocol(generation, answer_type, choices, expected):
    assert extract(generation, answer_type, choices, PAPER_STOP, ON) == expected


def test_each_mapping_can_be_switched_off():
    assert extract("the garden", "mc", ["kitchen", "garden"], PAPER_STOP, OFF) is None
    assert extract("True", "yesno", None, PAPER_STOP, OFF) is None
    assert extract("two", "short", None, PAPER_STOP, OFF) == "two"


def test_cut_at_the_first_stop_string():
    assert cut(' red", said the model. USER: next', PAPER_STOP) == "red"
    assert cut("plain", []) == "plain"


def test_short_answers_compare_after_normalization():
    assert is_correct("2", "two", "short", ON)
    assert is_correct("red ball", "the red ball", "short", ON)
    assert not is_correct(None, "yes", "yesno", ON)
    assert is_correct("C", "C", "mc", ON) and not is_correct("B", "C", "mc", ON)


def sample(prediction, answer, modality="vision"):
    return {"prediction": prediction, "answer": answer, "correct": prediction == answer, "modality": modality}


def test_pope_f1_against_a_hand_computed_confusion_matrix():
    # tp=3, fp=1, fn=2, tn=3, plus one unparsable prediction on a "no" item (counts as "no")
    samples = [sample("yes", "yes")] * 3 + [sample("yes", "no")] + [sample("no", "yes")] * 2
    samples += [sample("no", "no")] * 2 + [sample(None, "no")]
    metrics = pope(samples)
    precision, recall = 3 / 4, 3 / 5
    assert metrics["confusion"] == {"tp": 3, "fp": 1, "fn": 2, "tn": 3}
    assert metrics["precision"] == pytest.approx(100 * precision)
    assert metrics["recall"] == pytest.approx(100 * recall)
    assert metrics["f1"] == pytest.approx(100 * 2 * precision * recall / (precision + recall))
    assert metrics["accuracy"] == pytest.approx(100 * 6 / 9)
    assert metrics["yes_ratio"] == pytest.approx(100 * 4 / 9)
    assert score("pope", samples, scoring(["pope"])["pope"])[:2] == ("f1", metrics["f1"])


def test_scienceqa_mean_of_modalities_and_pooled():
    samples = [sample("A", "A", "text")] * 3 + [sample("B", "A", "text")]  # text 75%
    samples += [sample("A", "A", "vision")] + [sample("B", "A", "vision")] * 3  # image 25%
    samples += [sample("C", "C", "vision")] * 4  # image now 5/8 = 62.5%
    metrics = scienceqa(samples)
    assert metrics["text_accuracy"] == 75.0 and metrics["image_accuracy"] == 62.5
    assert metrics["mean_accuracy"] == pytest.approx(68.75)
    assert metrics["pooled_accuracy"] == pytest.approx(100 * 8 / 12)
    # the headline: the mean of the modalities (clean), or pooled when the items say so (official)
    assert score("scienceqa", samples, SCIENCEQA)[:2] == ("accuracy", pytest.approx(68.75))
    pooled = [s | {"stratum": "all"} for s in samples]
    assert score("scienceqa", pooled, SCIENCEQA)[:2] == (
        "accuracy",
        pytest.approx(100 * 8 / 12),
    )
