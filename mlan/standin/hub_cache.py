"""A folder published into a Hugging Face hub cache in the hub's own layout
(``models--org--name/{blobs,snapshots/<commit>,refs/main}``), so that the pipeline's weight
fetch finds it there as it would a real download, offline."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from mlan.data.download import sha256_of


def publish(folder: str | Path, repo: str, cache: str | Path) -> Path:
    """Copy ``folder`` into ``cache`` as ``repo`` at ``main``; returns the snapshot folder.
    The commit id is derived from the files' contents, so the same files give the same id."""
    folder, storage = Path(folder), Path(cache) / f"models--{repo.replace('/', '--')}"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    digests = {p.relative_to(folder).as_posix(): sha256_of(p) for p in files}
    commit = hashlib.sha1("".join(f"{name} {digest}\n" for name, digest in digests.items()).encode()).hexdigest()
    snapshot = storage / "snapshots" / commit
    if storage.exists():
        shutil.rmtree(storage)
    for path in files:
        relative = path.relative_to(folder).as_posix()
        blob = storage / "blobs" / digests[relative]
        blob.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, blob)
        link = snapshot / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
    (storage / "refs").mkdir(parents=True)
    (storage / "refs" / "main").write_text(commit)
    return snapshot
