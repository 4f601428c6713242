"""OpenBookQA (eval, ``main`` config, test split): four-way science multiple choice.

The question is ``question_stem`` (often an unfinished sentence the option completes); the
answer letter is the position of ``answerKey`` among ``choices.label``.
"""

from mlan.data.sources.raw import DatasetSpec, RawSource, keyed_choices

SPEC = DatasetSpec(
    name="openbookqa",
    task="cr",
    modality="text",
    answer_type="mc",
    role="eval",
    split="test",
    expected_rows=500,  # test
    hub_id="allenai/openbookqa",
    parts={"main": "main/test-*.parquet"},
)


def normalize(source: RawSource, images=None):
    for row in source.rows("main"):
        with row.guard():
            choices, answer = keyed_choices(row)
            yield row.record(
                SPEC,
                id=str(row["id"]),
                question=row["question_stem"],
                choices=choices,
                answer=answer,
                meta={"doc": row.doc("question_stem", "choices", "answerKey")},
            )
