"""Pretrained weights from the hub, fetched on the submit host (compute nodes often have
no network) into the Hugging Face cache, where every project on the cluster shares them.
The fetch writes a record naming the snapshot folder; the jobs read that folder as a
local one and never contact the hub."""

from __future__ import annotations

import json
from pathlib import Path

from mlan.atomic import write_text
from mlan.data.download import sha256_of
from mlan.errors import SourceError

# What a model folder needs besides its weights: configs, tokenizers, processor settings.
SIDE_FILES = ["*.json", "*.model", "*.txt"]
WEIGHT_FILES = (["*.safetensors"], ["*.bin"])  # safetensors where the repo has them


def is_hub_id(source: str) -> bool:
    """``org/name`` on the hub, not a folder (absolute, ./relative, ~, or one that exists)."""
    return not source.startswith(("/", ".", "~")) and not Path(source).expanduser().is_dir()


def hub_parts(spec: dict) -> list[str]:
    """The parts (``llm``, ``vision``) of a model spec that come from the hub."""
    return [part for part in ("llm", "vision") if "source" in spec[part] and is_hub_id(spec[part]["source"])]


def _advice(where: str) -> str:
    return (
        "Run this on a host with hub access (the rule is local: the submit host). For a gated model "
        "(meta-llama/*), accept its licence on the model's hub page, then log in here with "
        "`hf auth login` or set HF_TOKEN. Or download it yourself and set "
        f"{where} to the folder."
    )


def fetch_weights(repo: str, revision: str, where: str, cache_dir: str | None = None) -> dict:
    """Snapshot ``repo`` at ``revision`` into the cache (``cache_dir``, else HF_HUB_CACHE /
    HF_HOME); a snapshot already there is used without downloading, also offline."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        for weights in WEIGHT_FILES:
            snapshot = Path(
                snapshot_download(repo, revision=revision, cache_dir=cache_dir, allow_patterns=SIDE_FILES + weights)
            )
            if any(snapshot.glob(pattern) for pattern in weights):
                break
    except GatedRepoError as error:
        raise SourceError(
            f"'{repo}' ({where}) is gated and this host's token may not read it: {error}. {_advice(where)}"
        ) from None
    except RepositoryNotFoundError as error:
        raise SourceError(f"'{repo}' ({where}) is not on the hub or needs a login: {error}. {_advice(where)}") from None
    except LocalEntryNotFoundError as error:
        raise SourceError(
            f"'{repo}' at '{revision}' ({where}) is not in the cache and the hub is unreachable: {error}. "
            + _advice(where)
        ) from None
    files = sorted(p for p in snapshot.rglob("*") if p.is_file())
    if not any(p.suffix in (".safetensors", ".bin") for p in files):
        raise SourceError(f"'{repo}' at '{revision}' ({where}) has no .safetensors or .bin weights")
    return {
        "repo": repo,
        "revision": revision,
        "sha": snapshot.name,
        "snapshot": str(snapshot),
        "files": {str(p.relative_to(snapshot)): {"bytes": p.stat().st_size, "sha256": sha256_of(p)} for p in files},
    }


def write_record(record: dict, path: str | Path) -> None:
    write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def snapshot_folder(record_path: str | Path) -> str:
    """The snapshot a record names, after checking that its files are all there, whole."""
    return checked_snapshot(json.loads(Path(record_path).read_text()), record_path)


def checked_snapshot(record: dict, record_path: str | Path) -> str:
    """The folder of a record (in the file ``record_path``), its files all there, whole."""
    snapshot = Path(record["snapshot"])
    for relative, expected in record["files"].items():
        file = snapshot / relative
        if not file.is_file() or file.stat().st_size != expected["bytes"]:
            raise SourceError(
                f"'{file}' of {record['repo'] or 'a local folder'} is missing or changed since it was fetched "
                f"({record_path}); delete {record_path} to fetch it again"
            )
    return str(snapshot)


def local_spec(spec: dict, records: list[str]) -> dict:
    """``spec`` (llm, vision, ...) with each hub part pointed at its fetched snapshot; the
    records are ``.../{part}.json``."""
    local = {key: dict(value) if isinstance(value, dict) else value for key, value in spec.items()}
    for record in records:
        part = Path(record).stem
        local[part] = {"source": snapshot_folder(record)}
    return local


def local_record(folder: str | Path, where: str) -> dict:
    """A folder the user (or the toy) provides, recorded as a fetch would record it."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SourceError(f"'{folder}' ({where}) is not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {
        "repo": None,
        "revision": None,
        "sha": None,
        "snapshot": str(folder.resolve()),
        "files": {str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": sha256_of(p)} for p in files},
    }


def resolve(source: str, revision: str, where: str, cache_dir: str | None) -> dict:
    """A hub id fetched into the cache, or a local folder, as a record."""
    if is_hub_id(source):
        return fetch_weights(source, revision, where, cache_dir)
    return local_record(source, where)


def released_sources(name: str, spec: dict, cache_dir: str | None, toy: str | Path | None = None) -> dict:
    """A released checkpoint (``released.checkpoints.<name>``) and the CLIP tower it names
    (its ``vision`` key, else its config's ``mm_vision_tower``), each as a record."""
    where = f"released.checkpoints.{name}"
    if toy is not None:
        return {
            "checkpoint": local_record(Path(toy) / "checkpoint", where),
            "vision": local_record(Path(toy) / "vision", where),
        }
    checkpoint = resolve(spec["source"], spec.get("revision", "main"), f"{where}.source", cache_dir)
    config_file = Path(checkpoint["snapshot"]) / "config.json"
    if not config_file.is_file():
        raise SourceError(f"'{spec['source']}' ({where}.source) has no config.json: not a LLaVA checkpoint")
    tower = spec.get("vision") or json.loads(config_file.read_text()).get("mm_vision_tower")
    if not tower:
        raise SourceError(f"'{spec['source']}' names no vision tower (config.json mm_vision_tower); set {where}.vision")
    vision_where = f"{where}.vision" if spec.get("vision") else f"mm_vision_tower of {where}.source"
    return {"checkpoint": checkpoint, "vision": resolve(tower, "main", vision_where, cache_dir)}
