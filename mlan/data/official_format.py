"""A training row's user turn as the authors' data code writes it (the MLAN repository's
``llava/anno/evaluate_util.py`` with ``prompt_template.py``, then LLaVA's
``preprocess_multimodal``): checked against that code's own output in
``tests/fixtures/official/training.json``.

- ``Context: <context>`` on a line of its own before the rest, when the row has one;
- multiple choice: the question, a space, the instruction, then one ``<label> <text>`` line
  per option, with the dataset's own labels (ARC's "1".."4" too); ARC's question gets
  "..." when it does not end in "?";
- yes/no and short answers: the instruction, a line break, the question;
- an image row's ``<image>`` moves to the front, on a line of its own (LLaVA's
  ``preprocess_multimodal``), which leaves a blank line where it stood before the question.

Every field is the row's hub field (``record.meta["doc"]``), read as the official code does.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlan.data.records import IMAGE_TOKEN, Record
from mlan.errors import MlanError

LETTERS = ["A", "B", "C", "D", "E"]


@dataclass(frozen=True)
class OfficialRow:
    """The parts the official code builds a training prompt from."""

    context: str
    question: str
    labels: list[str]
    choices: list[str]
    answer: str


def _doc(record: Record) -> dict:
    found = record.meta.get("doc")
    if not isinstance(found, dict):
        raise MlanError(
            f"{record.dataset} row '{record.id}' has no hub fields (meta.doc) for the official layout: its "
            f"normalized file predates them; delete results/data/{record.dataset}.jsonl to rebuild it"
        )
    return found


def _keyed(doc: dict) -> tuple[list[str], list[str]]:
    return [str(label) for label in doc["choices"]["label"]], list(doc["choices"]["text"])


def official_row(record: Record) -> OfficialRow:
    """What the official dataset class of ``record.dataset`` makes of the row."""
    doc = _doc(record)
    image = f"{IMAGE_TOKEN}\n" if record.image else ""
    name = record.dataset
    if name == "squad":
        return OfficialRow(doc["context"], doc["question"], [], [], doc["answer"])
    if name == "strategyqa":
        facts = doc.get("facts") or []
        context = " ".join(facts) if isinstance(facts, list) else str(facts)
        return OfficialRow(context, doc["question"], [], [], "yes" if doc["answer"] else "no")
    if name == "cosmosqa":
        choices = [doc[f"answer{i}"] for i in range(4)]
        return OfficialRow(doc["context"], doc["question"], LETTERS[:4], choices, LETTERS[int(doc["label"])])
    if name == "commonsenseqa":
        labels, texts = _keyed(doc)
        return OfficialRow("", doc["question"], labels, texts, str(doc["answerKey"]))
    if name == "arc":
        labels, texts = _keyed(doc)
        stem = doc["question"]
        question = stem + "..." if stem[-1] != "?" else stem
        return OfficialRow("", question, labels, texts, str(doc["answerKey"]))
    if name == "vqav2":
        return OfficialRow("", image + doc["question"], [], [], str(doc["multiple_choice_answer"]))
    if name == "aokvqa":
        texts = list(doc["choices"])
        return OfficialRow(
            "", image + doc["question"], LETTERS[: len(texts)], texts, LETTERS[int(doc["correct_choice_idx"])]
        )
    raise MlanError(f"dataset '{name}' has no official training layout (mlan.data.official_format)")


def answer_mentions_yes_or_no(answer: str) -> bool:
    """The official choice of a yes/no prompt: "yes" or "no" inside the answer's last word
    (case-sensitive), so "a casino" and "snow" get one too."""
    last = answer.split(" ")[-1]
    return "yes" in last or "no" in last


def official_kind(row: OfficialRow) -> str:
    if row.choices:
        return "mc"
    return "yesno" if answer_mentions_yes_or_no(row.answer) else "short"


def official_human(row: OfficialRow, kind: str, instruction: str) -> str:
    """The user turn; ``kind`` is the prompt table the instruction came from."""
    if kind == "mc":
        options = "\n".join(f"{label} {text}" for label, text in zip(row.labels, row.choices, strict=True))
        body = f"{row.question} {instruction}\n{options}"
    else:
        body = f"{instruction}\n{row.question}"
    text = (f"Context: {row.context}\n" if row.context else "") + body
    if IMAGE_TOKEN in text:  # LLaVA's preprocess_multimodal
        text = (IMAGE_TOKEN + "\n" + text.replace(IMAGE_TOKEN, "").strip()).strip()
    return text
