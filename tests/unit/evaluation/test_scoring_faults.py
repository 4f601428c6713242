"""No items is an error, never a score of 0; a metric over none is missing (mlan.evaluation.metrics)."""

import pytest

from mlan.benchmarks import scoring
from mlan.errors import MlanError
from mlan.evaluation.metrics import accuracy, score


def sample(correct, modality="text"):
    return {"correct": correct, "modality": modality, "prediction": "A", "answer": "A"}


def test_no_items_is_an_error_and_a_metric_over_none_is_missing():
    assert accuracy([]) == {"accuracy": None}
    with pytest.raises(MlanError, match=r"boolq: no items to score"):
        score("boolq", [], scoring(["boolq"])["boolq"])
    # evaluation.limit 1 left ScienceQA its image items only: the paper's mean is undefined, not 50
    with pytest.raises(MlanError, match=r"scienceqa: its headline \(accuracy\) is undefined: 0 text and 2 image"):
        score("scienceqa", [sample(True, "vision"), sample(False, "vision")], scoring(["scienceqa"])["scienceqa"])
    assert score("scienceqa", [sample(True), sample(False, "vision")], scoring(["scienceqa"])["scienceqa"])[1] == 50.0
