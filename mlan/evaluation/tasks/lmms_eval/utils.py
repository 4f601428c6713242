"""Images, prompts and per-sample scoring for the MLAN image tasks (and, under the official
prompts, ScienceQA's text rows), scored as the evaluation scores them
(``mlan.evaluation.scoring``, under the job's protocol)."""

import json
from pathlib import Path

from PIL import Image

from mlan.evaluation import metrics
from mlan.evaluation.protocol import Protocol
from mlan.evaluation.scoring import score_item

PROTOCOL = Protocol(**json.loads((Path(__file__).parent / "protocol.json").read_text()))


def doc_to_visual(doc):
    return [Image.open(doc["image_path"]).convert("RGB")] if doc["image_path"] else []


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return doc["context"]


def process_results(doc, results):
    sample = score_item(doc, results[0], PROTOCOL)
    if doc["benchmark"] != "pope":
        return {"accuracy": sample["correct"]}
    return {"accuracy": sample, "f1": sample}


def percent_of_correct(items):
    return metrics.accuracy([{"correct": correct} for correct in items])["accuracy"]


def pope_f1(items):
    """POPE's headline: F1 of "yes" (mlan.evaluation.metrics.pope), in percent."""
    return metrics.pope(items)["f1"]


def pope_accuracy(items):
    return metrics.pope(items)["accuracy"]
