"""Bad input stops Snakemake before any job runs, naming what to fix."""

from __future__ import annotations

import copy
import json
import re

import yaml
from conftest import ROOT, snakemake

DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_snakemake_refuses_a_duplicate_key_before_any_job(workflow):
    (workflow / "dup.yaml").write_text("budget: 240\nbudget: 480\n")
    result = snakemake(workflow, "-n", "--configfile=dup.yaml", check=False)
    assert result.returncode != 0 and "key 'budget' is given twice" in result.stdout + result.stderr


def test_snakemake_names_the_line_of_a_yaml_error_in_the_default_config(workflow):
    path = workflow / "config" / "config.yaml"
    path.write_text(path.read_text().replace("seeds: [42]", "seeds: [42", 1))
    result = snakemake(workflow, "-n", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "config/config.yaml: not valid YAML: while parsing a flow sequence (line" in output, output


def test_bad_template_stops_snakemake_before_any_job(workflow):
    path = workflow / "config" / "instructions.yaml"
    path.write_text(path.read_text().replace('short: "{context}{instruction} {question}"', 'short: "{context}{q}"'))
    result = snakemake(workflow, check=False)
    assert result.returncode != 0
    assert "'layout.short' lacks the placeholder(s) {instruction}, {question}" in result.stdout + result.stderr
    assert not (workflow / "results").exists()


def test_skip_policy_through_snakemake_reports_the_count(workflow):
    rows = [
        {"id": "a1", "title": "t", "context": "c", "question": "q?", "answers": {"text": ["x"], "answer_start": [0]}},
        {"id": "a2", "title": "t", "context": "c", "answers": {"text": ["y"], "answer_start": [0]}},
        {"id": "a3", "title": "t", "context": "c", "question": "r?", "answers": {"text": [], "answer_start": []}},
    ]
    local = workflow / "downloads" / "squad.jsonl"
    local.parent.mkdir()
    local.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = copy.deepcopy(DEFAULT)
    config["datasets"]["squad"] = {"source": {"local": str(local)}, "on_bad_rows": "skip"}
    (workflow / "skip.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workflow, "--configfile=skip.yaml", "results/data/squad.jsonl")
    assert "squad: skipped 2 bad row(s) (on_bad_rows: skip)" in result.stderr
    stats = json.loads((workflow / "results/data/squad.stats.json").read_text())
    assert stats["records"] == 1 and stats["bad_rows"] == 2
    assert stats["bad_row_examples"][0].endswith(
        "row 1: missing field 'question' (fields present: ['answers', 'context', 'id', 'title'])"
    )


OVERLAY = yaml.safe_load((ROOT / "config" / "pretrained_llm.yaml").read_text())


def test_an_llm_pretraining_on_the_evaluation_rows_seed_an_unknown_set_or_a_pretrained_llm_stops_the_dry_run(workflow):
    same_seed = copy.deepcopy(OVERLAY)
    same_seed["models"]["tiny"]["llm_pretraining"]["seed"] = DEFAULT["toy_seed"]
    # a second model (a config file's models merge into the default's)
    pretrained = {"models": {"big": copy.deepcopy(DEFAULT["models"]["tiny"])}}
    big = pretrained["models"]["big"]
    big["llm"], big["llm_pretraining"] = (
        {"source": "meta-llama/Llama-2-7b-hf"},
        OVERLAY["models"]["tiny"]["llm_pretraining"],
    )
    unknown = copy.deepcopy(OVERLAY)
    unknown["models"]["tiny"]["llm_pretraining"]["corpus"]["wikitext"] = 10
    for name, config, message in (
        ("seed", same_seed, "models.tiny.llm_pretraining.seed: equal to toy_seed (0)"),
        ("unknown", unknown, "models.tiny.llm_pretraining.corpus: no toy generator for wikitext"),
        ("pretrained", pretrained, "models.big.llm_pretraining: set for a pretrained LLM (meta-llama/Llama-2-7b-hf)"),
    ):
        (workflow / f"{name}.yaml").write_text(yaml.safe_dump(config))
        result = snakemake(workflow, "-n", f"--configfile={name}.yaml", check=False)
        assert result.returncode != 0 and message in result.stdout + result.stderr, (name, result.stderr[-2000:])


def test_the_pretrained_llm_overlay_pretrains_the_llm_after_its_corpus_and_before_the_assembly(workflow):
    result = snakemake(workflow, "-n", "--configfile=config/pretrained_llm.yaml", "results/models/tiny/base")
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout, flags=re.M))
    assert {jobs.get(rule) for rule in ("llm_corpus", "pretrain_llm", "processor", "assemble_model")} == {"1"}, jobs
    blocks = {b.split(":")[0].split()[-1]: b for b in re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout)}
    for rule in ("processor", "pretrain_llm"):  # the tokenizer learns the corpus too
        assert "results/data/llm_corpus/tiny.jsonl" in blocks[rule].split("output:")[0], blocks[rule]
    assert "results/models/tiny/llm" in blocks["assemble_model"].split("output:")[0]
    plain = snakemake(workflow, "-n", "results/models/tiny/base").stdout
    assert "llm_corpus" not in plain and "pretrain_llm" not in plain
