"""BoolQ (eval, validation split): a yes/no question about a Wikipedia passage.

Reads the ``google/boolq`` copy (``answer`` is a boolean) and the SuperGLUE copy
(``idx``, and ``label`` 1 = yes, 0 = no; -1 marks the unlabeled test split). Neither has
a question id, so the id is ``idx`` when present, else "<file stem>-<row index>", which
stays the same as long as the file does. The default pattern is google/boolq's layout; for
a SuperGLUE copy set the files pattern to "boolq/validation-*.parquet" (a looser default
would also pick up the other SuperGLUE tasks).
"""

from pathlib import Path

from mlan.data.sources.raw import DatasetSpec, RawRow, RawSource

SPEC = DatasetSpec(
    name="boolq",
    task="qa",
    modality="text",
    answer_type="yesno",
    role="eval",
    split="validation",
    expected_rows=3_270,  # validation (Table 3 says 3.23k)
    hub_id="google/boolq",
    parts={"main": "data/validation-*.parquet"},
)


def _answer(row: RawRow) -> bool:
    if "answer" not in row.data and "label" in row.data:  # the SuperGLUE copy
        label = row["label"]
        if isinstance(label, bool) or label not in (0, 1):
            raise row.error(f"label {label!r} is neither 1 (true) nor 0 (false)")
        return label == 1
    answer = row["answer"]
    if not isinstance(answer, bool):
        raise row.error(f"field 'answer' is {answer!r}, expected a boolean")
    return answer


def normalize(source: RawSource, images=None):
    for row in source.rows("main"):
        with row.guard():
            answer = _answer(row)
            idx = row.get("idx")
            yield row.record(
                SPEC,
                id=str(idx) if idx is not None else f"{Path(row.file).stem}-{row.index}",
                context=row["passage"],
                question=row["question"],
                answer="yes" if answer else "no",
                meta={"doc": row.doc("passage", "question", answer=answer)},
            )
