"""GQA (testdev balanced): compositional questions with short answers. lmms-lab/GQA ships
questions and images as two configs; a question's ``imageId`` is an image row's ``id``."""

from mlan.data.images import image_bytes
from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="gqa",
    task="cr",
    modality="vision",
    answer_type="short",
    role="eval",
    split="testdev",
    expected_rows=12_578,  # testdev balanced
    hub_id="lmms-lab/GQA",
    parts={
        "questions": "testdev_balanced_instructions/testdev-*.parquet",
        "images": "testdev_balanced_images/testdev-*.parquet",
    },
)


def normalize(source: RawSource, images):
    # About 30 questions share each image: first collect the ids the questions need (a cheap
    # text pass), then write each needed image once, then join.
    needed = set()
    for row in source.rows("questions"):
        with row.guard():
            needed.add(str(row["imageId"]))
    saved: dict[str, str] = {}
    for row in source.rows("images"):
        with row.guard():
            image_id = str(row["id"])
            if image_id in needed and image_id not in saved:
                try:
                    saved[image_id] = images.save(image_bytes(row["image"]), image_id)
                except ValueError as error:
                    raise row.error(f"bad image '{image_id}': {error}") from error
    for row in source.rows("questions"):
        with row.guard():
            image_id = str(row["imageId"])
            if image_id not in saved:
                raise row.error(f"imageId '{image_id}' has no row in the images part ('{source.patterns['images']}')")
            yield row.record(
                SPEC,
                id=str(row["id"]),
                question=row["question"].strip(),
                answer=str(row["answer"]).strip(),
                image=saved[image_id],
                meta={"doc": row.doc("question", "answer")},
            )
