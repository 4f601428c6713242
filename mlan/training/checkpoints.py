"""Is a training checkpoint complete? The Trainer writes a checkpoint's files one after
the other, in place, so a kill or a full disk while saving leaves a folder that looks like
a checkpoint but is not. Resuming from one would fail, or silently restart from step 0
with half-loaded states; these checks are cheap (headers and zip directories, no loading).
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path

from mlan.atomic import write_text

_STEP = re.compile(r"^checkpoint-(\d+)$")
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
STATES = ("optimizer.pt", "scheduler.pt")


def checkpoints_newest_first(folder: Path) -> list[Path]:
    found = [p for p in folder.iterdir() if p.is_dir() and _STEP.match(p.name)] if folder.is_dir() else []
    return sorted(found, key=lambda p: int(_STEP.match(p.name)[1]), reverse=True)


FINGERPRINT = "mlan_fingerprint.txt"  # what a checkpoint was made from (mlan.training.train.fingerprint)


def check_checkpoint(folder: Path, fingerprint: str | None = None) -> str | None:
    """What is wrong with a checkpoint folder, or None when it is complete (and, given a
    fingerprint, made from the same inputs and settings: a checkpoint copied in from another
    run is not resumed)."""
    state_file = folder / "trainer_state.json"  # the Trainer writes it last
    if not state_file.is_file():
        return "trainer_state.json is missing (the save did not finish)"
    try:
        step = json.loads(state_file.read_text())["global_step"]
    except (ValueError, KeyError) as error:
        return f"trainer_state.json is unreadable ({type(error).__name__}: {error})"
    if f"checkpoint-{step}" != folder.name:
        return f"trainer_state.json is for step {step}"
    deepspeed = [p for p in folder.glob("global_step*") if p.is_dir()]
    if not deepspeed:
        if not any((folder / name).is_file() for name in WEIGHTS):
            return "no model weights"
        missing = [name for name in STATES if not (folder / name).is_file()]
        if missing:
            return f"{', '.join(missing)} missing"
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        problem = _check_file(file)
        if problem:
            return f"{file.relative_to(folder)}: {problem}"
    if fingerprint is not None:
        stamp = folder / FINGERPRINT
        if not stamp.is_file():
            return f"{FINGERPRINT} is missing (from another run, or the save did not finish)"
        if stamp.read_text() != fingerprint:
            return "made from other inputs or settings (its fingerprint differs)"
    return None


def _check_file(path: Path) -> str | None:
    if path.suffix == ".safetensors":
        return _check_safetensors(path)
    if path.suffix in (".pt", ".pth", ".bin"):
        # torch.save writes a zip archive: truncation loses its central directory
        try:
            with zipfile.ZipFile(path) as archive:
                archive.infolist()
        except (zipfile.BadZipFile, OSError) as error:
            return f"not a complete torch file ({error})"
    if path.suffix == ".json":
        try:
            json.loads(path.read_text())
        except ValueError as error:
            return f"unreadable JSON ({error})"
    return None


def _check_safetensors(path: Path) -> str | None:
    """The header's tensor offsets must end exactly at the end of the file."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > size - 8:
                return f"truncated header ({size} bytes)"
            header = json.loads(handle.read(length))
    except (struct.error, ValueError) as error:
        return f"unreadable header ({error})"
    end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
    if 8 + length + end != size:
        return f"{size} bytes, the header describes {8 + length + end} (truncated)"
    return None


def trim_step_log(log: Path, resume: Path | None) -> None:
    """Drop step-log lines past the checkpoint resumed from (a hard kill leaves steps that
    will run again), so the final log has each step once."""
    if not log.is_file():
        return
    if resume is None:
        log.unlink()
        return
    step = int(_STEP.match(resume.name)[1])
    kept = []
    for line in log.read_text().splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line + "\n")
        except (ValueError, KeyError):
            break  # a half-written last line
    write_text(log, "".join(kept))
