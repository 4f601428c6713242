"""CosmosQA (train): reading comprehension about everyday narratives, four answers
``answer0..answer3`` and ``label`` 0-3, mapped to A-D as in the paper's code.

The hub repo is script-based; its parquet lives on ``refs/convert/parquet`` as
``default/train/0000.parquet``.
"""

from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="cosmosqa",
    task="qa",
    modality="text",
    answer_type="mc",
    role="train",
    split="train",
    expected_rows=25_262,  # train
    hub_id="allenai/cosmos_qa",
    parts={"main": "*/train/*.parquet"},
)
OPTION_FIELDS = ("answer0", "answer1", "answer2", "answer3")


def normalize(source: RawSource, images=None):
    for row in source.rows("main"):
        with row.guard():
            choices = row.options("answer0-3", [row[field] for field in OPTION_FIELDS])
            answer = row.option_letter("label", len(choices))
            yield row.record(
                SPEC,
                id=str(row["id"]),
                context=row["context"],
                question=row["question"],
                choices=choices,
                answer=answer,
                meta={"doc": row.doc("context", "question", *OPTION_FIELDS, "label")},
            )
