"""Faults below the workflow: training killed (SIGKILL) and rerun, half-written or corrupt
checkpoints, a full disk on every output writer, partial downloads. Expected: resume or a
clear error, never a file that looks complete but is not, and the same final weights as an
uninterrupted run."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import time

import pytest
import torch
from conftest import FAST
from test_training import changed, run_training, weights

from mlan import atomic
from mlan.atomic import DiskFullError
from mlan.data.download import fetch_hub, fetch_toy
from mlan.data.images import ImageStore
from mlan.data.mixture import write_json
from mlan.data.normalize import normalize_dataset
from mlan.data.records import Record, write_records
from mlan.errors import SourceError
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


def truncate(name):
    def corrupt(checkpoint):
        path = checkpoint / name
        if path.exists():  # (already cut short when the kill landed inside this save)
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return corrupt


def test_half_written_checkpoint_falls_back_to_the_previous_one(world, killed, uninterrupted, tmp_path):
    output, log = resume(world, killed, tmp_path, truncate("model.safetensors"))
    step = int(newest(killed).name.split("-")[1])
    assert f"skipping checkpoint checkpoint-{step}: " in log
    assert f"checkpoint-{step - 2}\n" in log.split("resume from: ")[1]
    assert changed(uninterrupted, weights(output)) == set()


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


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_corrupt_checkpoint_is_skipped_with_a_log_line(killed, tmp_path, case):
    corrupt, message = CORRUPTIONS[case]
    folder = tmp_path / "ckpt"
    shutil.copytree(killed, folder)
    broken = newest(folder)
    step = int(broken.name.split("-")[1])
    if check_checkpoint(broken) is not None:
        pytest.skip("the kill landed inside the newest save; the half-written case is covered above")
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


# --- a full disk: a real ENOSPC from the kernel (/dev/full) on every kind of output ---------


def full_disk(path):
    """Make the next write of ``path`` (through its temporary file) fail with ENOSPC."""
    atomic.temporary(path).symlink_to("/dev/full")


RECORD = Record(id="1", dataset="squad", task="qa", modality="text", answer_type="short", question="q", answer="a")


def png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


WRITERS = {
    "normalized records": (lambda path: write_records([RECORD] * 3, path), "records.jsonl"),
    "mixture / token / score JSON": (lambda path: write_json({"a": [1] * 100}, path), "train.json"),
    "scores CSV and prompts": (lambda path: atomic.write_text(path, "model,score\n" * 100), "scores.csv"),
    "an image": (lambda path: ImageStore(path.parent.parent, path.parent.name).save(png(), "x"), "images/x.png"),
}


@pytest.mark.parametrize("case", WRITERS)
def test_disk_full_names_the_file_and_keeps_the_old_one(tmp_path, case):
    write, relative = WRITERS[case]
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix != ".png":
        path.write_text("old, complete content\n")
    full_disk(path)
    with pytest.raises(DiskFullError, match=rf"no space left on the device while writing '{path}'") as error:
        write(path)
    assert error.value.__cause__.errno == errno.ENOSPC
    assert not os.path.lexists(atomic.temporary(path))
    if path.suffix == ".png":
        assert not path.exists()
    else:
        assert path.read_text() == "old, complete content\n"


def test_disk_full_while_normalizing_leaves_no_output(tmp_path):
    fetch_toy("squad", tmp_path / "src", 30, 0)
    output = tmp_path / "data" / "squad.jsonl"
    output.parent.mkdir()
    full_disk(output)
    with pytest.raises(DiskFullError, match="squad.jsonl"):
        normalize_dataset("squad", tmp_path / "src", output, tmp_path / "images")
    assert not output.exists() and not output.with_suffix(".stats.json").exists()


# --- partial downloads ---------------------------------------------------------------------

DAMAGE = {
    "truncated": (lambda path: path.write_bytes(path.read_bytes()[:100]), r"has 100 bytes, \d+ were downloaded"),
    "missing": (lambda path: path.unlink(), "is missing"),
    "same size, other bytes": (lambda path: path.write_bytes(b"x" * path.stat().st_size), "does not match its SHA-256"),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_damaged_source_is_named_before_it_is_read(tmp_path, case):
    damage, message = DAMAGE[case]
    manifest = fetch_toy("vqav2", tmp_path / "src", 10, 0)
    assert set(manifest["checksums"]) == set(manifest["files"])
    (relative,) = [name for name in manifest["files"] if name.endswith(".parquet")]
    damage(tmp_path / "src" / relative)
    with pytest.raises(SourceError, match=rf"'{tmp_path / 'src' / relative}' {message}.*delete '.*src' to refetch"):
        normalize_dataset("vqav2", tmp_path / "src", tmp_path / "out.jsonl", tmp_path / "images")
    assert not (tmp_path / "out.jsonl").exists()


class FakeHub:
    """The hub's listing and a download that comes back short ``short`` times (no network
    here): what an interrupted transfer leaves."""

    def __init__(self, monkeypatch, content: bytes, short: int):
        import huggingface_hub

        self.content, self.short, self.calls = content, short, 0
        hub = self

        class Api:
            def dataset_info(self, repo, revision, files_metadata):
                sibling = type("Sibling", (), {"rfilename": "data/train.parquet", "size": len(hub.content)})
                return type("Info", (), {"sha": "f" * 40, "siblings": [sibling]})

        monkeypatch.setattr(huggingface_hub, "HfApi", Api)
        monkeypatch.setattr(huggingface_hub, "snapshot_download", self.download)

    def download(self, repo, repo_type, revision, allow_patterns, local_dir, force_download):
        self.calls += 1
        data = self.content[:10] if self.calls <= self.short else self.content
        (local_dir / "data").mkdir(exist_ok=True)
        (local_dir / "data" / "train.parquet").write_bytes(data)


def test_partial_hub_download_is_fetched_again(monkeypatch, tmp_path):
    hub = FakeHub(monkeypatch, b"parquet bytes " * 100, short=1)
    manifest = fetch_hub("squad", tmp_path / "src", "rajpurkar/squad", "main", {"main": "data/*.parquet"})
    assert hub.calls == 2 and manifest["checksums"]["data/train.parquet"]["bytes"] == 1400


def test_partial_hub_download_twice_is_named(monkeypatch, tmp_path):
    FakeHub(monkeypatch, b"parquet bytes " * 100, short=2)
    with pytest.raises(
        SourceError, match=r"incomplete download .*'data/train\.parquet' has 10 bytes, the hub lists 1400"
    ):
        fetch_hub("squad", tmp_path / "src", "rajpurkar/squad", "main", {"main": "data/*.parquet"})
    assert not (tmp_path / "src" / "SOURCE.json").exists()


def test_weights_differ_from_a_different_seed(world, uninterrupted, tmp_path):
    """Guards the equality tests above: another seed gives other weights."""
    process = run_training(world, "finetune", world / "mix50.json", tmp_path / "m", {**SETTINGS, "seed": 7})
    assert process.wait(timeout=600) == 0, process.stdout.read()
    assert changed(uninterrupted, weights(tmp_path / "m"))
    assert all(torch.isfinite(t).all() for t in weights(tmp_path / "m").values())
