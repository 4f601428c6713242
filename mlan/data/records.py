"""The normalized record every adapter emits: one JSON object per line in
``results/data/{dataset}.jsonl``.

Fields: ``id, dataset, task ("qa"|"cr"), modality ("text"|"vision"), answer_type
("mc"|"short"|"yesno"), context (str|None), question, choices ([str]|None), answer,
image (path relative to the images root, or None)`` and an optional ``meta`` dict for
facts a later stage may group by (POPE category, RACE article). ``answer`` is a letter
for mc and "yes"/"no" for yesno. Pretraining captions (LLaVA-Pretrain) use task and
answer_type "caption": ``question`` holds the human instruction, ``answer`` the caption.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mlan.atomic import atomic_open

TASKS = ("qa", "cr", "caption")
MODALITIES = ("text", "vision")
ANSWER_TYPES = ("mc", "short", "yesno", "caption")
LETTERS = string.ascii_uppercase
IMAGE_TOKEN = "<image>"  # where an image goes in a prompt (LLaVA's placeholder)


def letter(index: int) -> str:
    """Option index -> letter (0 -> "A")."""
    if not 0 <= index < len(LETTERS):
        raise ValueError(f"option index {index} out of range")
    return LETTERS[index]


@dataclass
class Record:
    id: str
    dataset: str
    task: str
    modality: str
    answer_type: str
    question: str
    answer: str
    context: str | None = None
    choices: list[str] | None = None
    image: str | None = None
    meta: dict = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Everything that makes this record invalid (empty when it is fine)."""
        found = []
        if self.task not in TASKS:
            found.append(f"task {self.task!r} not in {TASKS}")
        if self.modality not in MODALITIES:
            found.append(f"modality {self.modality!r} not in {MODALITIES}")
        if self.answer_type not in ANSWER_TYPES:
            found.append(f"answer_type {self.answer_type!r} not in {ANSWER_TYPES}")
        for name in ("question", "answer"):
            value = getattr(self, name)
            if not isinstance(value, str):
                found.append(f"field '{name}' is a {type(value).__name__}, not a string: {value!r}")
            elif not value.strip():
                found.append(f"empty {name}")
        if self.context is not None and not isinstance(self.context, str):
            found.append(f"field 'context' is a {type(self.context).__name__}, not a string")
        if self.choices is not None and not (
            isinstance(self.choices, list) and all(isinstance(c, str) for c in self.choices)
        ):
            found.append(f"field 'choices' is not a list of strings: {self.choices!r}")
        if (self.modality == "vision") != (self.image is not None):
            found.append(f"modality {self.modality!r} but image={self.image!r}")
        if self.answer_type == "mc":
            if not self.choices or len(self.choices) < 2:
                found.append("multiple choice without at least two choices")
            elif self.answer not in list(LETTERS[: len(self.choices)]):
                found.append(f"answer {self.answer!r} is not one of the {len(self.choices)} option letters")
        elif self.choices is not None:
            found.append(f"choices given for answer_type {self.answer_type!r}")
        if self.answer_type == "yesno" and self.answer not in ("yes", "no"):
            found.append(f"yes/no answer is {self.answer!r}")
        return found

    def to_json(self) -> str:
        data = asdict(self)
        if not data["meta"]:
            del data["meta"]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def read_records(path: str | Path) -> list[Record]:
    """Read a normalized ``.jsonl`` file back into records."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            try:
                records.append(Record(**json.loads(line)))
            except (TypeError, json.JSONDecodeError) as error:
                raise ValueError(f"{path}, line {line_number}: not a normalized record ({error})") from error
    return records


def write_records(records: Iterable[Record], path: str | Path) -> int:
    """Write records as JSON lines, atomically; returns the count."""
    count = 0
    with atomic_open(path) as handle:
        for record in records:
            handle.write(record.to_json() + "\n")
            count += 1
    return count
