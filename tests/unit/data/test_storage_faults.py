"""A full disk, a damaged source or a partial download is named and leaves no half-written
output (mlan.atomic, mlan.data.download)."""

from __future__ import annotations

import errno
import os

import pytest

from mlan import atomic
from mlan.atomic import DiskFullError
from mlan.data.download import fetch_hub, fetch_toy
from mlan.data.images import ImageStore
from mlan.data.mixture import write_json
from mlan.data.normalize import normalize_dataset
from mlan.data.records import Record, write_records
from mlan.errors import SourceError


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


DAMAGE = {
    "truncated": (lambda path: path.write_bytes(path.read_bytes()[:100]), r"has 100 bytes, \d+ were downloaded"),
    "missing": (lambda path: path.unlink(), "is missing"),
    "same size, other bytes": (lambda path: path.write_bytes(b"x" * path.stat().st_size), "does not match its SHA-256"),
}


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
