import copy
import re

import pytest
import yaml
from conftest import ROOT, snakemake

from mlan.config import check_config, load_config_file
from mlan.data.templates import Instructions
from mlan.errors import ConfigError
from mlan.grid import Grid
from mlan.names import Mix

SCHEMA = ROOT / "config" / "schema.yaml"


def load(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml"])
def test_shipped_configs_are_valid(name):
    check_config(load(name), SCHEMA)


# benchmarks/overlays/: each as docs/benchmarks.md runs it, alone or stacked in that order
OVERLAY_STACKS = [
    ["finetune_48_epochs"],
    ["finetune_96_epochs"],
    ["llm_4x128"],
    ["llm_4x128_4x_data"],
    ["llm_4x128_4x_data_3e-4_24_epochs"],
    ["llm_4x128_24000_fresh_instances"],
    ["llm_4x128_answer_only"],
    ["llm_4x128_answer_only", "vision_rows_8000"],
    ["llm_4x128_answer_only", "answer_only_48000_instances"],
    ["llm_4x128_letters_corpus"],
]


@pytest.mark.parametrize("stack", OVERLAY_STACKS, ids="+".join)
def test_the_documented_overlays_merge_into_a_valid_config(stack):
    from snakemake.utils import update_config

    config = load("config.yaml")
    for name in stack:
        update_config(config, load_config_file(ROOT / "benchmarks" / "overlays" / f"{name}.yaml"))
    check_config(config, SCHEMA)
    Instructions.load(ROOT / config["instructions"])


def test_every_overlay_is_among_the_checked():
    overlays = {path.stem for path in (ROOT / "benchmarks" / "overlays").glob("*.yaml")}
    assert overlays - {"instructions_answer_only"} == {name for stack in OVERLAY_STACKS for name in stack}


def test_paper_grid():
    grid = Grid(load("paper.yaml"))
    assert grid.models == ["llama2", "vicuna"]
    assert list(map(str, grid.mixes("llama2"))) == [
        "lang100_n20000",
        "lang100_n40000",
        "lang100_n60000",
        "lang0_n80000",
        "lang6_n80000",
        "lang12.5_n80000",
        "lang25_n80000",
        "lang37.5_n80000",
        "lang50_n80000",
        "lang62.5_n80000",
        "lang75_n80000",
        "lang87.5_n80000",
        "lang100_n80000",
    ]
    assert list(map(str, grid.mixes("vicuna"))) == ["lang6_n80000", "lang25_n80000", "lang50_n80000", "lang100_n80000"]
    assert str(grid.method_mix("llama2", "mlan_v")) == "lang87.5_n80000"
    assert str(grid.method_mix("vicuna", "mlan_v")) == "lang50_n80000"
    assert len(grid.runs()) == 17
    assert grid.mixture_datasets(Mix(100, 80000)) == ["squad", "cosmosqa", "strategyqa", "commonsenseqa", "arc"]
    assert grid.mixture_datasets(Mix(0, 80000)) == ["vqav2", "aokvqa"]


def names(runs):
    return [str(run) for run in runs]


def test_each_table_and_figure_reads_the_runs_of_its_settings():
    grid = Grid(load("paper.yaml"))
    llama, vicuna = ["6", "25", "87.5", "100"], ["6", "25", "50", "100"]  # the methods' % language, by mix order
    assert names(grid.method_runs()) == ["llama2/pretrain"] + [f"llama2/lang{p}_n80000_seed42" for p in llama] + [
        "vicuna/pretrain"
    ] + [f"vicuna/lang{p}_n80000_seed42" for p in vicuna]
    ratios = ["0", "12.5", "25", "37.5", "50", "62.5", "75", "87.5", "100"]  # the ratio grid, not LLaVA's 6
    assert grid.ratio_models == ["llama2"]
    assert names(grid.ratio_runs()) == [f"llama2/lang{p}_n80000_seed42" for p in ratios]
    assert grid.scaling_models == ["llama2"]  # Figure 7 only for a model with a budget scaling
    assert names(grid.scaling_runs()) == ["llama2/pretrain"] + [
        f"llama2/lang100_n{n}_seed42" for n in (20000, 40000, 60000, 80000)
    ]
    assert len(grid.compared_runs()) == 16 and set(grid.compared_runs()) == set(grid.method_runs() + grid.ratio_runs())
    # Table 2's rows are the methods' mixtures (46.36M tokens: LLaVA's 6 %, not vision only)
    assert names(grid.recipe_runs()) == [f"llama2/lang{p}_n80000_seed42" for p in llama] + [
        f"vicuna/lang{p}_n80000_seed42" for p in vicuna
    ]
    assert grid.methods_of("vicuna", Mix(50, 80000)) == ["mlan_v"] and grid.methods_of("llama2", Mix(0, 80000)) == []
    assert [grid.run_methods(run) for run in grid.method_runs()[:5]] == [
        ["pretrain"],
        ["llava"],
        ["cambrian"],
        ["mlan_v"],
        ["mlan"],
    ]
    assert grid.notes() == []


def test_more_seeds_multiply_runs():
    config = load("paper.yaml")
    config["seeds"] = [42, 43, 44]
    assert len(Grid(config).runs()) == 51


@pytest.mark.parametrize(
    "edit,key",
    [
        (lambda c: c.update(budegt=c.pop("budget")), r"'budegt' was unexpected"),
        (lambda c: c["models"]["tiny"]["methods"].update(mlan=150), r"models\.tiny\.methods\.mlan': 150 is greater"),
        (lambda c: c["datasets"]["squad"]["source"].update(hub="x/y"), r"datasets\.squad\.source"),
        (lambda c: c["datasets"].pop("gqa"), r"'gqa' is a required property"),
        (lambda c: c["datasets"].update(squadd=c["datasets"]["squad"]), r"squadd"),
        (lambda c: c.update(seeds=[]), r"config key 'seeds'"),
    ],
)
def test_bad_config_names_the_key(edit, key):
    config = copy.deepcopy(load("config.yaml"))
    edit(config)
    with pytest.raises(ConfigError, match=key):
        check_config(config, SCHEMA)


def test_compiled_layers_under_deepspeed_are_refused():
    config = load("paper.yaml")
    config["training"]["finetune"]["compile_layers"] = True
    with pytest.raises(ConfigError, match=r"training\.finetune\.compile_layers: .*zero3\.json"):
        Grid(config)
    config["training"]["finetune"]["deepspeed"] = None
    Grid(config)


def test_budget_scaling_must_give_whole_instances():
    config = load("config.yaml")
    config["budget"] = 10
    with pytest.raises(ConfigError, match=r"models\.tiny\.budget_scaling: 25% of budget 10"):
        Grid(config)


def test_snakemake_stops_on_a_typo_before_any_job(workflow):
    text = (workflow / "config" / "config.yaml").read_text().replace("budget: 480", "budegt: 480")
    (workflow / "bad.yaml").write_text(text)
    result = snakemake(workflow, "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "'budegt' was unexpected" in result.stderr + result.stdout
    assert not (workflow / "results").exists()


def test_paper_grid_dry_run(workflow):
    result = snakemake(workflow, "-n", "--configfile=config/paper.yaml", "all")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout, flags=re.M))
    assert counts == {
        "all": "1",
        "fetch_source": "17",
        "fetch_weights": "4",  # llm and vision of both models, on the submit host
        "normalize": "17",
        "mixture": "13",
        "processor": "2",
        "count_tokens": "17",
        "assemble_model": "2",
        "pretrain": "2",
        "finetune": "17",
        "eval_prompts": "18",  # nine benchmarks under each protocol (the released checkpoints run both)
        "evaluate": "19",
        "run_scores": "19",
        "scores": "1",
        "score_table": "2",  # Tables 1 and 5
        "table2": "1",
        "table6": "1",
        "score_figure": "3",  # Figures 5, 6 and 7
        "figure8": "1",
        "diversity": "1",
        "comparison": "1",
        "training_curves": "1",
        "intervals": "1",
        "significance": "1",
        "cost": "1",
        "fetch_released": "4",  # the authors' four checkpoints (and the CLIP they name), on the submit host
        "convert_released": "4",
        "evaluate_released": "8",  # each under the official and the clean protocol
        "released_scores": "8",
        "released_comparison": "1",
        "total": "188",
    }


def test_source_name_picks_the_config_folder():
    config = load("paper.yaml")
    config["datasets"]["race"]["source"]["name"] = "middle"
    config["datasets"]["boolq"]["files"] = {"main": "boolq/validation-*.parquet"}
    check_config(config, SCHEMA)
    grid = Grid(config)
    assert grid.patterns("race") == {"main": "middle/test/*.parquet"}
    assert grid.patterns("boolq") == {"main": "boolq/validation-*.parquet"}
    assert grid.patterns("squad") == {"main": "plain_text/train-*.parquet"}
    config["datasets"]["arc"]["source"]["name"] = "ARC-Easy"
    with pytest.raises(ConfigError, match=r"datasets\.arc\.source\.name: arc has no single config folder"):
        Grid(config).patterns("arc")


def test_slurm_profile_requests_a100s_for_training_and_evaluation(workflow):
    result = snakemake(workflow, "-n", "--profile", "profiles/slurm", "--configfile=config/paper.yaml", "all")
    resources = {}
    for block in result.stdout.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0]
        line = next((x for x in block.splitlines() if x.strip().startswith("resources:")), "")
        resources.setdefault(rule, line)
    assert "slurm_partition=gpu" in resources["finetune"] and "gres=gpu:a100:8" in resources["finetune"]
    assert "gres=gpu:a100:8" in resources["pretrain"] and "cpus_per_task=64" in resources["pretrain"]
    assert "gres=gpu:a100:1" in resources["evaluate"]
    # first attempt: 720 minutes; Slurm signals 600 s before the limit so training checkpoints
    assert "runtime=720," in resources["finetune"] and "slurm_extra=--signal=TERM@600" in resources["finetune"]
    assert "gres" not in resources["normalize"] and "slurm_partition=cpu" in resources["normalize"]


def test_multi_node_training_with_uneven_tasks_is_refused(workflow):
    # the two-node recipe runs one task per node: 3 tasks on 2 nodes is a typo to name
    resources = ("finetune:mpi='srun'", "finetune:tasks=3", "finetune:nodes=2")
    result = snakemake(
        workflow, "-n", "-p", "--set-resources", *resources, "--", "results/models/tiny/lang50_n480/seed42", check=False
    )
    assert result.returncode != 0
    assert "tasks (3) must be a multiple of nodes (2)" in result.stdout + result.stderr


def test_command_line_values_merge_over_the_embedded_default(workflow, tmp_path):
    # one key changed, the rest the embedded default's: mixtures of 240, not a config error
    result = snakemake(workflow, "-n", "--config", "budget=240")
    assert "results/mixtures/lang87.5_n240/seed42/train.json" in result.stdout and "_n480/" not in result.stdout
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("seeds: [1, 2]\n")
    result = snakemake(workflow, "-n", f"--configfile={overlay}", "results/mixtures/lang50_n480/seed2/train.json")
    assert "rule mixture" in result.stdout
    # a whole grid replaces the default: no toy model joins the paper's
    result = snakemake(workflow, "-n", "all", "--configfile=config/paper.yaml", "--config", "budget=800")
    assert "results/models/tiny" not in result.stdout and "lang100_n800" in result.stdout
