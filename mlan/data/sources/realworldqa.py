"""RealWorldQA (test): questions on real-world photos whose text already embeds the
options and an answer instruction ("Please answer directly with ..."). The paper parses
out stem, choices and instruction so that its own templates can be applied; the answer
type of a row follows from what the parse finds (options -> mc, none -> short)."""

import re
from pathlib import Path

from mlan.data.images import image_bytes
from mlan.data.records import LETTERS
from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="realworldqa",
    task="qa",
    modality="vision",
    answer_type="mc",  # the paper's Table 3; rows without options are "short"
    role="eval",
    split="test",
    expected_rows=765,  # test
    hub_id="lmms-lab/RealWorldQA",
    parts={"main": "data/test-*.parquet"},
)

# "A. text", "A) text" or "(A) text" on a line of its own.
OPTION = re.compile(r"^(?:\(([A-Z])\)|([A-Z])[.)])\s+(\S.*)$")
# An answer instruction: a line of its own, or a sentence ending the stem.
INSTRUCTION_LINE = re.compile(r"^(?:please\s+)?(?:answer|respond|reply|select|choose)\b", re.IGNORECASE)
INSTRUCTION_TAIL = re.compile(r"(?<=[.?!])\s+((?:please\s+)?answer\b[^\n]*)$", re.IGNORECASE)


def parse_question(text: str) -> tuple[str, list[str], str | None]:
    """Split a raw question into (stem, option texts, instruction); options must be
    labelled A, B, C, ... in order and come after the stem."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    instruction: list[str] = []
    while len(lines) > 1 and INSTRUCTION_LINE.match(lines[-1]):
        instruction.insert(0, lines.pop())
    options: list[tuple[str, str]] = []
    while len(lines) > 1 and (match := OPTION.match(lines[-1])):
        options.insert(0, (match.group(1) or match.group(2), match.group(3).strip()))
        lines.pop()
    while options and len(lines) > 1 and INSTRUCTION_LINE.match(lines[-1]):  # "Choose one:" before the options
        instruction.insert(0, lines.pop())
    labels = "".join(label for label, _ in options)
    if labels and labels != LETTERS[: len(labels)]:
        raise ValueError(f"options are labelled {', '.join(labels)}, not A, B, C, ... in order")
    stem = "\n".join(lines)
    if not instruction and (match := INSTRUCTION_TAIL.search(stem)):
        instruction, stem = [match.group(1)], stem[: match.start()].rstrip()
    return stem, [option for _, option in options], " ".join(instruction) or None


def answer_letter(answer: str, options: list[str]) -> str:
    """The option letter of an answer given as "B", "B.", "(B)" or as the option's text."""
    bare = answer.strip().strip("()").rstrip(".").strip()
    if len(bare) == 1 and bare.upper() in LETTERS[: len(options)]:
        return bare.upper()
    for index, option in enumerate(options):
        if option.rstrip(".").casefold() == bare.casefold():
            return LETTERS[index]
    raise ValueError(f"answer {answer!r} is neither an option letter nor an option text of {options}")


def normalize(source: RawSource, images):
    for row in source.rows("main"):
        with row.guard():
            row_id = f"{Path(row.file).stem}-{row.index}"
            try:
                stem, choices, instruction = parse_question(row["question"])
                answer = answer_letter(str(row["answer"]), choices) if choices else str(row["answer"]).strip()
                image = images.save(image_bytes(row["image"]), row_id)
            except ValueError as error:
                raise row.error(str(error)) from error
            yield row.record(
                SPEC,
                id=row_id,
                answer_type="mc" if choices else "short",
                question=stem,
                choices=choices or None,
                answer=answer,
                image=image,
                meta={"doc": row.doc("question", "answer")} | ({"instruction": instruction} if instruction else {}),
            )
