"""ScienceQA (test, ScienceQA-FULL): multiple choice, about half of the rows without an
image. Modality is decided per row (the paper reports the text and image accuracies and
their mean); ``hint`` is the context; subject and grade go to meta for grouping."""

from pathlib import Path

from mlan.data.images import image_bytes
from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="scienceqa",
    task="cr",
    modality="mixed",
    answer_type="mc",
    role="eval",
    split="test",
    expected_rows=4_241,  # ScienceQA-FULL test
    hub_id="lmms-lab/ScienceQA",
    parts={"main": "ScienceQA-FULL/test-*.parquet"},
)


def normalize(source: RawSource, images):
    for row in source.rows("main"):
        with row.guard():
            row_id = f"{Path(row.file).stem}-{row.index}"
            if "image" not in row.data:
                raise row.error(f"missing field 'image' (fields present: {sorted(row.data)})")
            cell = row.data["image"]  # None on a text-only row
            choices = row.options("choices")
            answer = row.option_letter("answer", len(choices))
            try:
                image = None if cell is None else images.save(image_bytes(cell), row_id)
            except ValueError as error:
                raise row.error(str(error)) from error
            hint = (row.get("hint") or "").strip()
            yield row.record(
                SPEC,
                id=row_id,
                modality="text" if image is None else "vision",
                context=hint or None,
                question=row["question"].strip(),
                choices=choices,
                answer=answer,
                image=image,
                meta={key: row.data[key] for key in ("subject", "grade") if row.get(key)}
                | {"doc": row.doc("hint", "question", "choices", "answer")},
            )
