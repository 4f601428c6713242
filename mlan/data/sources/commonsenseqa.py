"""CommonsenseQA (train): five-way commonsense multiple choice without a context.

The answer letter comes from the position of ``answerKey`` among ``choices.label`` (the
labels are A..E in the hub copy, but nothing here relies on that).
"""

from mlan.data.sources.raw import DatasetSpec, RawSource, keyed_choices

SPEC = DatasetSpec(
    name="commonsenseqa",
    task="cr",
    modality="text",
    answer_type="mc",
    role="train",
    split="train",
    expected_rows=9_741,  # train
    hub_id="tau/commonsense_qa",
    parts={"main": "data/train-*.parquet"},
)


def normalize(source: RawSource, images=None):
    for row in source.rows("main"):
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
