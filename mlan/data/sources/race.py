"""RACE-high (eval, test split): English exam reading comprehension.

``EleutherAI/race`` keeps one row per article; ``problems`` is a *string* holding a Python
literal list of ``{"answer": letter, "options": [...], "question": ...}`` (lm-eval reads it
with ``ast.literal_eval``). The paper's protocol, like lm-eval's, scores only the last
question of each article, so by default the others are counted as skipped; option
``questions="all"`` emits every question. Cloze questions ("... _ ...") are kept verbatim.
Ids are "<example_id or file stem-row index>-q<position in problems>", stable in both modes.
"""

import ast
from pathlib import Path

from mlan.data.records import LETTERS
from mlan.data.sources.raw import DatasetSpec, RawRow, RawSource

SPEC = DatasetSpec(
    name="race",
    task="qa",
    modality="text",
    answer_type="mc",
    role="eval",
    split="test",
    expected_rows=1_045,  # high test articles, one question each
    hub_id="EleutherAI/race",
    parts={"main": "high/test/*.parquet"},
)
QUESTION_MODES = ("last", "all")


def _problems(row: RawRow) -> list[dict]:
    problems = row["problems"]
    if isinstance(problems, str):
        try:
            problems = ast.literal_eval(problems)
        except (ValueError, SyntaxError) as error:
            raise row.error(f"field 'problems' is not a Python literal list ({error})") from error
    if not isinstance(problems, list) or not problems or not all(isinstance(p, dict) for p in problems):
        raise row.error("field 'problems' is not a non-empty list of {answer, options, question} objects")
    for position, problem in enumerate(problems):
        for key in ("answer", "options", "question"):
            if key not in problem:
                raise row.error(f"problem {position} has no '{key}'")
        problem["options"] = row.options(f"problems[{position}].options", problem["options"])
        if not problem["options"]:
            raise row.error(f"problem {position} has no options")
        if problem["answer"] not in list(LETTERS[: len(problem["options"])]):
            raise row.error(f"problem {position}: answer {problem['answer']!r} is not an option letter")
    return problems


def normalize(source: RawSource, images=None, questions: str = "last"):
    if questions not in QUESTION_MODES:
        raise ValueError(f"dataset '{SPEC.name}': option questions must be one of {QUESTION_MODES}, not {questions!r}")
    for row in source.rows("main"):
        with row.guard():
            article = row["article"]
            problems = _problems(row)
            example_id = row.get("example_id")
            article_id = str(example_id) if example_id is not None else f"{Path(row.file).stem}-{row.index}"
            for position, problem in enumerate(problems):
                if questions == "last" and position < len(problems) - 1:
                    source.skip("not the last question of its article")
                    continue
                yield row.record(
                    SPEC,
                    id=f"{article_id}-q{position}",
                    context=article,
                    question=problem["question"],
                    choices=problem["options"],
                    answer=problem["answer"],
                    meta={
                        "article": article_id,
                        "doc": row.doc(
                            "article",
                            question=problem["question"],
                            options=problem["options"],
                            answer=problem["answer"],
                        ),
                    },
                )
