"""One item's outcome under a protocol: the reply read as the protocol says (the official
tasks' filters, or the project's answer mapping), whether it is right, whether it was an
answer at all, and what POPE's F1 and ScienceQA's score count it as. The evaluation and the
harness tasks' own metrics both score through here."""

from __future__ import annotations

from mlan.data.records import LETTERS
from mlan.evaluation import official_answers
from mlan.evaluation.answers import Mapping, extract, is_correct
from mlan.evaluation.protocol import Protocol


def pope_count(prediction: str | None, protocol: Protocol) -> str | None:
    """POPE's F1 counts a reply as "yes", "no", or (neither, under ``pope_unparsed:
    excluded``, the official aggregation) not at all."""
    label = (prediction or "").lower().strip()
    if label in ("yes", "no"):
        return label
    return "no" if protocol.pope_unparsed == "as_no" else None


def _read(item: dict, output, protocol: Protocol) -> tuple[str | None, bool, bool]:
    """(prediction, correct, readable)."""
    if isinstance(output, list):  # log-likelihoods of the options
        options = list(LETTERS[: len(item["choices"])]) if item["answer_type"] == "mc" else ["yes", "no"]
        best = options[max(range(len(output)), key=output.__getitem__)]
        return best, best == item["answer"], True
    if protocol.extraction == "official":
        official = item["official"]
        prediction = official_answers.prediction(item["benchmark"], output, official["labels"], official["choices"])
        return (
            prediction,
            official_answers.correct(item["benchmark"], prediction, official["target"]),
            official_answers.readable(prediction, official["kind"], official["labels"]),
        )
    mapping = Mapping(protocol.option_text, protocol.true_false, protocol.number_words)
    prediction = extract(output, item["answer_type"], item["choices"], protocol.stop, mapping)
    return prediction, is_correct(prediction, item["answer"], item["answer_type"], mapping), prediction is not None


def score_item(item: dict, output, protocol: Protocol) -> dict:
    """The predictions-file line of one item."""
    prediction, correct, readable = _read(item, output, protocol)
    line = {
        "id": item["id"],
        "modality": item["modality"],
        "answer_type": item["answer_type"],
        "answer": item["answer"],
        "output": output if not isinstance(output, list) else prediction,
        "prediction": prediction,
        "correct": bool(correct),
        "readable": bool(readable),
    }
    if item["benchmark"] == "pope":
        line["counted_as"] = pope_count(prediction, protocol)
    if item["benchmark"] == "scienceqa":
        line["stratum"] = "all" if protocol.scienceqa_score == "pooled" else item["modality"]
    return line
