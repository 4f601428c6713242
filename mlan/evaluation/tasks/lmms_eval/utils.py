"""Images, prompts and per-sample scoring for the MLAN image tasks."""

import json
from pathlib import Path

from PIL import Image

from mlan.evaluation import metrics
from mlan.evaluation.answers import Mapping, extract, is_correct

PROTOCOL = json.loads((Path(__file__).parent / "protocol.json").read_text())
MAPPING = Mapping(**PROTOCOL["mapping"])


def doc_to_visual(doc):
    return [Image.open(doc["image_path"]).convert("RGB")]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return doc["context"]


def process_results(doc, results):
    prediction = extract(results[0], doc["answer_type"], doc["choices"], PROTOCOL["stop"], MAPPING)
    correct = is_correct(prediction, doc["answer"], doc["answer_type"], MAPPING)
    if doc["benchmark"] != "pope":
        return {"accuracy": correct}
    # POPE's own metrics count a reply that is neither yes nor no as "no"
    outcome = {"prediction": prediction, "answer": doc["answer"]}
    return {"accuracy": outcome, "f1": outcome}


def percent_of_correct(items):
    return metrics.accuracy([{"correct": correct} for correct in items])["accuracy"]


def pope_f1(items):
    """POPE's headline: F1 of "yes" (mlan.evaluation.metrics.pope), in percent."""
    return metrics.pope(items)["f1"]


def pope_accuracy(items):
    return metrics.pope(items)["accuracy"]
