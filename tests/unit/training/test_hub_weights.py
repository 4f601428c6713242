"""Weights named by hub id are fetched on the submit host into a hub cache (here: stand-ins
published in the hub's cache layout, read offline by the real huggingface_hub), and the
processor and the assembly read the fetched snapshot as a local folder."""

import json
import os
import re

import pytest
import torch
import yaml
from conftest import copy_workflow, snakemake

from mlan.errors import SourceError
from mlan.standin.hub_cache import publish
from mlan.standin.weights import save_clip, save_llm
from mlan.training.hub_weights import fetch_weights, hub_parts, is_hub_id, local_spec, snapshot_folder, write_record

TEXTS = ["USER: What colour is the circle? ASSISTANT: In short, the direct answer is: red"] * 50
LLAMA, CLIP = "meta-llama/Llama-2-7b-hf", "openai/clip-vit-large-patch14-336"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub")
    publish(save_llm(root / "llm", "llama2", TEXTS, 300, seed=1), LLAMA, root / "cache")
    publish(save_clip(root / "clip", seed=2), CLIP, root / "cache")
    return root


def test_hub_ids_and_folders_are_told_apart(tmp_path, monkeypatch):
    assert is_hub_id(LLAMA) and not is_hub_id("/data/llama") and not is_hub_id("./llama") and not is_hub_id("~/x")
    (tmp_path / "org" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)  # an existing relative folder is a folder, whatever its name looks like
    assert not is_hub_id("org/name")
    spec = {"llm": {"source": LLAMA}, "vision": {"source": str(tmp_path)}, "methods": {}}
    assert hub_parts(spec) == ["llm"] and hub_parts({"llm": {"config": {}}, "vision": {"config": {}}}) == []


def test_a_cached_snapshot_is_fetched_offline_and_recorded(cache, tmp_path):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    record = fetch_weights(LLAMA, "main", "models.m.llm.source", str(cache / "cache"))
    snapshot = cache / "cache" / "models--meta-llama--Llama-2-7b-hf" / "snapshots" / record["sha"]
    assert record["snapshot"] == str(snapshot) and (snapshot / "config.json").is_file()
    assert record["sha"] == (snapshot.parent.parent / "refs" / "main").read_text()
    on_disk = {
        p.relative_to(cache / "llm").as_posix(): p.stat().st_size for p in (cache / "llm").rglob("*") if p.is_file()
    }
    assert {name: entry["bytes"] for name, entry in record["files"].items()} == on_disk
    assert any(name.endswith(".safetensors") for name in record["files"])
    write_record(record, tmp_path / "llm.json")
    spec = local_spec(
        {"llm": {"source": LLAMA, "revision": "main"}, "vision": {"source": "/x"}}, [str(tmp_path / "llm.json")]
    )
    assert spec == {"llm": {"source": str(snapshot)}, "vision": {"source": "/x"}}


def test_a_changed_snapshot_file_is_named(cache, tmp_path):
    record = fetch_weights(CLIP, "main", "models.m.vision.source", str(cache / "cache"))
    record["files"]["config.json"]["bytes"] += 1
    write_record(record, tmp_path / "vision.json")
    with pytest.raises(
        SourceError, match=r"config\.json' of openai/clip-vit-large-patch14-336 is missing or changed.*delete"
    ):
        snapshot_folder(tmp_path / "vision.json")


def test_weights_neither_cached_nor_reachable_name_the_way_out(tmp_path):
    message = r"'lmsys/vicuna-7b-v1.5' at 'main' \(models.v.llm.source\) is not in the cache"
    with pytest.raises(SourceError, match=message + r".*hf auth login.*HF_TOKEN.*models.v.llm.source to the folder"):
        fetch_weights("lmsys/vicuna-7b-v1.5", "main", "models.v.llm.source", str(tmp_path))


def test_the_rules_fetch_on_the_submit_host_and_assemble_from_the_snapshot(cache, tmp_path):
    from transformers import AutoModelForCausalLM, LlavaForConditionalGeneration

    workdir = copy_workflow(tmp_path / "workflow")
    overlay = {
        "hub_cache": str(cache / "cache"),
        "models": {"hubby": {"llm": {"source": LLAMA}, "vision": {"source": CLIP}, "methods": {"mlan": 100}}},
        # 576 tokens per image: the default's max_length of 512 would cut every caption's answer
        "training": {"pretrain": {"max_length": 1024}},
    }
    (workdir / "hub.yaml").write_text(yaml.safe_dump(overlay))
    target = "results/models/hubby/base"
    plan = snakemake(workdir, "--configfile=hub.yaml", "-n", target).stdout
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", plan, flags=re.M))
    # the captions too: the base model's job first checks how max_length cuts them
    expected = {"fetch_weights": "2", "processor": "1", "assemble_model": "1", "fetch_source": "1", "normalize": "1"}
    assert jobs == expected | {"total": "6"}, plan
    snakemake(workdir, "--configfile=hub.yaml", target)
    records = {
        part: json.loads((workdir / f"results/weights/hubby/{part}.json").read_text()) for part in ("llm", "vision")
    }
    assert records["llm"]["repo"] == LLAMA and records["vision"]["repo"] == CLIP
    assembled = LlavaForConditionalGeneration.from_pretrained(workdir / target).state_dict()
    llm = AutoModelForCausalLM.from_pretrained(cache / "llm", dtype=torch.float32).state_dict()
    layer = "layers.1.mlp.down_proj.weight"
    assert torch.equal(assembled[f"model.language_model.{layer}"].float(), llm[f"model.{layer}"])
    facts = json.loads((workdir / "results/models/hubby/processor/mlan_model_facts.json").read_text())
    assert facts["tokens_per_image"] == 576
