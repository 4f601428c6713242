"""The tiny LLaVA learns the toy world, through the real training and evaluation code: a
vision benchmark is answered from the image and a held-out language set from its passage,
well above what the question alone gives (mlan.evaluation.baselines), and each falls to
that baseline without the image or the passage. Training with the loss on every token
predicts the held-out user turns the recipe's model never learns; with the projector frozen
in finetuning, the vision benchmark stays at its baseline. Each test fails when what it
guards breaks (image features that do not reach the LLM, the loss on every token, labels
shifted by one, a reply read from the wrong field): docs/benchmarks.md, "What the learning
tests guard"."""

from __future__ import annotations

import dataclasses
import random
import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoProcessor

from benchmarks.toy_learning import blanked, finetune, scored, toy_world
from mlan.data.conversation import generation_prompt
from mlan.data.records import IMAGE_TOKEN, read_records
from mlan.data.templates import conversation
from mlan.evaluation.baselines import prior_only_score
from mlan.training.input_ids import llava_input_ids

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


def prompt_loss(model: Path, prompts: list[str]) -> float:
    """Mean loss per token of ``prompts`` (the Vicuna frame up to "ASSISTANT:", what the
    recipe's labels leave out), tokenized as training does but without its labels."""
    from mlan.training.model import load_model

    tokenizer = AutoProcessor.from_pretrained(model).tokenizer
    network = load_model(model).eval()
    total, count = 0.0, 0
    for prompt in prompts:
        ids = torch.tensor(llava_input_ids(prompt, tokenizer, tokenizer.convert_tokens_to_ids(IMAGE_TOKEN), 0))
        with torch.no_grad():
            logits = network(input_ids=ids[None]).logits[0, :-1]
        total += torch.nn.functional.cross_entropy(logits, ids[1:], reduction="sum").item()
        count += len(ids) - 1
    return total / count


def test_the_loss_on_answers_only_trains_otherwise_than_on_every_token(toy, reader, instructions, monkeypatch):
    """The same data and steps with the loss on the answers (the recipe) or on every token of
    the conversation: only the second predicts held-out prompts. (The held-out reading score
    is no measure here: reading forms all at once, so whether the two models' scores differ
    depends on the order of the sums: 100 against 64 with 2 threads, against 99 with 1.)"""
    import mlan.data.conversation as conversation_module

    rng = random.Random(1)
    prompts = [
        generation_prompt(conversation(record, instructions, rng)[0]["value"])
        for record in read_records(toy / "data" / "held-squad.jsonl")
    ]
    original = conversation_module.vicuna_v1
    monkeypatch.setitem(
        conversation_module.TEMPLATES,
        "vicuna_v1",
        lambda turns, end_of_turn: (original(turns, end_of_turn)[0], [(0, 10**6)]),
    )
    every = finetune(toy, "every", "squad", 6000, 2)
    answers_only, every_token = prompt_loss(reader, prompts), prompt_loss(every, prompts)
    assert answers_only - every_token >= 2.0, (answers_only, every_token)


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
