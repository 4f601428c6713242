"""POPE (test): "Is there a <object> in the image?" on COCO images, answered yes/no.
The sampling ``category`` (adversarial/popular/random) is kept in meta, since POPE is
often reported per category."""

from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="pope",
    task="qa",
    modality="vision",
    answer_type="yesno",
    role="eval",
    split="test",
    expected_rows=9_000,  # test
    hub_id="lmms-lab/POPE",
    parts={"main": "data/test-*.parquet"},
)


def normalize(source: RawSource, images):
    for row in source.rows("main"):
        with row.guard():
            # 9,000 questions on 500 images: name the file by its COCO source to write it once.
            stem = str(row.get("image_source") or f"question-{row['id']}")
            image = row.save_image(images, row["image"], stem)
            yield row.record(
                SPEC,
                id=str(row["id"]),
                question=row["question"].strip(),
                answer=str(row["answer"]).strip().lower(),
                image=image,
                meta={"category": str(row["category"]), "doc": row.doc("question", "answer")},
            )
