"""The prior-only baseline (mlan.evaluation.baselines) against hand-computed values."""

from __future__ import annotations

import pytest

from mlan.data.records import Record
from mlan.evaluation.baselines import constant_replies, prior_only_score, question_form


def record(index, question, answer, answer_type="short", modality="vision"):
    return Record(f"r{index}", "toy", "vqa", modality, answer_type, question, answer)


def test_the_form_is_the_answer_type_for_options_and_the_first_two_words_otherwise():
    assert question_form(record(0, "Which one? A. x B. y", "A", "mc")) == "mc"
    assert question_form(record(0, "What COLOR is the shape?", "red")) == "what color"
    assert question_form(record(0, "How many shapes are there?", "2")) == "how many"


def test_each_form_answers_its_most_frequent_gold_answer_ties_to_the_first_seen():
    records = [
        record(0, "What color is it?", "red"),
        record(1, "What color is it?", "blue"),
        record(2, "What color is it?", "blue"),
        record(3, "How many shapes?", "2"),
        record(4, "How many shapes?", "3"),
    ]
    assert constant_replies(records) == ["blue", "blue", "blue", "2", "2"]
    # 2 of 3 colours, 1 of 2 counts: 3 of 5
    assert prior_only_score("gqa", records) == pytest.approx(60.0)


def test_pope_is_the_f1_of_answering_yes_throughout():
    records = [record(i, "Is there a red circle?", answer) for i, answer in enumerate(["yes", "no", "no", "yes", "no"])]
    # precision 2/5, recall 1: F1 = 2 * 0.4 / 1.4
    assert prior_only_score("pope", records) == pytest.approx(100 * 0.8 / 1.4)


def test_scienceqa_averages_its_text_and_image_strata():
    records = [
        record(0, "Which?", "A", "mc", "text"),
        record(1, "Which?", "A", "mc", "text"),
        record(2, "Which?", "B", "mc", "text"),
        record(3, "Which?", "C", "mc", "vision"),
    ]
    assert prior_only_score("scienceqa", records) == pytest.approx((200 / 3 + 100) / 2)
    assert prior_only_score("scienceqa", records, scienceqa_score="pooled") == pytest.approx(50.0)


def test_no_records_is_an_error_not_a_score():
    with pytest.raises(ValueError, match="gqa: no records"):
        prior_only_score("gqa", [])
