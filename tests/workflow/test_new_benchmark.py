"""A 10th benchmark is an adapter, a toy generator, one declaration (mlan/benchmarks.py) and
config lines: every list of benchmarks follows (datasets, schema, scoring, averages, table
columns, the workflow's jobs). A throw-away one, ``boolq2`` (BoolQ under another name), in a
copy of the workflow."""

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, copy_workflow, snakemake

NAME, LABEL = "boolq2", "BoolQ-2"


@pytest.fixture(scope="module")
def workflow_with_a_tenth(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("tenth") / "workflow")
    adapter = (ROOT / "mlan/data/sources/boolq.py").read_text().replace('name="boolq"', f'name="{NAME}"')
    (workdir / f"mlan/data/sources/{NAME}.py").write_text(adapter)
    (workdir / f"mlan/data/toy/{NAME}.py").write_text((ROOT / "mlan/data/toy/boolq.py").read_text())
    declarations = workdir / "mlan/benchmarks.py"
    line = '    Benchmark("boolq", "BoolQ", "text"),\n'
    text = declarations.read_text()
    assert line in text
    declarations.write_text(text.replace(line, line + f'    Benchmark("{NAME}", "{LABEL}", "text"),\n'))
    config = workdir / "config/config.yaml"
    text = config.read_text()
    text = text.replace(
        "  boolq: {source: {toy: {rows: 60}}}\n",
        f"  boolq: {{source: {{toy: {{rows: 60}}}}}}\n  {NAME}: {{source: {{toy: {{rows: 20}}}}}}\n",
    )
    text = text.replace("benchmarks: [race, openbookqa, boolq,", f"benchmarks: [race, openbookqa, boolq, {NAME},")
    assert NAME in text and f"boolq, {NAME}" in text
    config.write_text(text)
    return workdir


def in_copy(workdir, code: str) -> subprocess.CompletedProcess:
    """``code`` run with the copy's mlan first on the path."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, env={"PYTHONPATH": str(workdir)}
    )


def test_every_list_of_benchmarks_follows_the_declaration(workflow_with_a_tenth):
    code = f"""
import json, yaml
from mlan import benchmarks
from mlan.config import check_config
from mlan.catalog import ALL_DATASETS, EVAL_DATASETS
from mlan.data.sources import adapter
from mlan.evaluation.metrics import score
from mlan.results import aggregate, scores, tables
config = yaml.safe_load(open("config/config.yaml"))
check_config(config, "config/schema.yaml")
wrong = dict(config, evaluation=dict(config["evaluation"], benchmarks=["boolq3"]))
try:
    check_config(wrong, "config/schema.yaml")
    refused = ""
except Exception as error:
    refused = str(error)
samples = [dict(id=str(i), correct=i < 3, target="yes", extracted="yes") for i in range(4)]
scored = score("{NAME}", samples, benchmarks.scoring(["{NAME}"])["{NAME}"])
print(json.dumps(dict(
    eval=list(EVAL_DATASETS), all="{NAME}" in ALL_DATASETS, spec=adapter("{NAME}").SPEC.name,
    language=scores.LANGUAGE, labels=scores.LABELS["{NAME}"], columns=aggregate.SUMMARY_COLUMNS,
    headline=scored[:2], refused=refused, table_label=tables.COLUMN_LABELS["{NAME}"],
)))
"""
    result = in_copy(workflow_with_a_tenth, code)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["eval"][:4] == ["race", "openbookqa", "boolq", NAME] and len(found["eval"]) == 10
    assert found["all"] and found["spec"] == NAME
    assert found["language"] == ["race", "openbookqa", "boolq", NAME, "hellaswag"]
    assert found["columns"][:6] == ["race", "openbookqa", "boolq", NAME, "hellaswag", "language_avg"]
    assert found["labels"] == found["table_label"] == LABEL
    assert found["headline"] == ["accuracy", 75.0]
    assert "evaluation.benchmarks.0" in found["refused"] and NAME in found["refused"]


def test_the_workflow_prompts_evaluates_and_tabulates_it(workflow_with_a_tenth):
    """The dry run of the whole default schedules its data, prompts and evaluations (for
    each run), and the table's inputs carry it; its prompts are made for real."""
    import os

    environment = {**os.environ, "PYTHONPATH": str(workflow_with_a_tenth)}
    old = os.environ.copy()
    os.environ.update(environment)
    try:
        planned = snakemake(workflow_with_a_tenth, "-n", "--quiet", "rules").stdout
        dry = snakemake(workflow_with_a_tenth, "-n", "-p").stdout
        made = snakemake(workflow_with_a_tenth, f"results/eval/prompts/clean/{NAME}.jsonl")
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert "evaluate" in planned
    assert f"results/data/{NAME}.jsonl" in dry
    evaluated = set(re.findall(rf"results/eval/[\w.-]+/[\w.-]+/{NAME}\.json", dry))
    assert len(evaluated) >= 8, sorted(evaluated)  # every run of the default, Pretrain included
    assert made.returncode == 0
    items = [json.loads(line) for line in (workflow_with_a_tenth / f"results/eval/prompts/clean/{NAME}.jsonl").open()]
    assert len(items) == 20 and {item["benchmark"] for item in items} == {NAME}
    assert {item["harness"] for item in items} == {"lm_eval"}
