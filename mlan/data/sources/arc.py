"""AI2 ARC (train): grade-school science questions, Challenge and Easy concatenated as in
the paper's code.

Option labels are letters for most rows but "1".."4" for some, and 3 to 5 options occur,
so the answer letter is the *position* of ``answerKey`` in ``choices.label``, never the key
itself.
"""

from mlan.data.sources.raw import DatasetSpec, RawSource, keyed_choices

SPEC = DatasetSpec(
    name="arc",
    task="cr",
    modality="text",
    answer_type="mc",
    role="train",
    split="train",
    expected_rows=3_370,  # Challenge 1,119 + Easy 2,251
    hub_id="allenai/ai2_arc",
    parts={"challenge": "ARC-Challenge/train-*.parquet", "easy": "ARC-Easy/train-*.parquet"},
)


def normalize(source: RawSource, images=None):
    for part in ("challenge", "easy"):
        for row in source.rows(part):
            with row.guard():
                choices, answer = keyed_choices(row)
                yield row.record(
                    SPEC,
                    id=str(row["id"]),
                    question=row["question"],
                    choices=choices,
                    answer=answer,
                    meta={"doc": row.doc("question", "choices", "answerKey")},
                )
