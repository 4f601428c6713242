"""AI2D (test): multiple-choice questions on science diagrams. ``answer`` is the option
index as a string ("2" -> "C"); rows have no id, so the id is the file stem plus the row index."""

from pathlib import Path

from mlan.data.images import image_bytes
from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="ai2d",
    task="cr",
    modality="vision",
    answer_type="mc",
    role="eval",
    split="test",
    expected_rows=3_088,  # test
    hub_id="lmms-lab/ai2d",
    parts={"main": "data/test-*.parquet"},
)


def normalize(source: RawSource, images):
    for row in source.rows("main"):
        with row.guard():
            row_id = f"{Path(row.file).stem}-{row.index}"
            choices = row.options("options")
            answer = row.option_letter("answer", len(choices))
            try:
                image = images.save(image_bytes(row["image"]), row_id)
            except ValueError as error:
                raise row.error(str(error)) from error
            yield row.record(
                SPEC,
                id=row_id,
                question=row["question"].strip(),
                choices=choices,
                answer=answer,
                image=image,
                meta={"doc": row.doc("question", "options", "answer")},
            )
