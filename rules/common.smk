import functools
import json
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from mlan import rule_code
from mlan.config import canonical, check_config, refuse_duplicate_keys
from mlan.benchmarks import scoring as benchmark_scoring
from mlan.catalog import ALL_DATASETS, PRETRAIN_DATASETS, TRAIN_DATASETS
from mlan.data.templates import Formatting
from mlan.evaluation.protocol import PRESETS, Protocol
from mlan.grid import Grid
from mlan.provenance import export as export_provenance
from mlan.names import (
    EVAL_FOLDER,
    FINETUNED_MODEL,
    MIX_PATTERN,
    MIXTURE_FOLDER,
    PRETRAINED_MODEL,
    RUN_PATTERN,
    SCORE_FILE,
    TOKEN_FILE,
    Mix,
    Run,
)
from mlan.training.hub_weights import hub_parts, is_hub_id

min_version("9.0")


# a key given twice in a config file: YAML keeps the last silently
refuse_duplicate_keys(workflow.configfiles)
check_config(
    config, workflow.source_path("../config/schema.yaml"), workflow.configfiles
)
if Path(config["instructions"]).is_file():
    refuse_duplicate_keys([config["instructions"]])
validate(config, schema="../config/schema.yaml")
# Every mapping's keys sorted (defaults included): the params made from the config do not
# depend on the order its keys were written in, so that order reruns nothing.
_canonical = canonical(config)
config.clear()
config.update(_canonical)
GRID = Grid(config)
for note in GRID.notes():
    print(f"Note: {note}.", file=sys.stderr)
BENCHMARKS = config["evaluation"]["benchmarks"]
# How each is scored (mlan/benchmarks.py): the evaluations' params, not their code.
SCORING = canonical(benchmark_scoring(BENCHMARKS))
# How a benchmark is prompted, run and scored under each protocol (the protocol's choices
# with the config's options over them; which benchmarks run is in the targets, not here).
PROTOCOLS = {
    name: Protocol.from_config(config["evaluation"], name).settings()
    for name in PRESETS
}
# The grid's evaluations run under `protocol`; the released checkpoints under their list.
PROTOCOL_NAME = config["protocol"]
PROTOCOL = PROTOCOLS[PROTOCOL_NAME]
# How training rows become instructions (mixtures).
FORMATTING = vars(Formatting.from_config(config.get("formatting"), PROTOCOL_NAME))
RELEASED = config.get("released") or {"protocols": [], "checkpoints": {}}
ROOT = Path(workflow.basedir)


# Shell rules run `python`: the interpreter running Snakemake goes first on PATH, so an
# unactivated .venv/bin/snakemake works (a conda environment, when used, goes before it).
# Jobs import `mlan` from this workflow's own tree (PYTHONPATH), so a conda environment
# (envs/pipeline.yaml) needs the dependencies only, not the project installed.
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), os.environ["PATH"]]
)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)


# Provenance (mlan/provenance.py): the commit and config hash every job records.
export_provenance(ROOT, config)


envvars:
    "PATH",
    "PYTHONPATH",
    "MLAN_GIT_COMMIT",
    "MLAN_GIT_DIRTY",
    "MLAN_CONFIG_SHA256",


wildcard_constraints:
    dataset="|".join(ALL_DATASETS),
    mix=MIX_PATTERN,
    seed=r"\d+",
    model="|".join(GRID.models),
    run=RUN_PATTERN,
    benchmark="|".join(BENCHMARKS),
    protocol="|".join(PRESETS),
    checkpoint="|".join(RELEASED["checkpoints"]) or "(?!)",


@functools.cache
def library(*entries):
    """The library files of a rule's code (mlan/rule_code.py): as inputs, an edit to any of
    them reruns the rule, and an edit to any other module reruns nothing."""
    return rule_code.library(ROOT, *entries)


def get_source_path(wildcards):
    """A local source is read where the user put it; others are fetched into results/."""
    source = GRID.dataset(wildcards.dataset)["source"]
    if "local" in source:
        return source["local"]
    return f"results/sources/{wildcards.dataset}"


def get_fetch_code(wildcards):
    """A toy copy depends on its generator; a hub snapshot on the adapter's file patterns."""
    if GRID.source_kind(wildcards.dataset) == "toy":
        return library(
            "scripts/fetch_source.py", f"mlan/data/toy/{wildcards.dataset}.py"
        )
    return library(
        "scripts/fetch_source.py", f"mlan/data/sources/{wildcards.dataset}.py"
    )


def get_mixture_inputs(wildcards):
    return [
        f"results/data/{name}.jsonl"
        for name in GRID.mixture_datasets(Mix.parse(wildcards.mix))
    ]


def get_tokenizer_corpus(wildcards):
    """Tiny models learn their tokenizer from the toy training text; others load theirs."""
    if "config" not in config["models"][wildcards.model]["llm"]:
        return []
    return [f"results/data/{name}.jsonl" for name in TRAIN_DATASETS + PRETRAIN_DATASETS]


def get_architecture(wildcards):
    """What the processor and the assembly read of a model: its LLM and vision tower (not
    its recipes, so a changed ratio rebuilds neither)."""
    spec = config["models"][wildcards.model]
    return {
        key: spec[key]
        for key in ("llm", "vision", "image_aspect_ratio", "projector")
        if key in spec
    }


def get_weight_records(wildcards):
    """The fetch records of a model's hub-hosted parts (a local folder or a config has none)."""
    return [
        f"results/weights/{wildcards.model}/{part}.json"
        for part in hub_parts(config["models"][wildcards.model])
    ]


def llm_pretraining(model):
    """A config-built LLM's own pretraining settings (None: it starts random); a pretrained
    LLM has had its own."""
    spec = config["models"][model]
    settings = spec.get("llm_pretraining")
    if settings is None:
        return None
    if "config" not in spec["llm"]:
        raise WorkflowError(
            f"models.{model}.llm_pretraining: set for a pretrained LLM ({spec['llm']['source']}); "
            "it applies to an LLM built from its config only"
        )
    unknown = sorted(set(settings["corpus"]) - set(ALL_DATASETS))
    if unknown:
        raise WorkflowError(
            f"models.{model}.llm_pretraining.corpus: no toy generator for {', '.join(unknown)} "
            f"(known: {', '.join(ALL_DATASETS)})"
        )
    if settings["seed"] == config.get("toy_seed"):
        raise WorkflowError(
            f"models.{model}.llm_pretraining.seed: equal to toy_seed ({config['toy_seed']}), so "
            "the LLM would pretrain on the very rows it is later tuned and evaluated on"
        )
    return settings


def get_pretrained_llm(wildcards):
    """The LLM the assembly starts from when the model pretrains its own (else none)."""
    if llm_pretraining(wildcards.model) is None:
        return []
    return f"results/models/{wildcards.model}/llm"


def get_llm_corpus(wildcards):
    """The text a tiny LLM pretrains on, which its tokenizer learns from too (else none)."""
    if llm_pretraining(wildcards.model) is None:
        return []
    return f"results/data/llm_corpus/{wildcards.model}.jsonl"


def get_llm_corpus_code(wildcards):
    """The corpus script and, for each toy set it generates, its generator and adapter
    (loaded by name, so the import walker cannot see them)."""
    names = sorted(llm_pretraining(wildcards.model)["corpus"])
    return library(
        "scripts/llm_corpus.py",
        *[f"mlan/data/toy/{name}.py" for name in names],
        *[f"mlan/data/sources/{name}.py" for name in names],
    )


def is_tiny(model):
    """A model built from configs (the embedded default) rather than loaded weights."""
    return "config" in config["models"][model]["llm"]


def is_toy_released(checkpoint):
    """A released checkpoint the embedded default generates (`source: toy`)."""
    return RELEASED["checkpoints"][checkpoint]["source"] == "toy"


def get_released_inputs(wildcards):
    """What fetch_released reads from disk: the toy it resolves, or the local folders the
    config names (a hub id is fetched, nothing local)."""
    spec = RELEASED["checkpoints"][wildcards.checkpoint]
    if is_toy_released(wildcards.checkpoint):
        return [f"results/released/{wildcards.checkpoint}/toy"]
    return [
        path
        for path in (spec["source"], spec.get("vision"))
        if path is not None and not is_hub_id(path)
    ]


def get_launcher(wildcards, resources):
    """Multi-node training: with resources `mpi: srun` and `tasks` (one task per node), the
    rule starts `srun` itself, one mlan.training.launch per node (the job step's SLURM_* variables
    are stripped, so the step's shape is spelled out). Nothing otherwise."""
    if "mpi" not in resources.keys():
        return ""
    tasks, nodes = resources.get("tasks", 1), resources.get("nodes", 1)
    if tasks % nodes:
        raise WorkflowError(
            f"resources: tasks ({tasks}) must be a multiple of nodes ({nodes}), one task per node"
        )
    return (
        f"{resources.mpi} --ntasks={tasks} --ntasks-per-node={tasks // nodes}"
        f" --cpus-per-task={resources.get('cpus_per_task', 1)} --kill-on-bad-exit=1 "
    )


def stage_settings(stage, model, run, **overrides):
    """The stage's hyperparameters as the JSON the training entry point reads: its images
    padded or cropped as the stage says, else as the model does; with `report_to:
    tensorboard`, where its event files go."""
    settings = {**config["training"][stage], **overrides}
    if settings.get("image_aspect_ratio") is None:
        settings["image_aspect_ratio"] = config["models"][model].get(
            "image_aspect_ratio", "pad"
        )
    if settings.get("report_to", "none") == "tensorboard":
        settings["tensorboard_dir"] = f"results/logs/tensorboard/{stage}/{run}"
    return json.dumps(settings, sort_keys=True)


def get_mixture_images(wildcards):
    """Image folders of the vision datasets a mixture draws from."""
    return [
        f"results/data/images/{name}"
        for name in GRID.mixture_datasets(Mix.parse(wildcards.mix))
        if GRID.modality(name) == "vision"
    ]


# lm-eval and lmms-eval load the task folders by path: their YAML files and the utils.py
# they name (code, with its own mlan imports).
EVALUATION_TASK_FILES = sorted(
    str(path.relative_to(ROOT))
    for path in Path(ROOT, "mlan/evaluation/tasks").rglob("*")
    if path.suffix in (".yaml", ".py")
)
EVALUATION_TASK_CODE = [path for path in EVALUATION_TASK_FILES if path.endswith(".py")]
# mlan.training.launch runs mlan.training.train by name (under torchrun).
TRAINING_CODE = library("mlan/training/launch.py", "mlan/training/train.py")


def get_evaluated_model(wildcards):
    return Run.parse(wildcards.model, wildcards.run).model_folder


TEXT_TRAINING = [n for n in TRAIN_DATASETS if GRID.modality(n) == "text"]
VISION_TRAINING = [n for n in TRAIN_DATASETS if GRID.modality(n) == "vision"]


def recipes(models):
    """The methods training on each mixture, per model (Table 2 names its rows by them)."""
    return {
        model: {str(mix): GRID.methods_of(model, mix) for mix in GRID.mixes(model)}
        for model in models
    }


# The runs each score table and figure shows (rules score_table, score_figure).
SCORE_TABLES = {"table1": GRID.method_runs, "table5": GRID.ratio_runs}
SCORE_FIGURES = {
    "figure5": GRID.method_runs,
    "figure6": GRID.ratio_runs,
    "figure7": GRID.scaling_runs,
}

# `analysis.error_bars: items`: the tables' ± and the figures' error bars are the items' 95 %
# intervals (the intervals table), not the seeds' standard deviation
ERROR_BAR_INTERVALS = (
    ["results/tables/intervals.csv"]
    if config["analysis"]["error_bars"] == "items"
    else []
)


def get_template_instructions(wildcards):
    """The prompt tables, for a protocol whose prompts are the templates (the official
    prompts read none: an edit to them reruns no official prompt file)."""
    if PROTOCOLS[wildcards.protocol]["prompts"] == "templates":
        return [config["instructions"]]
    return []


def prompt_files(protocol):
    return [
        f"results/eval/prompts/{protocol}/{benchmark}.jsonl" for benchmark in BENCHMARKS
    ]


def predictions_files(runs):
    return [
        run.eval_file(benchmark, "predictions")
        for run in runs
        for benchmark in BENCHMARKS
    ]


def run_facts(runs):
    """What the interval and significance tables say of each run (mlan.results.significance)."""
    ratio = set(GRID.ratio_runs())
    return [
        {
            "model": run.model,
            "name": run.name,
            "methods": GRID.run_methods(run),
            "percent": None if run.is_pretrain else float(run.mix.percent),
            "seed": run.seed,
            "ratio": run in ratio,
        }
        for run in runs
    ]


# Every trained model: each model's pretraining and each finetuning.
TRAINED_RUNS = [Run(model) for model in GRID.models] + list(GRID.runs())


def released_score_files():
    """The score file of every released checkpoint under each of its protocols."""
    return [
        f"results/scores/released/{checkpoint}/{protocol}.csv"
        for checkpoint in RELEASED["checkpoints"]
        for protocol in RELEASED["protocols"]
    ]


def data_targets():
    return [f"results/data/{name}.jsonl" for name in ALL_DATASETS]


def mixture_targets():
    return [
        f"{mix.folder(seed)}/{name}"
        for mix in GRID.all_mixes()
        for seed in GRID.seeds
        for name in ("train.json", "stats.json")
    ]


def token_targets():
    return [run.token_file for run in GRID.runs()]


def model_targets():
    return [run.model_folder for run in GRID.evaluated_runs()]


def eval_targets():
    return [
        run.eval_file(benchmark)
        for run in GRID.evaluated_runs()
        for benchmark in BENCHMARKS
    ]


def analysis_targets():
    """Every table and figure the grid has runs for: Tables 5/6 and Figure 6 need a model
    with a ratio grid, Figure 7 one with a budget scaling (said on start-up otherwise).
    """
    tables, figures = [1, 2], [5, 8]
    if GRID.ratio_models:
        tables, figures = tables + [5, 6], figures + [6]
    else:
        print(
            "No model has a ratio_grid: no Table 5, Table 6 or Figure 6.",
            file=sys.stderr,
        )
    if GRID.scaling_models:
        figures.append(7)
    else:
        print("No model has a budget_scaling: no Figure 7.", file=sys.stderr)
    return (
        [
            "results/scores.csv",
            "results/comparison.md",
            "results/figures/training_curves.png",
        ]
        + [
            f"results/tables/{name}.{ext}"
            for name in ("intervals", "significance", "cost")
            for ext in ("csv", "md")
        ]
        + [
            f"results/tables/table{n}.{ext}"
            for n in tables
            for ext in ("csv", "md", "html", "tex")
        ]
        + [
            f"results/figures/figure{n}.{ext}"
            for n in figures
            for ext in ("png", "pdf")
        ]
    )


def released_targets():
    return ["results/released/comparison.md"] if RELEASED["checkpoints"] else []


def all_targets():
    return (
        data_targets()
        + mixture_targets()
        + token_targets()
        + model_targets()
        + eval_targets()
        + analysis_targets()
        + released_targets()
    )
