"""Training inputs that used to train on nothing, or resume the wrong run, without a word."""

from __future__ import annotations

import json
import os

import pytest
from conftest import FAST

from mlan.atomic import DiskFullError
from mlan.errors import MlanError
from mlan.training.settings import Settings
from mlan.training.train import train
from mlan.training.training_data import IGNORE_INDEX, ConversationDataset, encode


def dataset(world, max_length: int) -> ConversationDataset:
    from transformers import AutoProcessor

    instances = json.loads((world / "mix100.json").read_text())
    processor = AutoProcessor.from_pretrained(world / "base")
    return ConversationDataset(instances, processor, world / "images", "vicuna_v1", max_length)


def answer_positions(data: ConversationDataset) -> dict[str, tuple[int, int]]:
    """Per instance, where its answer tokens start and end in the uncut encoding."""
    found = {}
    for instance in data.instances:
        text, spans = data.render(instance["conversations"])
        _, labels = encode(text, spans, data.processor.tokenizer, data.image_tokens, None)
        carrying = [i for i, label in enumerate(labels) if label != IGNORE_INDEX]
        found[instance["id"]] = (carrying[0], carrying[-1])
    return found


def test_instances_whose_answer_max_length_cuts_are_left_out_and_counted(world):
    positions = answer_positions(dataset(world, 4096))
    starts = sorted(start for start, _ in positions.values())
    max_length = starts[len(starts) // 2] + 1  # about half the answers start beyond it
    data = dataset(world, max_length)
    cut = data.leave_out_cut_answers()
    assert cut.left_out == [i for i, (start, _) in positions.items() if start >= max_length]
    assert 0 < len(cut.left_out) < len(positions)
    assert cut.shortened == sum(start < max_length <= end for start, end in positions.values())
    assert len(data) == len(positions) - len(cut.left_out) and len(data.lengths()) == len(data)
    assert all(length <= max_length for length in data.lengths())
    assert cut.summary() == {
        "instances_left_out_answer_cut": len(cut.left_out),
        "instances_answer_shortened": cut.shortened,
    }


def test_a_run_whose_every_answer_is_cut_stops_before_training(world, tmp_path):
    """finetune.max_length 20 "succeeded" with loss 0.0 and the pretrained weights."""
    settings = Settings(**{**FAST, "max_length": 4})
    with pytest.raises(MlanError, match=r"max_length=4 cuts every answer token of all 40 instances .*raise max_length"):
        train(
            "finetune",
            world / "base",
            world / "mix100.json",
            world / "images",
            tmp_path / "m",
            tmp_path / "c",
            settings,
        )
    assert not (tmp_path / "m").exists()


def test_the_summary_counts_the_instances_left_out(world, tmp_path):
    positions = answer_positions(dataset(world, 4096))
    max_length = sorted(start for start, _ in positions.values())[-3] + 1  # two answers start beyond it
    settings = Settings(**{**FAST, "max_length": max_length})
    train("finetune", world / "base", world / "mix100.json", world / "images", tmp_path / "m", tmp_path / "c", settings)
    summary = json.loads((tmp_path / "m" / "train_summary.json").read_text())
    left_out = sum(start >= max_length for start, _ in positions.values())
    assert summary["instances_left_out_answer_cut"] == left_out >= 1
    assert summary["instances"] == len(positions) - left_out


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KB file system (tmpfs; needs root): room for the step log, not for a checkpoint."""
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        if os.environ.get("MLAN_REQUIRE_SLURM") == "1":  # CI runs as root: the test must run there
            pytest.fail(f"cannot mount a tmpfs: {made.stderr.decode()}")
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_while_saving_a_checkpoint_names_the_folder(world, tmp_path, small_disk):
    """It failed with `basic_ios::clear: iostream error` (torch.save) naming nothing."""
    settings = Settings(**{**FAST, "save_steps": 1})
    with pytest.raises(DiskFullError, match=rf"while writing the checkpoint '{small_disk}/c/checkpoint-1' \(0 MB free"):
        train(
            "finetune",
            world / "base",
            world / "mix100.json",
            world / "images",
            tmp_path / "m",
            small_disk / "c",
            settings,
        )
    assert not (tmp_path / "m").exists()


def test_a_full_disk_at_the_final_save_names_the_model_folder(world, tmp_path, small_disk):
    settings = Settings(**FAST)
    with pytest.raises(DiskFullError, match=rf"while writing the finished model '{small_disk}/m\.partial' \("):
        train(
            "finetune",
            world / "base",
            world / "mix100.json",
            world / "images",
            small_disk / "m",
            tmp_path / "c",
            settings,
        )
    assert not (small_disk / "m").exists()
