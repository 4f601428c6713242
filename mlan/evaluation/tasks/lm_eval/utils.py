"""Per-sample scoring for the MLAN language tasks, with the pipeline's own answer mapping."""

import json
from pathlib import Path

from mlan.data.records import LETTERS
from mlan.evaluation import metrics
from mlan.evaluation.answers import Mapping, extract, is_correct

PROTOCOL = json.loads((Path(__file__).parent / "protocol.json").read_text())
MAPPING = Mapping(**PROTOCOL["mapping"])


def process_results(doc, results):
    prediction = extract(results[0], doc["answer_type"], doc["choices"], PROTOCOL["stop"], MAPPING)
    correct = is_correct(prediction, doc["answer"], doc["answer_type"], MAPPING)
    return {"accuracy": correct}


def percent_of_correct(items):
    return metrics.accuracy([{"correct": correct} for correct in items])["accuracy"]


def doc_to_choice(doc):
    return list(LETTERS[: len(doc["choices"])]) if doc["answer_type"] == "mc" else ["yes", "no"]


def doc_to_target(doc):
    return doc_to_choice(doc).index(doc["answer"])
