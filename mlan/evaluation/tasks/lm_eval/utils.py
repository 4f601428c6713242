"""Per-sample scoring for the MLAN language tasks, with the pipeline's own answer mapping."""

import json
from pathlib import Path

from mlan.data.records import LETTERS
from mlan.evaluation.answers import Mapping, extract, is_correct

PROTOCOL = json.loads((Path(__file__).parent / "protocol.json").read_text())
MAPPING = Mapping(**PROTOCOL["mapping"])


def process_results(doc, results):
    prediction = extract(results[0], doc["answer_type"], doc["choices"], PROTOCOL["stop"], MAPPING)
    return {"exact_match": float(is_correct(prediction, doc["answer"], doc["answer_type"], MAPPING))}


def doc_to_choice(doc):
    return list(LETTERS[: len(doc["choices"])]) if doc["answer_type"] == "mc" else ["yes", "no"]


def doc_to_target(doc):
    return doc_to_choice(doc).index(doc["answer"])
