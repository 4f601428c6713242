"""Interrupted, copied, half-written or corrupt checkpoints: training resumes equal to an
uninterrupted run or starts over, saying why (mlan.training.checkpoints)."""

from __future__ import annotations

import json
import shutil
import signal
import time

import pytest
import torch
from conftest import FAST
from test_training import changed, run_training, weights

from mlan.training.checkpoints import FINGERPRINT, check_checkpoint
from mlan.training.train import prepare_checkpoints

SETTINGS = {**FAST, "epochs": 2, "save_steps": 2}  # 20 steps, a checkpoint every 2


def wait_for_steps(log, steps: int, process, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and log.read_text().count("\n") >= steps:
            return
        time.sleep(0.02)
    raise AssertionError(f"training did not reach step {steps}: {process.stdout.read()[-3000:]}")


@pytest.fixture(scope="module")
def uninterrupted(world, tmp_path_factory):
    output = tmp_path_factory.mktemp("whole") / "model"
    process = run_training(world, "finetune", world / "mix50.json", output, SETTINGS)
    assert process.wait(timeout=600) == 0, process.stdout.read()
    return weights(output)


@pytest.fixture(scope="module")
def killed(world, tmp_path_factory):
    """A run SIGKILLed once step 7 is logged (no chance to save; maybe inside the save of
    checkpoint 8): its checkpoint folder, copied by every test before use."""
    output = tmp_path_factory.mktemp("killed") / "model"
    process = run_training(world, "finetune", world / "mix50.json", output, SETTINGS)
    wait_for_steps(output.with_name("model.ckpt") / "train_log.jsonl", 7, process)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert not output.exists()
    folder = output.with_name("model.ckpt")
    assert len(list(folder.glob("checkpoint-*"))) >= 2
    return folder


def newest(folder):
    return max(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))


def newest_complete(folder) -> int:
    """The kill may land inside a save: the newest checkpoint can be half-written already."""
    stamp = (folder / "fingerprint.txt").read_text()
    return max(int(p.name.split("-")[1]) for p in folder.glob("checkpoint-*") if check_checkpoint(p, stamp) is None)


def resume(world, killed, tmp_path, corrupt=None):
    """Rerun on a copy of the killed run's checkpoints (after ``corrupt`` of the newest)."""
    output = tmp_path / "model"
    shutil.copytree(killed, tmp_path / "model.ckpt")
    if corrupt:
        corrupt(newest(tmp_path / "model.ckpt"))
    process = run_training(world, "finetune", world / "mix50.json", output, SETTINGS)
    log = process.stdout.read()
    assert process.wait(timeout=600) == 0, log[-4000:]
    return output, log


def truncate(name):
    def corrupt(checkpoint):
        path = checkpoint / name
        if path.exists():  # (already cut short when the kill landed inside this save)
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return corrupt


def remove(name):
    return lambda checkpoint: (checkpoint / name).unlink(missing_ok=True)


def garble(name):
    return lambda checkpoint: (checkpoint / name).write_text('{"global_st')


CORRUPTIONS = {
    "trainer state missing (killed before the last file)": (remove("trainer_state.json"), "trainer_state.json is miss"),
    "trainer state half-written": (garble("trainer_state.json"), "trainer_state.json is unreadable"),
    "weights truncated": (truncate("model.safetensors"), "model.safetensors: "),
    "optimizer truncated": (truncate("optimizer.pt"), "optimizer.pt: not a complete torch file"),
    "scheduler missing": (remove("scheduler.pt"), "scheduler.pt missing"),
    "empty folder": (lambda checkpoint: [p.unlink() for p in checkpoint.iterdir()], "trainer_state.json is missing"),
}


def test_sigkill_then_rerun_equals_an_uninterrupted_run(world, killed, uninterrupted, tmp_path):
    stamp = (killed / "fingerprint.txt").read_text()
    complete = [p for p in killed.glob("checkpoint-*") if check_checkpoint(p) is None]
    assert complete and all((p / FINGERPRINT).read_text() == stamp for p in complete)  # each save stamped
    output, log = resume(world, killed, tmp_path)
    assert f"resume from: {tmp_path / 'model.ckpt'}/checkpoint-{newest_complete(killed)}\n" in log
    assert changed(uninterrupted, weights(output)) == set()
    steps = [json.loads(line)["step"] for line in (output / "train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 21))  # the steps after the checkpoint ran again, logged once


def test_a_checkpoint_copied_in_from_another_run_is_not_resumed(killed, tmp_path):
    """The fingerprint was kept per folder: another run's checkpoint-N copied into this run's
    folder was resumed silently (wrong final weights). Each checkpoint carries its own now."""
    folder = tmp_path / "model.ckpt"
    shutil.copytree(killed, folder)
    stamp = (folder / "fingerprint.txt").read_text()
    complete = sorted(
        (p for p in folder.glob("checkpoint-*") if check_checkpoint(p, stamp) is None),
        key=lambda p: int(p.name.split("-")[1]),
    )
    assert len(complete) >= 2
    (complete[-1] / FINGERPRINT).write_text("another run")  # copied in from elsewhere
    (complete[-2] / FINGERPRINT).unlink()  # from before checkpoints carried one
    messages = []
    resumed = prepare_checkpoints(folder, stamp, messages.append)
    other = "made from other inputs or settings (its fingerprint differs)"
    unstamped = f"{FINGERPRINT} is missing (from another run, or the save did not finish)"
    assert f"skipping checkpoint {complete[-1].name}: {other}" in messages
    assert f"skipping checkpoint {complete[-2].name}: {unstamped}" in messages
    assert resumed == (str(complete[-3]) if len(complete) > 2 else None)
    assert not complete[-1].exists() and not complete[-2].exists()


def test_half_written_checkpoint_falls_back_to_the_previous_one(world, killed, uninterrupted, tmp_path):
    output, log = resume(world, killed, tmp_path, truncate("model.safetensors"))
    step = int(newest(killed).name.split("-")[1])
    assert f"skipping checkpoint checkpoint-{step}: " in log
    assert f"checkpoint-{step - 2}\n" in log.split("resume from: ")[1]
    assert changed(uninterrupted, weights(output)) == set()


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_corrupt_checkpoint_is_skipped_with_a_log_line(killed, tmp_path, case):
    corrupt, message = CORRUPTIONS[case]
    folder = tmp_path / "ckpt"
    shutil.copytree(killed, folder)
    if check_checkpoint(newest(folder)) is not None:
        # the kill landed inside the newest save (under load it can): without that half-written
        # folder the copy is a run killed just before the save, and the case runs on the one before
        shutil.rmtree(newest(folder))
    broken = newest(folder)
    step = int(broken.name.split("-")[1])
    assert check_checkpoint(broken) is None and step >= 4
    corrupt(broken)
    lines = []
    resumed = prepare_checkpoints(folder, (folder / "fingerprint.txt").read_text(), lines.append)
    assert resumed == str(folder / f"checkpoint-{step - 2}")
    assert lines[0].startswith(f"skipping checkpoint checkpoint-{step}: ") and message in lines[0], lines
    assert not broken.exists()
    steps = [json.loads(line)["step"] for line in (folder / "train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, step - 1))  # the log is cut back to the checkpoint


def test_no_complete_checkpoint_starts_over(killed, tmp_path):
    folder = tmp_path / "ckpt"
    shutil.copytree(killed, folder)
    for checkpoint in folder.glob("checkpoint-*"):
        (checkpoint / "trainer_state.json").unlink(missing_ok=True)  # the kill may have landed inside a save
    lines = []
    assert prepare_checkpoints(folder, (folder / "fingerprint.txt").read_text(), lines.append) is None
    assert len(lines) == len(list(killed.glob("checkpoint-*"))) and not (folder / "train_log.jsonl").exists()


def test_weights_differ_from_a_different_seed(world, uninterrupted, tmp_path):
    """Guards the equality tests above: another seed gives other weights."""
    process = run_training(world, "finetune", world / "mix50.json", tmp_path / "m", {**SETTINGS, "seed": 7})
    assert process.wait(timeout=600) == 0, process.stdout.read()
    assert changed(uninterrupted, weights(tmp_path / "m"))
    assert all(torch.isfinite(t).all() for t in weights(tmp_path / "m").values())
