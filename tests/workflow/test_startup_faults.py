"""Bad input stops Snakemake before any job runs, naming what to fix."""

from __future__ import annotations

import copy
import json

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
