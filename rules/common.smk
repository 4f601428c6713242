import json
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from mlan.config import check_config
from mlan.grid import Grid
from mlan.sources import ALL_DATASETS, TRAIN_DATASETS, PRETRAIN_DATASETS

min_version("9.0")


check_config(config, workflow.source_path("../config/schema.yaml"))
validate(config, schema="../config/schema.yaml")
GRID = Grid(config)
BENCHMARKS = config["evaluation"]["benchmarks"]


wildcard_constraints:
    dataset="|".join(ALL_DATASETS),
    mix=r"lang\d+(\.\d+)?_n\d+",
    seed=r"\d+",
    model="|".join(GRID.models),
    run=r"pretrain|lang\d+(\.\d+)?_n\d+_seed\d+",
    benchmark="|".join(BENCHMARKS),
    table="table1|table2|table5|table6",
    figure="figure5|figure6|figure7|figure8",


def lib(*modules):
    """Library files a rule's script imports: inputs, so editing them reruns the rule."""
    return [f"mlan/{module}.py" for module in modules]


def source_path(wildcards):
    """A local source is read where the user put it; others are fetched into results/."""
    source = GRID.dataset(wildcards.dataset)["source"]
    if "local" in source:
        return source["local"]
    return f"results/sources/{wildcards.dataset}"


def fetch_code(wildcards):
    """A toy copy depends on its generator; a hub snapshot on the adapter's file patterns."""
    if GRID.source_kind(wildcards.dataset) == "toy":
        return lib("toy/common", f"toy/{wildcards.dataset}")
    return lib(f"sources/{wildcards.dataset}")


def mixture_inputs(wildcards):
    return [
        f"results/data/{name}.jsonl" for name in GRID.mixture_datasets(wildcards.mix)
    ]


def tokenizer_corpus(wildcards):
    """Tiny models learn their tokenizer from the toy training text; others load theirs."""
    if "config" not in config["models"][wildcards.model]["llm"]:
        return []
    return [f"results/data/{name}.jsonl" for name in TRAIN_DATASETS + PRETRAIN_DATASETS]


TRAINING_LIB = lib(
    "train",
    "training_data",
    "sampler",
    "model",
    "cpu_math",
    "conversation",
    "launch",
    "checkpoints",
)


def is_tiny(model):
    """A model built from configs (the embedded default) rather than loaded weights."""
    return "config" in config["models"][model]["llm"]


def launcher(wildcards, resources):
    """Multi-node training: with resources `mpi: srun` and `tasks` (one task per node), the
    rule starts `srun` itself, one mlan.launch per node (the job step's SLURM_* variables
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


def stage_settings(stage, **overrides):
    """The stage's hyperparameters as the JSON the training entry point reads."""
    return json.dumps({**config["training"][stage], **overrides}, sort_keys=True)


def mixture_images(wildcards):
    """Image folders of the vision datasets a mixture draws from."""
    return [
        f"results/data/images/{name}"
        for name in GRID.mixture_datasets(wildcards.mix)
        if GRID.modality(name) == "vision"
    ]


EVALUATION_LIB = lib(
    "evaluation/run",
    "evaluation/harness",
    "evaluation/lmms_model",
    "evaluation/answers",
    "evaluation/metrics",
    "evaluation/prompts",
    "model",
    "cpu_math",
    "atomic",
)
EVALUATION_TASK_FILES = sorted(
    str(path.relative_to(Path(workflow.basedir)))
    for path in Path(workflow.basedir, "mlan/evaluation/tasks").rglob("*")
    if path.suffix in (".yaml", ".py")
)


def evaluated_model(wildcards):
    """The folder a run names: the pretrain baseline or one finetuned model."""
    if wildcards.run == "pretrain":
        return f"results/models/{wildcards.model}/pretrain"
    mix, seed = wildcards.run.rsplit("_seed", 1)
    return f"results/models/{wildcards.model}/{mix}/seed{seed}"


RESULTS_LIB = lib(
    "results/cli",
    "results/scores",
    "results/tables",
    "results/figures",
    "results/comparison",
)
TEXT_TRAINING = [n for n in TRAIN_DATASETS if GRID.modality(n) == "text"]
VISION_TRAINING = [n for n in TRAIN_DATASETS if GRID.modality(n) == "vision"]
# Table 5/6 and Figure 6 cover the models with a ratio grid (Llama 2 in the paper).
RATIO_MODELS = [
    m for m in GRID.models if config["models"][m].get("ratio_grid")
] or GRID.models
COMPARE_AS = [
    f"{m}={spec['compare_to']}"
    for m, spec in config["models"].items()
    if "compare_to" in spec
]


def method_of(model, run):
    """The recipe name of a run ("pretrain", "mlan", ...), or "" for grid-only mixes."""
    if run == "pretrain":
        return "pretrain"
    mix = run.rsplit("_seed", 1)[0]
    names = [
        m
        for m in config["models"][model]["methods"]
        if GRID.method_mix(model, m) == mix
    ]
    return names[0] if names else ""


def run_scores_of(model, mixes, pretrain=False):
    runs = ["pretrain"] if pretrain else []
    runs += [f"{mix}_seed{seed}" for mix in mixes for seed in GRID.seeds]
    return [f"results/scores/{model}/{run}.csv" for run in runs]


def all_run_scores():
    return [
        f for m in GRID.models for f in run_scores_of(m, GRID.mixes(m), pretrain=True)
    ]


def method_run_scores(wildcards=None):
    mixes = lambda m: sorted(
        {GRID.method_mix(m, name) for name in config["models"][m]["methods"]}
    )
    return [f for m in GRID.models for f in run_scores_of(m, mixes(m), pretrain=True)]


def ratio_run_scores():
    full = lambda m: [x for x in GRID.mixes(m) if x.endswith(f"_n{GRID.budget}")]
    return [f for m in RATIO_MODELS for f in run_scores_of(m, full(m))]


def compared_run_scores(wildcards=None):
    """The runs whose settings the paper publishes: methods (Table 1) and ratio grid (Table 5)."""
    return sorted(set(method_run_scores() + ratio_run_scores()))


def scaling_run_scores():
    scaling = lambda m: [x for x in GRID.mixes(m) if x.startswith("lang100_")]
    return [f for m in GRID.models for f in run_scores_of(m, scaling(m), pretrain=True)]


def token_files(models, mixes_of):
    return [
        f"results/tokens/{m}/{mix}/seed{seed}.json"
        for m in models
        for mix in mixes_of(m)
        for seed in GRID.seeds
    ]


def table_scores(wildcards):
    return {
        "table1": method_run_scores,
        "table2": lambda: [],
        "table5": ratio_run_scores,
        "table6": ratio_run_scores,
    }[wildcards.table]()


def table_tokens(wildcards):
    full = lambda m: [x for x in GRID.mixes(m) if x.endswith(f"_n{GRID.budget}")]
    if wildcards.table == "table2":
        return token_files(GRID.models, full)
    if wildcards.table == "table6":
        return token_files(RATIO_MODELS, full)
    return []


def figure_scores(wildcards):
    return {
        "figure5": method_run_scores,
        "figure6": ratio_run_scores,
        "figure7": scaling_run_scores,
        "figure8": lambda: [],
    }[wildcards.figure]()


def data_targets():
    return [f"results/data/{name}.jsonl" for name in ALL_DATASETS]


def mixture_targets():
    return [
        f"results/mixtures/{mix}/seed{seed}/{name}"
        for mix in GRID.all_mixes()
        for seed in GRID.seeds
        for name in ("train.json", "stats.json")
    ]


def token_targets():
    return [
        f"results/tokens/{run.model}/{run.mix}/seed{run.seed}.json"
        for run in GRID.runs()
    ]


def model_targets():
    pretrained = [f"results/models/{model}/pretrain" for model in GRID.models]
    tuned = [
        f"results/models/{run.model}/{run.mix}/seed{run.seed}" for run in GRID.runs()
    ]
    return pretrained + tuned


def eval_targets():
    runs = [(model, "pretrain") for model in GRID.models]
    runs += [(run.model, f"{run.mix}_seed{run.seed}") for run in GRID.runs()]
    return [
        f"results/eval/{model}/{run}/{benchmark}.json"
        for model, run in runs
        for benchmark in BENCHMARKS
    ]


def analysis_targets():
    tables = [
        f"results/tables/table{n}.{ext}"
        for n in (1, 2, 5, 6)
        for ext in ("csv", "md", "tex")
    ]
    figures = [
        f"results/figures/figure{n}.{ext}"
        for n in (5, 6, 7, 8)
        for ext in ("png", "pdf")
    ]
    return ["results/scores.csv", "results/comparison.md"] + tables + figures


def all_targets():
    return (
        data_targets()
        + mixture_targets()
        + token_targets()
        + model_targets()
        + eval_targets()
        + analysis_targets()
    )
