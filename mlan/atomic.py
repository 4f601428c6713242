"""Atomic file writes: a kill or a full disk never leaves a file that looks complete.

Everything is written to ``<name>.tmp`` beside the target and renamed over it only once
the bytes are on disk; on any error the temporary file is removed and the target keeps
its previous content (or stays absent). A full disk is reported naming the file.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from mlan.errors import MlanError

DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class DiskFullError(MlanError):
    """No space (or quota) left while writing an output."""


# How a full disk surfaces from writers that do not raise OSError: safetensors (Rust),
# torch.save (C++ streams), DeepSpeed's checkpoint engine.
DISK_FULL_MESSAGES = ("no space left", "os error 28", "disk quota exceeded", "iostream error", "file write failed")


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno in DISK_FULL:
        return True
    text = str(error).lower()
    return any(marker in text for marker in DISK_FULL_MESSAGES)


@contextmanager
def disk_full_named(path_of: Callable[[], str | Path], what: str) -> Iterator[None]:
    """Around writers we do not control (a Trainer's checkpoint, ``save_pretrained``): a full
    disk, however the writer reports it, becomes a DiskFullError naming the folder written
    and its free space. ``path_of`` is asked at failure time (the step decides the folder)."""
    try:
        yield
    except Exception as error:
        if not is_disk_full(error):
            raise
        path = Path(path_of())
        existing = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
        free = shutil.disk_usage(existing).free / 1e6
        raise DiskFullError(
            f"no space left on the device while writing {what} '{path}' ({free:,.0f} MB free there; "
            f"{type(error).__name__}: {str(error)[:200]})"
        ) from error


def temporary(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".tmp")


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8", sync: bool = True) -> Iterator[IO]:
    """``open`` for writing whose result appears at ``path`` only if the block succeeds;
    ``sync`` also survives a node crash (skipped for many small files, e.g. images)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    try:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        if error.errno in DISK_FULL:
            raise DiskFullError(f"no space left on the device while writing '{path}' ({error.strerror})") from error
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def write_bytes(path: str | Path, data: bytes, sync: bool = True) -> None:
    with atomic_open(path, "wb", sync=sync) as handle:
        handle.write(data)


def write_json(data, path: str | Path, **options) -> None:
    """Deterministic JSON (UTF-8, trailing newline), written atomically."""
    write_text(path, json.dumps(data, ensure_ascii=False, **options) + "\n")
