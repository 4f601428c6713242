"""SQuAD v1.1 (train): extractive QA; the answer is ``answers.text[0]`` (as the paper's code)."""

from mlan.data.sources.raw import DatasetSpec, RawSource

SPEC = DatasetSpec(
    name="squad",
    task="qa",
    modality="text",
    answer_type="short",
    role="train",
    split="train",
    expected_rows=87_599,  # train
    hub_id="rajpurkar/squad",
    parts={"main": "plain_text/train-*.parquet"},
)


def normalize(source: RawSource, images=None):
    for row in source.rows("main"):
        with row.guard():
            answers = row["answers"]
            texts = answers.get("text") if isinstance(answers, dict) else None
            if not texts:
                raise row.error("field 'answers' has no 'text' entries")
            yield row.record(
                SPEC,
                id=str(row["id"]),
                context=row["context"],
                question=row["question"],
                answer=texts[0],
                meta={"doc": row.doc("context", "question", answer=texts[0])},
            )
