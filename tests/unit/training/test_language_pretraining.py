"""A config-built LLM's own pretraining (mlan/training/language_pretraining.py): the corpus's
plain layout, its determinism and sources, a training that lowers the loss and a base model
that starts from its weights."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import TINY

from mlan.data.records import Record
from mlan.errors import MlanError
from mlan.training.language_pretraining import build_corpus, encode, plain_text, pretrain_language_model, read_corpus


def test_a_question_reads_passage_question_options_then_answer():
    record = Record(
        id="1", dataset="cosmosqa", task="qa", modality="text", answer_type="mc", question="Where did Ben go?",
        answer="B", context="Ben went to the park.", choices=["To the beach.", "To the park."],
    )  # fmt: skip
    assert plain_text(record) == (
        "Ben went to the park.\nQ: Where did Ben go?\n(A) To the beach.\n(B) To the park.\nA: B"
    )


def test_a_caption_is_its_text_and_a_question_without_passage_starts_at_q():
    caption = Record(
        id="c", dataset="llava_pretrain", task="caption", modality="vision", answer_type="caption",
        question="Describe the image.", answer="a red circle", image="x.png",
    )  # fmt: skip
    short = Record(
        id="s", dataset="arc", task="qa", modality="text", answer_type="short", question="What is red?", answer="a ball"
    )
    assert plain_text(caption) == "a red circle"
    assert plain_text(short) == "Q: What is red?\nA: a ball"


def test_the_corpus_is_byte_identical_for_a_seed_and_holds_every_row_of_its_sets(tmp_path):
    corpus = {"strategyqa": 7, "squad": 5}
    assert build_corpus(corpus, 3, tmp_path / "a.jsonl") == 12
    build_corpus(corpus, 3, tmp_path / "b.jsonl")
    build_corpus(corpus, 4, tmp_path / "c.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()
    texts = read_corpus(tmp_path / "a.jsonl")
    # toy StrategyQA's answers are yes/no after its facts, toy SQuAD's a colour after its passage
    assert sum(text.endswith(("A: yes", "A: no")) for text in texts) == 7
    assert sum("\nQ: " in text for text in texts) == 12


def test_an_empty_corpus_is_an_error_naming_it(tmp_path):
    with pytest.raises(MlanError, match="no toy set"):
        build_corpus({}, 0, tmp_path / "none.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(MlanError, match="empty.jsonl: the LLM's pretraining corpus is empty"):
        read_corpus(tmp_path / "empty.jsonl")


def test_the_answers_loss_masks_everything_up_to_the_last_a_mark(world):
    from transformers import AutoProcessor

    tokenizer = AutoProcessor.from_pretrained(world / "base").tokenizer
    text = "The ball is red.\nQ: Is the ball blue?\nA: no"
    answers, every = encode(text, tokenizer, "answers", 512), encode(text, tokenizer, "all", 512)
    assert answers["input_ids"] == every["input_ids"] == every["labels"]
    assert answers["input_ids"][-1] == tokenizer.eos_token_id
    kept = [label for label in answers["labels"] if label != -100]
    assert tokenizer.decode(kept) == " no" + tokenizer.eos_token
    assert answers["labels"][: -len(kept)] == [-100] * (len(answers["labels"]) - len(kept))
    caption = encode("a red circle", tokenizer, "answers", 512)
    assert caption["labels"] == caption["input_ids"]
    with pytest.raises(MlanError, match="llm_pretraining.loss: 'some'"):
        encode(text, tokenizer, "some", 512)


@pytest.fixture(scope="module")
def pretrained(world, tmp_path_factory):
    """The tests' tiny LLM pretrained on a small corpus for 30 steps."""
    from transformers import AutoModelForCausalLM, AutoProcessor

    from mlan.training.backbone import text_config

    out = tmp_path_factory.mktemp("llm")
    build_corpus({"strategyqa": 40, "squad": 40}, 5, out / "corpus.jsonl")
    tokenizer = AutoProcessor.from_pretrained(world / "base").tokenizer
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(text_config("tiny", TINY["llm"], len(tokenizer)))
    settings = {"steps": 30, "batch_size": 8, "learning_rate": 3e-3, "warmup_steps": 3, "max_length": 128, "seed": 0}
    settings["loss"] = "all"
    facts = pretrain_language_model(model, tokenizer, read_corpus(out / "corpus.jsonl"), settings, out / "llm")
    return out / "llm", facts, tokenizer


def test_pretraining_lowers_the_language_models_loss(pretrained):
    _, facts, _ = pretrained
    assert facts["steps"] == 30 and facts["texts"] == 80 and facts["loss"] == "all"
    assert facts["last_loss"] < facts["first_loss"] - 0.5, facts


def test_the_base_model_starts_from_the_pretrained_llm(pretrained):
    from transformers import AutoModelForCausalLM

    from mlan.training.model import build_base_model

    folder, _, tokenizer = pretrained
    language = AutoModelForCausalLM.from_pretrained(folder)
    started = build_base_model("tiny", TINY, tokenizer, seed=0, language_model=folder)
    random = build_base_model("tiny", TINY, tokenizer, seed=0)
    for name, weight in language.model.state_dict().items():
        assert torch.equal(started.model.language_model.state_dict()[name], weight), name
    assert torch.equal(started.lm_head.weight, language.lm_head.weight)
    assert not torch.equal(random.lm_head.weight, language.lm_head.weight)
    # the vision tower and projector are the seed's, as without it
    projector, seeded = started.model.multi_modal_projector, random.model.multi_modal_projector
    assert torch.equal(projector.linear_1.weight, seeded.linear_1.weight)
    assert json.loads((folder / "config.json").read_text())["vocab_size"] == len(tokenizer)


def test_a_tokenizer_that_learns_the_corpus_too_starts_yes_and_no_with_different_tokens(world, tmp_path):
    """From the records alone " yes" and " no" both start with a bare space token, and the
    tiny LLM does not learn yes/no in its pretraining (docs/benchmarks.md); running text
    puts the space before the answer, as every prompt and target does."""
    from mlan.training.processor import build_processor

    files = [world / "data" / "strategyqa.jsonl", world / "data" / "squad.jsonl"]
    build_corpus({"strategyqa": 40}, 5, tmp_path / "corpus.jsonl")
    first = {}
    for name, texts in (("records", []), ("with corpus", read_corpus(tmp_path / "corpus.jsonl"))):
        tokenizer = build_processor("tiny", TINY, files, texts)[0].tokenizer
        first[name] = {answer: tokenizer(f"A: {answer}").input_ids[3] for answer in ("yes", "no")}
    assert first["records"]["yes"] == first["records"]["no"], first
    assert first["with corpus"]["yes"] != first["with corpus"]["no"], first


def test_the_benchmark_reads_another_corpus_as_set_and_rows_and_names_a_bad_item():
    import argparse

    from benchmarks.llm_pretraining import corpus_rows

    assert corpus_rows("squad=3000,cosmosqa=20") == {"squad": 3000, "cosmosqa": 20}
    for bad in ("squad", "squad=0", "=3000", "squad=3000,cosmosqa=x"):
        with pytest.raises(argparse.ArgumentTypeError, match="is not NAME=ROWS"):
            corpus_rows(bad)


def test_the_benchmark_takes_only_steps_and_batch_sizes_above_zero():
    import argparse

    from benchmarks.llm_pretraining import positive

    assert positive("3000") == 3000
    for bad in ("0", "-5", "x", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="is not a whole number above 0"):
            positive(bad)
