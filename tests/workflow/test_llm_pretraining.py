"""The overlay config/pretrained_llm.yaml through Snakemake (shortened): the corpus, the
LLM's pretraining and the assembly that starts from it run as rules."""

import copy
import json

import torch
import yaml
from conftest import ROOT, snakemake
from safetensors.torch import load_file

OVERLAY = yaml.safe_load((ROOT / "config" / "pretrained_llm.yaml").read_text())


def test_the_base_model_starts_from_the_llm_its_rule_pretrained(workflow):
    short = copy.deepcopy(OVERLAY)
    short["models"]["tiny"]["llm_pretraining"] |= {"corpus": {"strategyqa": 30, "squad": 20}, "steps": 4}
    (workflow / "short.yaml").write_text(yaml.safe_dump(short))
    snakemake(workflow, "--configfile=short.yaml", "results/models/tiny/base")
    results = workflow / "results"
    assert len((results / "data/llm_corpus/tiny.jsonl").read_text().splitlines()) == 50
    facts = json.loads((results / "models/tiny/llm_pretraining.json").read_text())
    assert facts["steps"] == 4 and facts["texts"] == 50 and facts["loss"] == "answers"
    llm = load_file(str(results / "models/tiny/llm/model.safetensors"))
    base = load_file(str(results / "models/tiny/base/model.safetensors"))
    # the base is saved in the classic layout (make_portable): the LLM under language_model.
    for name in ("lm_head.weight", "model.layers.3.self_attn.q_proj.weight", "model.embed_tokens.weight"):
        assert torch.equal(base[f"language_model.{name}"], llm[name]), name
