"""VQAv2 (train): open-ended questions on COCO images. The answer is
``multiple_choice_answer`` (the most common of the ten human answers), as in the paper's code."""

from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="vqav2",
    task="qa",
    modality="vision",
    answer_type="short",
    role="train",
    split="train",
    expected_rows=443_757,  # train
    hub_id="Multimodal-Fatima/VQAv2_train",
    parts={"main": "data/train-*.parquet"},
)


def normalize(source: RawSource, images):
    for row in source.rows("main"):
        with row.guard():
            # About five questions share each COCO image: naming the file by the image id
            # (``id_image`` here, ``image_id`` in lmms-lab/VQAv2) writes it once.
            image_id = row.get("id_image", row.get("image_id"))
            stem = f"image-{image_id}" if image_id is not None else f"question-{row['question_id']}"
            image = row.save_image(images, row["image"], stem)
            yield row.record(
                SPEC,
                id=str(row["question_id"]),
                question=row["question"].strip(),
                answer=str(row["multiple_choice_answer"]).strip(),
                image=image,
                meta={"doc": row.doc("question", "multiple_choice_answer")},
            )
