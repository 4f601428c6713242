"""HellaSwag (eval, validation split): pick the most plausible continuation.

The question is the story to continue, built as lm-eval does: "activity_label: ctx_a
Ctx_b" (``ctx`` is the same two parts, but ``ctx_b`` starts in lower case; lm-eval
capitalizes it, here only its first letter is raised so names keep their case). There is
no separate context; the ``endings`` are the options. Text is cleaned as lm-eval does (the
brackets are WikiHow artifacts): strip, " [title]" -> ". ", drop "[...]" tags, replace
double spaces; a final strip removes the space a leading tag leaves behind. ``label`` is a
string "0".."3" on the hub; an int is accepted too.
"""

import re

from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="hellaswag",
    task="cr",
    modality="text",
    answer_type="mc",
    role="eval",
    split="validation",
    expected_rows=10_042,  # validation
    hub_id="Rowan/hellaswag",
    parts={"main": "*/validation/*.parquet"},
)
_TAG = re.compile(r"\[.*?\]")


def preprocess(text: str) -> str:
    text = text.strip().replace(" [title]", ". ")
    return _TAG.sub("", text).replace("  ", " ").strip()


def normalize(source: RawSource, images=None):
    for row in source.rows("main"):
        with row.guard():
            endings = row.options("endings")
            if len(endings) < 2:
                raise row.error(f"field 'endings' is not a list of at least two endings: {endings!r}")
            answer = row.option_letter("label", len(endings))
            ctx_b = row["ctx_b"]
            yield row.record(
                SPEC,
                id=str(row["ind"]),
                question=preprocess(f"{row['activity_label']}: {row['ctx_a']} {ctx_b[:1].upper()}{ctx_b[1:]}"),
                choices=[preprocess(ending) for ending in endings],
                answer=answer,
                meta={"doc": row.doc("activity_label", "ctx_a", "ctx_b", "endings", "label")},
            )
