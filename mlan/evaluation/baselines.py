"""What a benchmark gives a model that never looks at the image or the passage: the best
constant reply per question form (a multiple-choice item's form is its answer type: the
most frequent letter; another's the question's first two words, "what color", "is there",
"how many"), scored as the benchmark scores (POPE's F1, ScienceQA's strata). A tuned model
that reads what the item shows must beat it; one that learned only the answer format and
the priors cannot."""

from __future__ import annotations

import re
from collections import Counter

from mlan.data.records import Record


def question_form(record: Record) -> str:
    if record.answer_type == "mc":
        return "mc"
    return " ".join(re.findall(r"[a-z0-9']+", record.question.lower())[:2])


def constant_replies(records: list[Record]) -> list[str]:
    """Each record's reply under the best constant per question form (the form's most
    frequent gold answer; ties to the answer seen first)."""
    forms = [question_form(record) for record in records]
    best = {}
    for form in dict.fromkeys(forms):
        answers = Counter(record.answer for record, f in zip(records, forms, strict=True) if f == form)
        best[form] = answers.most_common(1)[0][0]
    return [best[form] for form in forms]


def _accuracy(records: list[Record], replies: list[str]) -> float:
    return 100.0 * sum(r.answer == reply for r, reply in zip(records, replies, strict=True)) / len(records)


def prior_only_score(benchmark: str, records: list[Record], scienceqa_score: str = "modality_mean") -> float:
    """The benchmark's headline score of the best constant reply per question form."""
    if not records:
        raise ValueError(f"{benchmark}: no records, no baseline")
    if benchmark == "pope":  # F1 of "yes": answering yes throughout beats any mix of constants
        yes = sum(r.answer == "yes" for r in records)
        return 200.0 * yes / (yes + len(records)) if yes else 0.0
    if benchmark == "scienceqa" and scienceqa_score == "modality_mean":
        parts = [[r for r in records if r.modality == modality] for modality in ("text", "vision")]
        return sum(_accuracy(part, constant_replies(part)) for part in parts) / 2
    return _accuracy(records, constant_replies(records))
