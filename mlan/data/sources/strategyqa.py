"""StrategyQA (train): implicit multi-step yes/no questions.

Table 3 of the paper lists StrategyQA as multiple choice, but its answer is a boolean and
the paper's code turns it into yes/no, so the answer type here is ``yesno``. The context is
the supporting ``facts`` joined with a space (the paper's code); the hub stores them as a
list of strings, some copies as one string, and both are accepted.
"""

from mlan.data.sources.raw import DatasetSpec, RawRow, RawSource

SPEC = DatasetSpec(
    name="strategyqa",
    task="cr",
    modality="text",
    answer_type="yesno",
    role="train",
    split="train",
    expected_rows=2_290,  # train + test: the paper's 2,290 training questions
    hub_id="ChilleD/StrategyQA",
    parts={"main": "data/*.parquet"},  # the hub copy splits the 2,290 into train and test files
)


def _context(row: RawRow) -> str | None:
    facts = row.get("facts")
    if facts is None:
        return None
    if isinstance(facts, str):
        return facts.strip() or None
    if not isinstance(facts, list) or not all(isinstance(fact, str) for fact in facts):
        raise row.error(f"field 'facts' is neither a string nor a list of strings: {facts!r}")
    return " ".join(fact.strip() for fact in facts if fact.strip()) or None


def normalize(source: RawSource, images=None):
    for row in source.rows("main"):
        with row.guard():
            answer = row["answer"]
            if not isinstance(answer, bool):
                raise row.error(f"field 'answer' is {answer!r}, expected a boolean")
            yield row.record(
                SPEC,
                id=str(row["qid"]),
                context=_context(row),
                question=row["question"],
                answer="yes" if answer else "no",
                meta={"doc": row.doc("question", "answer", facts=row.get("facts"))},
            )
