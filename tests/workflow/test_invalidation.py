"""Editing a library module reruns exactly the jobs whose code imports it.

The expected jobs come from an import graph built independently of the rules' own
(``library`` in rules/common.smk reads the source with ``ast``; this test uses the
bytecode scan of ``modulefinder``) and from each rule's entry points, written out here.
"""

import re
from functools import cache
from modulefinder import ModuleFinder

import pytest
import yaml
from conftest import ROOT, snakemake
from test_pipeline import edited

# the finished default run is one per worker: every test reading it runs on the same one
pytestmark = [pytest.mark.pipeline, pytest.mark.xdist_group("default_run")]

SCRIPT = "scripts/{}.py"
TASK_CODE = ["mlan/evaluation/tasks/lm_eval/utils.py", "mlan/evaluation/tasks/lmms_eval/utils.py"]
TRAINING = ["mlan/training/launch.py", "mlan/training/train.py"]  # launch runs train by name
# the toy sets a tiny LLM pretrains on (config/pretrained_llm.yaml): generated and read by name
OVERLAY = yaml.safe_load((ROOT / "config" / "pretrained_llm.yaml").read_text())
CORPUS = sorted(OVERLAY["models"]["tiny"]["llm_pretraining"]["corpus"])
# Each rule's entry points: its script, the modules it runs or loads by name ({dataset}: the job's).
ENTRY_POINTS = {
    "fetch_source": [SCRIPT.format("fetch_source"), "mlan/data/toy/{dataset}.py"],  # the default's sources are toys
    "normalize": [SCRIPT.format("normalize"), "mlan/data/sources/{dataset}.py"],
    "mixture": [SCRIPT.format("build_mixture")],
    "processor": [SCRIPT.format("build_processor")],
    "count_tokens": [SCRIPT.format("count_tokens")],
    "assemble_model": [SCRIPT.format("assemble_model")],
    "llm_corpus": [SCRIPT.format("llm_corpus")]
    + [f"mlan/data/{kind}/{name}.py" for kind in ("toy", "sources") for name in CORPUS],
    "pretrain_llm": [SCRIPT.format("pretrain_llm")],
    "fetch_weights": [SCRIPT.format("fetch_weights")],
    "export_llm": [SCRIPT.format("export_llm")],
    "pretrain": TRAINING,
    "finetune": TRAINING,
    "eval_prompts": [SCRIPT.format("eval_prompts")],
    "evaluate": [SCRIPT.format("evaluate"), *TASK_CODE],
    "export_tasks": [SCRIPT.format("export_tasks"), *TASK_CODE],
    "run_scores": [SCRIPT.format("run_scores")],
    "scores": [SCRIPT.format("concat_scores")],
    "diversity": [SCRIPT.format("diversity")],
    "comparison": [SCRIPT.format("comparison")],
    "training_curves": [SCRIPT.format("training_curves")],
    "intervals": [SCRIPT.format("intervals")],
    "significance": [SCRIPT.format("significance")],
    "cost": [SCRIPT.format("cost")],
    "toy_released": [SCRIPT.format("toy_released")],
    "fetch_released": [SCRIPT.format("fetch_released")],
    "convert_released": [SCRIPT.format("convert_released")],
    "evaluate_released": [SCRIPT.format("evaluate"), *TASK_CODE],
    "released_scores": [SCRIPT.format("released_scores")],
    "released_comparison": [SCRIPT.format("released_comparison")],
    "score_table": [SCRIPT.format("score_table")],
    "score_figure": [SCRIPT.format("score_figure")],
} | {name: [SCRIPT.format(name)] for name in ("table2", "table6", "figure8")}
MODULES = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "mlan").rglob("*.py"))


@cache
def imported_files(entry: str) -> frozenset[str]:
    """The mlan files running ``entry`` can import (modulefinder, searching the repository only)."""
    finder = ModuleFinder(path=[str(ROOT)])
    finder.run_script(str(ROOT / entry))
    files = {module.__file__ for module in finder.modules.values() if module.__file__}
    return frozenset(str(p.relative_to(ROOT)) for p in map(type(ROOT), files) if p.is_relative_to(ROOT / "mlan"))


def job_code(rule: str, log: str) -> set[str]:
    dataset = log.rsplit("/", 1)[-1].removesuffix(".log")
    entries = [entry.format(dataset=dataset) for entry in ENTRY_POINTS[rule]]
    return {entry for entry in entries if entry.startswith("mlan/")} | set().union(*map(imported_files, entries))


def dry_run(workdir, *args: str) -> dict[tuple[str, str], dict[str, str]]:
    """(rule, log) -> the fields Snakemake prints (input, output, reason, ...) of every job
    of a dry run."""
    found = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", snakemake(workdir, "-n", *args).stdout):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        fields = dict(re.findall(r"^    (\w+): (.+)$", block, re.M))
        if rule and "log" in fields:
            found[(rule[1], fields["log"])] = fields
    return found


@pytest.fixture(scope="module")
def jobs(default_run) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(rule, log) -> (outputs, inputs) of every job, as the rules declare them now."""
    return {
        job: (set(fields["output"].split(", ")), set(fields.get("input", "").split(", ")))
        for job, fields in dry_run(default_run, "--forceall").items()
    }


def scheduled(default_run) -> dict[tuple[str, str], str]:
    """(rule, log) -> reason of every job a dry run schedules."""
    return {job: fields["reason"] for job, fields in dry_run(default_run).items()}


# The mixtures' length reports are ancient inputs of the finetuning jobs: they order them, never rerun them.
ORDERING_ONLY = "results/lengths/"


def with_downstream(jobs, first: set) -> set:
    """``first`` and every job that reads, directly or not, what they write."""
    found, grew = set(first), True
    while grew:
        written = {path for job in found for path in jobs[job][0] if not path.startswith(ORDERING_ONLY)}
        more = {job for job, (_, inputs) in jobs.items() if job not in found and inputs & written}
        found, grew = found | more, bool(more)
    return found


# Rules outside the embedded default's DAG: weights come only from the hub (the tiny
# models have none), the exports are asked for by path, the LLM's own pretraining is the
# overlay config/pretrained_llm.yaml's.
OFF_DAG = {"fetch_weights", "export_llm", "export_tasks", "llm_corpus", "pretrain_llm"}


def test_every_rule_has_its_entry_points_written_here(jobs):
    assert {rule for rule, _ in jobs} == set(ENTRY_POINTS) - OFF_DAG


def test_every_module_is_an_input_of_exactly_the_jobs_whose_code_imports_it(jobs):
    wrong = {}
    for module in MODULES:
        importing = {job for job in jobs if module in job_code(*job)}
        declared = {job for job, (_, inputs) in jobs.items() if module in inputs}
        if declared != importing:
            wrong[module] = {"undeclared": sorted(importing - declared), "not imported": sorted(declared - importing)}
    assert wrong == {}


# Snakemake reruns what an edited input feeds (the test above makes every module such an
# input exactly where it is imported); one dry run per module cost 15 minutes of CI, so the
# edit itself is tried on modules of each reach: one dataset's adapter and toy, the training
# and evaluation code, the figures only, and a module nearly every job imports.
EDITED = [
    "mlan/data/sources/squad.py",
    "mlan/data/toy/squad.py",
    "mlan/training/callbacks.py",
    "mlan/evaluation/tasks/lm_eval/utils.py",
    "mlan/results/figures.py",
    "mlan/names.py",
]


@pytest.mark.parametrize("module", EDITED)
def test_editing_a_module_reruns_exactly_the_jobs_whose_code_imports_it(default_run, jobs, module):
    importing = {job for job in jobs if module in job_code(*job)}
    assert importing
    with edited(default_run / module):
        plan = scheduled(default_run)
    # scheduled: those jobs and what depends on their outputs, nothing else; a job names the
    # edit as its reason unless an upstream job reruns too (Snakemake then names that one)
    assert set(plan) == with_downstream(jobs, importing)
    assert {job for job, reason in plan.items() if module in reason} <= importing
