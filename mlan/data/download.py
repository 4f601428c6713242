"""Getting a dataset's raw files: a hub snapshot at a revision, or a generated toy copy.

Hub downloads need network access (run on a login node: the rule is local); everything
downstream reads the files offline. The resolved commit is recorded in SOURCE.json.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from mlan.atomic import write_text
from mlan.data.sources import toy_generator
from mlan.errors import SourceError

# Files a dataset needs besides its parts' patterns.
EXTRA_FILES = {"llava_pretrain": ["images.zip"]}
MANIFEST = "SOURCE.json"


def fetch_toy(name: str, target: str | Path, rows: int, seed: int) -> dict:
    target = Path(target)
    _fresh(target)
    toy_generator(name).generate(target, rows, seed)
    return _write_manifest(target, {"kind": "toy", "dataset": name, "rows": rows, "seed": seed})


def fetch_hub(name: str, target: str | Path, hub: str, revision: str, patterns: dict[str, str]) -> dict:
    """Download the files matching ``patterns`` (part -> glob, as resolved by the grid).

    Every file's size is checked against the hub's listing; a short (partial) file is
    downloaded once more, then named in the error if it is still wrong.
    """
    from huggingface_hub import HfApi, snapshot_download

    target = Path(target)
    _fresh(target)
    wanted = list(patterns.values()) + EXTRA_FILES.get(name, [])
    try:
        info = HfApi().dataset_info(hub, revision=revision, files_metadata=True)
        sha = info.sha
        expected = {sibling.rfilename: sibling.size for sibling in info.siblings or [] if sibling.size is not None}
        for attempt in range(2):
            snapshot_download(
                hub,
                repo_type="dataset",
                revision=sha,
                allow_patterns=wanted,
                local_dir=target,
                force_download=attempt > 0,
            )
            wrong = _wrong_sizes(target, expected)
            if not wrong:
                break
    except Exception as error:  # network, auth, missing repo: all end the same way for the user
        raise SourceError(
            f"dataset '{name}': cannot download '{hub}' at revision '{revision}': {error}. "
            f"Without hub access, download it elsewhere and set datasets.{name}.source.local"
        ) from error
    if wrong:
        raise SourceError(f"dataset '{name}': incomplete download from '{hub}' (twice): {'; '.join(wrong)}")
    shutil.rmtree(target / ".cache", ignore_errors=True)
    return _write_manifest(
        target, {"kind": "hub", "dataset": name, "hub": hub, "revision": revision, "sha": sha, "patterns": wanted}
    )


def _wrong_sizes(target: Path, expected: dict[str, int]) -> list[str]:
    found = []
    for path in sorted(p for p in target.rglob("*") if p.is_file() and ".cache" not in p.parts):
        relative = path.relative_to(target).as_posix()
        if relative in expected and path.stat().st_size != expected[relative]:
            found.append(f"'{relative}' has {path.stat().st_size} bytes, the hub lists {expected[relative]}")
    return found


def _fresh(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(target: Path, manifest: dict) -> dict:
    """SOURCE.json, written last: it lists every file with its size and SHA-256, so a
    snapshot that lost or truncated a file later is recognised before it is read."""
    files = sorted(p for p in target.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest["files"] = [str(p.relative_to(target)) for p in files]
    manifest["checksums"] = {
        str(p.relative_to(target)): {"bytes": p.stat().st_size, "sha256": sha256_of(p)} for p in files
    }
    write_text(target / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def verify_manifest(root: str | Path) -> None:
    """Check a fetched source against its SOURCE.json (sizes, then checksums); a folder
    without one (a user's own download) is read as it is."""
    root = Path(root)
    path = root / MANIFEST
    if not root.is_dir() or not path.is_file():
        return
    try:
        manifest = json.loads(path.read_text())
        # a snapshot from before checksums were recorded: its files must at least exist
        checksums = manifest.get("checksums") or {name: None for name in manifest["files"]}
    except (ValueError, KeyError, AttributeError) as error:
        raise SourceError(f"'{path}' is unreadable ({error}); delete '{root}' to refetch") from None
    for relative, expected in checksums.items():
        file = root / relative
        problem = None
        if not file.is_file():
            problem = "is missing"
        elif expected is None:
            continue
        elif file.stat().st_size != expected["bytes"]:
            problem = f"has {file.stat().st_size} bytes, {expected['bytes']} were downloaded"
        elif sha256_of(file) != expected["sha256"]:
            problem = "does not match its SHA-256"
        if problem:
            raise SourceError(f"'{file}' {problem} (see {path}): the copy is incomplete; delete '{root}' to refetch")
