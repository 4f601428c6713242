"""The tiny LLaVA learns the toy world, through the real training and evaluation code: a
vision benchmark is answered from the image and a held-out language set from its passage,
well above what the question alone gives (mlan.evaluation.baselines), and each falls to
that baseline without the image or the passage. Training with the loss on every token, or
with the projector frozen in finetuning, scores otherwise. Each test fails when what it
guards breaks (image features that do not reach the LLM, labels shifted by one, a reply
read from the wrong field): docs/benchmarks.md, "Does the embedded default learn?"."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
import torch

from benchmarks.toy_learning import blanked, finetune, scored, toy_world
from mlan.data.records import read_records
from mlan.evaluation.baselines import prior_only_score

ROWS = {"squad": 2000, "vqav2": 900, "gqa": 120, "llava_pretrain": 64}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return toy_world(tmp_path_factory.mktemp("learning"), ROWS)


@pytest.fixture(scope="module")
def reader(toy):
    """1,500 steps on toy SQuAD: the tiny model starts reading between ~1,000 and 1,500 steps,
    depending on its tokenizer and draw (docs/benchmarks.md)."""
    return finetune(toy, "reader", "squad", 6000, 2)


def test_a_vision_benchmark_is_answered_from_the_image_and_falls_to_its_baseline_blanked(toy):
    model = finetune(toy, "vision", "vqav2", 900, 6)
    records = read_records(toy / "data" / "gqa.jsonl")
    baseline = prior_only_score("gqa", records)
    seen, blind = scored(toy, model, "gqa", records), scored(toy, model, "gqa", records, blanked(toy))
    assert seen >= baseline + 20, (seen, baseline)
    assert blind <= baseline + 5, (blind, baseline)


def test_a_held_out_language_set_is_answered_from_its_passage_and_falls_to_its_baseline_without(toy, reader):
    records = read_records(toy / "data" / "held-squad.jsonl")
    baseline = prior_only_score("squad", records)
    read = scored(toy, reader, "squad", records)
    unread = scored(toy, reader, "squad", [dataclasses.replace(r, context=None) for r in records])
    assert read >= baseline + 40, (read, baseline)
    assert unread <= baseline + 10, (unread, baseline)


def test_the_loss_on_answers_only_trains_otherwise_than_on_every_token(toy, reader, monkeypatch):
    """The same data and steps with the loss on the answers (the recipe) or on every token of
    the conversation: the two models read the held-out passages measurably differently."""
    import mlan.data.conversation as conversation_module

    records = read_records(toy / "data" / "held-squad.jsonl")
    answers = scored(toy, reader, "squad", records)
    original = conversation_module.vicuna_v1
    monkeypatch.setitem(
        conversation_module.TEMPLATES,
        "vicuna_v1",
        lambda turns, end_of_turn: (original(turns, end_of_turn)[0], [(0, 10**6)]),
    )
    every = scored(toy, finetune(toy, "every", "squad", 6000, 2), "squad", records)
    assert abs(every - answers) >= 20, (answers, every)


def test_the_projector_trains_in_finetuning_of_a_vision_mixture(toy, monkeypatch):
    """From a base whose projector passes nothing of the image yet (its output layer zero),
    finetuning must train the projector for the image to reach the LLM: frozen there, the
    vision benchmark stays at what the question alone gives."""
    from transformers import LlavaForConditionalGeneration

    from mlan.training import stages

    silent = toy / "silent-base"
    shutil.copytree(toy / "base", silent)
    model = LlavaForConditionalGeneration.from_pretrained(silent, dtype=torch.float32)
    torch.nn.init.zeros_(model.model.multi_modal_projector.linear_2.weight)
    torch.nn.init.zeros_(model.model.multi_modal_projector.linear_2.bias)
    model.save_pretrained(silent)
    records = read_records(toy / "data" / "gqa.jsonl")
    baseline = prior_only_score("gqa", records)
    trained = scored(toy, finetune(toy, "projector", "vqav2", 900, 6, base=silent), "gqa", records)
    stage = stages.STAGES["finetune"]
    frozen = tuple(prefix for prefix in stage.trainable if "projector" not in prefix)
    monkeypatch.setitem(stages.STAGES, "finetune", dataclasses.replace(stage, trainable=frozen))
    still = scored(toy, finetune(toy, "frozen", "vqav2", 900, 6, base=silent), "gqa", records)
    assert trained >= baseline + 20, (trained, baseline)
    assert still <= baseline + 5, (still, baseline)
