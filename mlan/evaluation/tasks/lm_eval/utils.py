"""Per-sample scoring for the MLAN language tasks, as the evaluation scores them
(``mlan.evaluation.scoring``, under the job's protocol)."""

import json
from pathlib import Path

from mlan.data.records import LETTERS
from mlan.evaluation import metrics
from mlan.evaluation.protocol import Protocol
from mlan.evaluation.scoring import score_item

PROTOCOL = Protocol(**json.loads((Path(__file__).parent / "protocol.json").read_text()))


def process_results(doc, results):
    return {"accuracy": score_item(doc, results[0], PROTOCOL)["correct"]}


def percent_of_correct(items):
    return metrics.accuracy([{"correct": correct} for correct in items])["accuracy"]


def doc_to_choice(doc):
    return list(LETTERS[: len(doc["choices"])]) if doc["answer_type"] == "mc" else ["yes", "no"]


def doc_to_target(doc):
    return doc_to_choice(doc).index(doc["answer"])
