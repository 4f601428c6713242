"""A-OKVQA (train): commonsense questions on COCO images with four choices; the answer
letter comes from ``correct_choice_idx`` (as in the paper's code)."""

from mlan.data.images import image_bytes
from mlan.data.records import letter
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
            try:
                answer = letter(int(row["correct_choice_idx"]))
                image = images.save(image_bytes(row["image"]), question_id)
            except ValueError as error:
                raise row.error(str(error)) from error
            yield row.record(
                SPEC,
                id=question_id,
                question=row["question"].strip(),
                choices=[str(choice) for choice in row["choices"]],
                answer=answer,
                image=image,
            )
