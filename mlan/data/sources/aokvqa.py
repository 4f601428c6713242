"""A-OKVQA (train): commonsense questions on COCO images with four choices; the answer
letter comes from ``correct_choice_idx`` (as in the paper's code)."""

from mlan.data.images import image_bytes
from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="aokvqa",
    task="cr",
    modality="vision",
    answer_type="mc",
    role="train",
    split="train",
    expected_rows=17_056,  # train (Table 3 says 25k)
    hub_id="HuggingFaceM4/A-OKVQA",
    parts={"main": "data/train-*.parquet"},
)


def normalize(source: RawSource, images):
    for row in source.rows("main"):
        with row.guard():
            question_id = str(row["question_id"])
            choices = row.options("choices")
            answer = row.option_letter("correct_choice_idx", len(choices))
            try:
                image = images.save(image_bytes(row["image"]), question_id)
            except ValueError as error:
                raise row.error(str(error)) from error
            yield row.record(
                SPEC,
                id=question_id,
                question=row["question"].strip(),
                choices=choices,
                answer=answer,
                image=image,
                meta={"doc": row.doc("question", "choices", "correct_choice_idx")},
            )
