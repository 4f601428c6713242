"""Packing (``pack_tokens``): rows that respect the token budget and the global batch, and
training on packed rows that computes what the padded path computes."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import FAST, ROOT, step_log
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file

from mlan.errors import ConfigError
from mlan.training.sampler import ModalityGroupedSampler, PackedBatchSampler, plan_rows
from mlan.training.settings import Settings
from mlan.training.train import INTERRUPTED_EXIT_CODE, train
from mlan.training.training_data import (
    IGNORE_INDEX,
    Collator,
    ConversationDataset,
    PackCollator,
    Packed,
    read_mixture,
)

PACKED = {**FAST, "pack_tokens": 512}


@settings(max_examples=200)
@given(
    lengths=st.lists(st.integers(1, 100), min_size=1, max_size=80),
    budget=st.integers(100, 400),
    ranks=st.sampled_from([1, 2, 4]),
)
def test_rows_hold_every_instance_once_within_the_budget(lengths, budget, ranks):
    try:
        rows = plan_rows(lengths, budget, ranks)
    except ConfigError:  # fewer instances than the rows the ranks need (never with 64 per step)
        assert len(lengths) < -(-sum(lengths) // budget) + 2 * ranks
        return
    assert sorted(p for row in rows for p in row) == list(range(len(lengths)))
    assert all(row and sum(lengths[p] for p in row) <= budget for row in rows)
    assert len(rows) % ranks == 0
    assert len(rows) <= -(-sum(lengths) // budget) + ranks + 2  # near the fewest possible


def test_an_instance_over_the_budget_is_a_config_error():
    with pytest.raises(ConfigError, match="pack_tokens=10 is below a 11-token instance"):
        plan_rows([3, 11], 10, 1)


@pytest.mark.parametrize("world", [1, 2])
def test_every_step_is_one_global_batch_of_one_modality(world):
    has_image = [i % 3 == 0 for i in range(50)]
    lengths = [40 + 7 * (i % 5) for i in range(50)]
    steps = ModalityGroupedSampler(has_image, 8, seed=1)
    batches = list(PackedBatchSampler(steps, lengths, 100, world))
    assert len(batches) == len(PackedBatchSampler(steps, lengths, 100, world)) == len(steps) // 8 * world
    for block, start in zip(steps.blocks(), range(0, len(batches), world), strict=True):
        shares = batches[start : start + world]
        assert sorted(i for share in shares for i, _ in share) == sorted(block)
        assert len({max(row for _, row in share) for share in shares}) == 1  # as many rows on every rank
        assert len({has_image[i] for share in shares for i, _ in share}) == 1


def test_a_packed_row_keeps_instances_apart():
    items = [
        {"input_ids": torch.tensor([1, 5, 6]), "labels": torch.tensor([-100, -100, 6]), "row": 0},
        {"input_ids": torch.tensor([1, 7]), "labels": torch.tensor([4, 7]), "row": 1},
        {"input_ids": torch.tensor([1, 8, 9, 2]), "labels": torch.tensor([3, -100, 9, 2]), "row": 0},
    ]
    rows = PackCollator()(items)["rows"]
    assert [row["input_ids"].tolist() for row in rows] == [[[1, 5, 6, 1, 8, 9, 2]], [[1, 7]]]
    assert rows[0]["labels"].tolist() == [[IGNORE_INDEX, IGNORE_INDEX, 6, IGNORE_INDEX, IGNORE_INDEX, 9, 2]]
    assert rows[0]["position_ids"].tolist() == [[0, 1, 2, 0, 1, 2, 3]]
    assert rows[0]["cu_seq_lens_q"].tolist() == [0, 3, 7] and rows[0]["max_length_q"] == 4
    assert rows[1]["labels"].tolist() == [[IGNORE_INDEX, 7]]


def padded_and_packed(world, modality):
    """Six instances of one modality, as the padded collator and as two packed rows make them."""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(world / "base")
    instances = [i for i in read_mixture(world / "mix50.json") if bool(i.get("image")) == modality]
    dataset = ConversationDataset(instances[:6], processor, world / "images", "vicuna_v1", 256)
    items = [dataset[i] for i in range(6)]
    padded = Collator(processor.tokenizer.pad_token_id)(items)
    packed = PackCollator()([{**item, "row": i % 2} for i, item in enumerate(items)])
    answers = sum(int((item["labels"][1:] != IGNORE_INDEX).sum()) for item in items)
    return padded, packed["rows"], answers


@pytest.mark.parametrize("modality", [False, True], ids=["text", "image"])
def test_packed_rows_give_the_padded_loss_and_gradients(world, modality):
    from mlan.training.model import load_model, use_packed_attention

    padded, rows, answers = padded_and_packed(world, modality)
    model = load_model(world / "base")
    loss = model(**padded, num_items_in_batch=answers).loss
    loss.backward()
    expected = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    use_packed_attention(model)
    packed_loss = 0.0
    for row in rows:
        row_loss = model(**row, num_items_in_batch=answers).loss
        row_loss.backward()
        packed_loss += row_loss.item()
    assert packed_loss == pytest.approx(loss.item(), rel=1e-5)
    for name, grad in expected.items():
        torch.testing.assert_close(dict(model.named_parameters())[name].grad, grad, rtol=1e-4, atol=1e-6)


def run(world, output, settings, **kwargs):
    arguments = [sys.executable, "-m", "mlan.training.train", "--stage", "finetune", "--base", str(world / "base")]
    arguments += ["--data", str(world / "mix50.json"), "--images", str(world / "images"), "--output", str(output)]
    arguments += ["--checkpoints", str(output) + ".ckpt", "--settings", json.dumps(settings)]
    return subprocess.Popen(arguments, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def test_packed_training_follows_the_padded_run(world, tmp_path):
    """Same steps (the modality-grouped sampler's), same losses: packing changes the layout only."""
    train(
        "finetune", world / "base", world / "mix50.json", world / "images", tmp_path / "padded", tmp_path / "c1",
        Settings(**FAST),
    )  # fmt: skip
    train(
        "finetune", world / "base", world / "mix50.json", world / "images", tmp_path / "packed", tmp_path / "c2",
        Settings(**PACKED, dataloader_workers=2),  # batches made in worker processes: the same batches
    )  # fmt: skip
    padded, packed = step_log(tmp_path / "padded"), step_log(tmp_path / "packed")
    assert [s["samples_seen"] for s in packed] == [s["samples_seen"] for s in padded]
    for a, b in zip(padded, packed, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=2e-3)
    summary = json.loads((tmp_path / "packed/train_summary.json").read_text())
    assert summary["padding_tokens"] == 0 and summary["gradient_accumulation_steps"] == 1
    assert summary["tokens_seen"] == json.loads((tmp_path / "padded/train_summary.json").read_text())["tokens_seen"]
    config = json.loads((tmp_path / "packed/config.json").read_text())
    assert "mlan_packed" not in json.dumps(config)  # saved for SDPA: loads anywhere


def test_packed_sigterm_then_rerun_equals_an_uninterrupted_run(world, tmp_path):
    settings = {**PACKED, "epochs": 3}
    whole = run(world, tmp_path / "whole", settings)
    assert whole.wait(timeout=600) == 0, whole.stdout.read()
    first = run(world, tmp_path / "resumed", settings)
    log = tmp_path / "resumed.ckpt" / "train_log.jsonl"
    deadline = time.monotonic() + 300
    while (not log.exists() or log.read_text().count("\n") < 8) and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=300) == INTERRUPTED_EXIT_CODE, first.stdout.read()
    second = run(world, tmp_path / "resumed", settings)
    output = second.stdout.read()
    assert second.wait(timeout=600) == 0, output
    assert "checkpoint-" in output.split("resume from: ")[1].split("\n")[0]
    whole_weights = load_file(str(tmp_path / "whole/model.safetensors"))
    resumed_weights = load_file(str(tmp_path / "resumed/model.safetensors"))
    assert all(torch.equal(whole_weights[key], resumed_weights[key]) for key in whole_weights)


def test_packed_training_under_deepspeed_zero3(world, tmp_path):
    settings = {**PACKED, "deepspeed": str(ROOT / "config/deepspeed/zero3.json")}
    process = run(world, tmp_path / "out", settings, env={**os.environ, "DS_ACCELERATOR": "cpu"})
    output = process.stdout.read()
    assert process.wait(timeout=600) == 0, output[-4000:]
    padded = tmp_path / "padded"
    train("finetune", world / "base", world / "mix50.json", world / "images", padded, tmp_path / "c", Settings(**FAST))
    for a, b in zip(step_log(padded), step_log(tmp_path / "out"), strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=2e-3)


def test_packed_dataset_reads_index_and_row(world):
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(world / "base")
    dataset = ConversationDataset(read_mixture(world / "mix50.json"), processor, world / "images", "vicuna_v1", 256)
    item = Packed(dataset)[(3, 1)]
    assert item["row"] == 1 and torch.equal(item["input_ids"], dataset[3]["input_ids"])
    assert dataset.lengths()[3] == len(item["input_ids"])
