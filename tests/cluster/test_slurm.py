"""The paper's path through the Slurm profile against a real Slurm: slurmctld, slurmd,
slurmdbd + MariaDB (for sacct), munge and 8 fake A100s on this machine, started by
tests/cluster/slurm/start-slurm.sh and stopped by PID. The stand-in of config/paper.yaml
(mlan.standin: pretrained weights and hub-layout data in local folders, DeepSpeed ZeRO-2 /
ZeRO-3, packing, data-loader workers, the paper's protocol; thinned to cover each code path
once) runs end to end through `--profile profiles/slurm`, unchanged; one ZeRO-3 finetuning
job is cancelled with SIGTERM mid-training and must be retried and resume."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_workflow, snakemake

from mlan.grid import Grid

pytestmark = [pytest.mark.slurm, pytest.mark.xdist_group("slurm")]  # one Slurm, one worker

SCRIPTS = ROOT / "tests" / "cluster" / "slurm"
PROFILE = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
# The node advertises more than the profile's largest request (64 CPUs, 500 GB, 8 GPUs per
# training job), so the profile's requests schedule as written on a small machine.
NODE = {"SLURM_FAKE_GPUS": "8", "SLURM_NODE_CPUS": "128", "SLURM_NODE_MEM_MB": "1100000"}
GPU_RULES = {"pretrain": 8, "finetune": 8, "evaluate": 1, "evaluate_released": 1}
CANCEL_AFTER_STEPS = 2  # of a stand-in finetuning run's 6


def thin(config: dict) -> dict:
    """The stand-in grid with each code path once, in 4 finetuning runs: both models (the two
    tokenizer layouts), a mixed mixture (Llama 2's MLAN_v, 87.5 %: text and image steps), a
    vision-only one (Llama 2's ratio 0), a language-only one (Vicuna's MLAN) and a smaller
    budget (Figure 7: Llama 2 at 50 %). Published cells without a run are listed as missing
    in the comparison. One released checkpoint, the one without a vision tower of its own
    (the CLIP it names is fetched too), under both protocols."""
    config["models"]["llama2"] |= {"methods": {"mlan_v": 87.5}, "ratio_grid": [0], "budget_scaling": [50]}
    config["models"]["vicuna"]["methods"] = {"mlan": 100}
    checkpoints = config["released"]["checkpoints"]
    config["released"]["checkpoints"] = {"llava-mlan-v-vicuna-7b": checkpoints["llava-mlan-v-vicuna-7b"]}
    return config


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        reason = "a local Slurm needs root and apt-get (Debian)"
        if os.environ.get("MLAN_REQUIRE_SLURM") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    env = {**os.environ, **NODE, "SLURM_ACCOUNTS": PROFILE["default-resources"]["slurm_account"]}
    env["SLURM_LOCAL_DIR"] = str(tmp_path_factory.mktemp("slurm-state"))
    subprocess.run(["bash", str(SCRIPTS / "start-slurm.sh")], env=env, check=True)
    try:
        yield env
    finally:
        subprocess.run(["bash", str(SCRIPTS / "stop-slurm.sh")], env=env, check=False)
    # a slurm.conf naming the stopped controller would cost every later Snakemake start 9 s
    # (the executor plugin's `scontrol show config` retries): stop-slurm.sh removes it
    assert not Path("/etc/slurm/slurm.conf").exists()


def slurm_jobs(since: str) -> dict[str, list[dict]]:
    """sacct's view of every job since a time (allocation lines), by rule, in submission order.
    The plugin writes `rule_<rule>_wildcards_<values>` into each job's comment."""
    fields = ["JobID", "Comment", "State", "ExitCode", "AllocTRES", "Timelimit"]
    command = ["sacct", "-X", "-n", "-P", "-S", since, "-o", ",".join(fields)]
    lines = subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()
    jobs: dict[str, list[dict]] = {}
    for row in (dict(zip(fields, line.split("|"), strict=True)) for line in lines):
        rule, _, wildcards = row["Comment"].removeprefix("rule_").partition("_wildcards_")
        jobs.setdefault(rule, []).append({**row, "JobID": int(row["JobID"]), "wildcards": wildcards})
    return {rule: sorted(rows, key=lambda row: row["JobID"]) for rule, rows in jobs.items()}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def cancel_first_training_job(workdir: Path, cancelled: dict):
    """Wait for the first finetuning job to be some steps into training, then send its steps
    SIGTERM the way Slurm does before a time limit."""
    deadline = time.monotonic() + 3000
    while time.monotonic() < deadline and not cancelled:
        running = subprocess.run(["squeue", "-h", "-t", "R", "-o", "%A|%k"], capture_output=True, text=True).stdout
        for job_id, comment in (line.split("|", 1) for line in running.splitlines()):
            if not comment.startswith("rule_finetune_wildcards_"):
                continue
            model, *mix, seed = comment.removeprefix("rule_finetune_wildcards_").split("_")
            folder = f"{model}/{'_'.join(mix)}/seed{seed}"
            progress = workdir / "results" / "checkpoints" / folder / "train_log.jsonl"
            if progress.exists() and progress.read_text().count("\n") >= CANCEL_AFTER_STEPS:
                subprocess.run(["scancel", "--signal=TERM", job_id], check=True)
                cancelled.update(job=int(job_id), folder=folder)
                return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster_run(slurm, tmp_path_factory):
    root = tmp_path_factory.mktemp("slurm")
    workdir = copy_workflow(root / "workflow")
    subprocess.run([sys.executable, "-m", "mlan.standin", "--out", str(root / "inputs")], cwd=workdir, check=True)
    config = thin(yaml.safe_load((root / "inputs" / "config.yaml").read_text()))
    (workdir / "standin.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cancelled: dict = {}
    watcher = threading.Thread(target=cancel_first_training_job, args=(workdir, cancelled), daemon=True)
    watcher.start()
    since = now()
    # polling sacct every 2 s instead of the plugin's 40 s start keeps the test short
    args = (
        "--profile",
        "profiles/slurm",
        "--configfile=standin.yaml",
        "--slurm-init-seconds-before-status-checks",
        "2",
    )
    snakemake(workdir, *args)
    watcher.join(timeout=1)
    return {"workdir": workdir, "inputs": root / "inputs", "config": config, "jobs": slurm_jobs(since),
            "cancelled": cancelled}  # fmt: skip


def test_every_job_went_through_sbatch_with_the_profiles_requests(cluster_run):
    jobs, grid = cluster_run["jobs"], Grid(cluster_run["config"])
    # the heavy rules ran as Slurm jobs; the local rules (processor, prompts, tables, ...) did not
    assert set(jobs) == {"normalize", "mixture", "count_tokens", "assemble_model", "pretrain", "finetune"} | {
        "evaluate",
        "diversity",
        "convert_released",
        "evaluate_released",
    }
    runs = len(grid.runs())
    assert runs == 4 and len(jobs["finetune"]) == runs + 1  # one of them submitted twice
    assert len(jobs["evaluate"]) == runs + 2 and len(jobs["pretrain"]) == 2 and len(jobs["normalize"]) == 17
    assert len(jobs["convert_released"]) == 1 and len(jobs["evaluate_released"]) == 2  # both protocols
    for rule, rows in jobs.items():
        for row in rows:
            tres = row["AllocTRES"]
            if rule in GPU_RULES:
                gpus = GPU_RULES[rule]
                assert f"gres/gpu:a100={gpus}" in tres and f"gres/gpu={gpus}" in tres, (rule, tres)
            else:
                assert "gres/gpu" not in tres, (rule, tres)
    training = PROFILE["set-resources"]["pretrain"]
    for row in jobs["pretrain"] + jobs["finetune"]:
        assert (
            f"cpu={training['cpus_per_task']}" in row["AllocTRES"] and f"mem={training['mem_mb']}M" in row["AllocTRES"]
        )
    assert jobs["pretrain"][0]["Timelimit"] == "12:00:00"  # "720 * attempt" minutes, attempt 1
    states = {row["State"] for rows in jobs.values() for row in rows if row["JobID"] != cluster_run["cancelled"]["job"]}
    assert states == {"COMPLETED"}
    args = ("-n", "--configfile=standin.yaml")
    assert "Nothing to be done" in snakemake(cluster_run["workdir"], *args).stdout


def load_llava(folder):
    import torch
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    return LlavaForConditionalGeneration.from_pretrained(folder, dtype=torch.float32), AutoProcessor.from_pretrained(
        folder
    )


def changed(before: dict, after: dict, prefix: str) -> bool:
    """Whether any weight under ``prefix`` differs between two state dicts."""
    return any(not before[name].equal(after[name]) for name in before if name.startswith(prefix))


def test_the_pretrained_weights_flow_through_every_stage(cluster_run):
    """Models load with from_pretrained; the stand-in CLIP tower is in every model unchanged
    (frozen), the stand-in LLM is in the base model, pretraining changed only the projector
    (ZeRO-2) and finetuning the projector and LLM (ZeRO-3, weights gathered on save)."""
    import torch
    from transformers import AutoModelForCausalLM, CLIPVisionModel

    workdir, grid, inputs = cluster_run["workdir"], Grid(cluster_run["config"]), cluster_run["inputs"]
    clip = CLIPVisionModel.from_pretrained(inputs / "models/clip-vit-large-patch14-336").state_dict()
    for model, hub in (("llama2", "Llama-2-7b-hf"), ("vicuna", "vicuna-7b-v1.5")):
        llm = AutoModelForCausalLM.from_pretrained(inputs / "models" / hub, dtype=torch.float32).state_dict()
        folders = [f"results/models/{model}/{stage}" for stage in ("base", "pretrain")]
        folders += [f"results/models/{run.model}/{run.mix}/seed{run.seed}" for run in grid.runs() if run.model == model]
        loaded = {folder: load_llava(workdir / folder) for folder in folders}
        states = {folder: m.state_dict() for folder, (m, _) in loaded.items()}
        base, pretrain = states[folders[0]], states[folders[1]]
        for folder, state in states.items():
            tower = {k.removeprefix("model.vision_tower."): v for k, v in state.items() if "vision_tower" in k}
            assert tower.keys() == clip.keys() and all(torch.equal(tower[k], clip[k]) for k in clip), folder
            processor = loaded[folder][1]
            assert processor.tokenizer.image_token == "<image>" and processor.image_processor.crop_size["height"] == 336
        layer = "model.language_model.layers.1.mlp.down_proj.weight"
        assert torch.equal(base[layer], llm["model.layers.1.mlp.down_proj.weight"])
        assert changed(base, pretrain, "model.multi_modal_projector")
        assert not changed(base, pretrain, "model.language_model") and not changed(base, pretrain, "lm_head")
        for folder in folders[2:]:
            assert changed(pretrain, states[folder], "model.language_model") and changed(
                pretrain, states[folder], "lm_head"
            )
            summary = json.loads((workdir / folder / "train_summary.json").read_text())
            assert summary["deepspeed"] == "config/deepspeed/zero3.json" and summary["padding_fraction"] == 0.0
            assert summary["settings"]["dataloader_workers"] == 4 and summary["settings"]["gradient_checkpointing"]
        summary = json.loads((workdir / folders[1] / "train_summary.json").read_text())
        assert summary["deepspeed"] == "config/deepspeed/zero2.json" and summary["gradient_accumulation_steps"] == 4


def test_token_counts_and_evaluations_follow_the_336_px_layout_and_the_papers_protocol(cluster_run):
    workdir, grid = cluster_run["workdir"], Grid(cluster_run["config"])
    for model in grid.models:
        facts = json.loads((workdir / f"results/models/{model}/processor/mlan_model_facts.json").read_text())
        assert facts["tokens_per_image"] == 576 and (facts["image_size"], facts["patch_size"]) == (336, 14)
        assert json.loads((workdir / f"results/models/{model}/base/config.json").read_text())["image_seq_length"] == 576
    for run in grid.runs():
        counts = json.loads((workdir / f"results/tokens/{run.model}/{run.mix}/seed{run.seed}.json").read_text())
        assert counts["tokens_per_image"] == 576 and counts["image_tokens"] == 576 * counts["images"]
        for benchmark in cluster_run["config"]["evaluation"]["benchmarks"]:
            result = json.loads(
                (workdir / f"results/eval/{run.model}/{run.mix}_seed{run.seed}/{benchmark}.json").read_text()
            )
            assert result["n"] > 0 and result["protocol"]["protocol"] == "official"
    comparison = (workdir / "results/comparison.md").read_text()
    # the released checkpoint without a tower of its own: fetched with the CLIP it names, converted
    # (a CPU job), evaluated under both protocols (GPU jobs), set against Table 1's Vicuna MLAN_v
    sources = json.loads((workdir / "results/released/llava-mlan-v-vicuna-7b/sources.json").read_text())
    assert sources["vision"]["repo"] == "openai/clip-vit-large-patch14-336"
    report = json.loads((workdir / "results/released/llava-mlan-v-vicuna-7b/model/mlan_released.json").read_text())
    assert report["vision_tower_from"] == "tower" and report["image_tokens"] == 576
    released = (workdir / "results/released/comparison.md").read_text()
    assert (
        "## llava-mlan-v-vicuna-7b as vicuna MLAN_v" in released
        and "| official (95 % interval) | in | clean" in released
    )
    assert "# The authors' released checkpoints" in comparison
    # every published cell is listed: 16 settings of Tables 1 and 5 (Llama 2: 11, Vicuna: 5) x
    # (9 benchmarks + 3 averages) + Table 2's 5 token counts; the thinned grid reproduces
    # Llama 2's Pretrain, 87.5 % and 0 %, Vicuna's Pretrain and 100 %, and one token count
    assert "Published cells: 197; reproduced: 61; missing: 136." in comparison
    for name in ("table1", "table2", "table5", "table6"):
        assert (workdir / f"results/tables/{name}.md").stat().st_size > 0
    for name in ("figure5", "figure6", "figure7", "figure8"):
        assert (workdir / f"results/figures/{name}.png").stat().st_size > 1000


def test_a_zero3_finetune_cancelled_mid_run_resumes_to_the_uninterrupted_weights(cluster_run, tmp_path):
    from safetensors.torch import load_file

    cancelled, workdir = cluster_run["cancelled"], cluster_run["workdir"]
    assert cancelled, "no finetuning job was caught mid-training"
    model, mix, seed = cancelled["folder"].split("/")
    wildcards = f"{model}_{mix}_{seed.removeprefix('seed')}"
    first, *retries = [row for row in cluster_run["jobs"]["finetune"] if row["wildcards"] == wildcards]
    assert first["JobID"] == cancelled["job"] and len(retries) == 1
    assert first["State"] == "FAILED" and retries[0]["State"] == "COMPLETED"
    assert retries[0]["Timelimit"] == "1-00:00:00"  # "720 * attempt" minutes, attempt 2
    log = (workdir / "results" / "logs" / "finetune" / f"{cancelled['folder']}.log").read_text()
    assert "/checkpoint-" in log.split("resume from: ")[1].split("\n")[0], log
    target = f"results/models/{cancelled['folder']}"
    steps = [json.loads(line)["step"] for line in (workdir / target / "train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, len(steps) + 1))  # one line per step across both attempts
    # the same run once more, uninterrupted and outside Slurm, in a copy of the finished run
    again = tmp_path / "workflow"
    shutil.copytree(workdir, again, ignore=shutil.ignore_patterns("slurm_logs", "log"))
    snakemake(again, "--configfile=standin.yaml", "--forcerun", target, "--", target)
    resumed, uninterrupted = (
        load_file(workdir / target / "model.safetensors"),
        load_file(again / target / "model.safetensors"),
    )
    assert resumed.keys() == uninterrupted.keys()
    assert [name for name in resumed if not resumed[name].equal(uninterrupted[name])] == []


def test_a_training_rule_spreads_over_two_tasks_with_srun_and_torchrun(cluster_run, tmp_path):
    """The documented multi-node recipe (profiles/slurm/README.md), on the one test node: the
    job gets two tasks, the rule runs `srun` itself, two torchrun agents rendezvous and train
    one model under ZeRO-3 with the global batch unchanged."""
    # the finished cluster run (code, results, Snakemake's records): only the target reruns
    workdir = tmp_path / "workflow"
    shutil.copytree(cluster_run["workdir"], workdir, ignore=shutil.ignore_patterns("slurm_logs", "log"))
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    two_tasks = {"nodes": 1, "tasks": 2, "tasks_per_gpu": 0, "mpi": "srun"}  # README's recipe, on one node
    profile["set-resources"]["finetune"] = {**profile["set-resources"]["finetune"], **two_tasks}
    (tmp_path / "two-tasks").mkdir()
    (tmp_path / "two-tasks" / "config.yaml").write_text(yaml.safe_dump(profile))
    target = "results/models/llama2/lang87.5_n96/seed42"
    since = now()
    args = ("--profile", str(tmp_path / "two-tasks"), "--configfile=standin.yaml")
    snakemake(workdir, *args, "--slurm-init-seconds-before-status-checks", "2", "--forcerun", target, "--", target)
    jobs = slurm_jobs(since)
    assert list(jobs) == ["finetune"] and len(jobs["finetune"]) == 1
    row = jobs["finetune"][0]
    assert row["State"] == "COMPLETED" and "cpu=128" in row["AllocTRES"], row  # 2 tasks x 64 CPUs
    # both tasks write to the one log: their progress bars may split a UTF-8 character
    log = (workdir / "results/logs/finetune/llama2/lang87.5_n96/seed42.log").read_text(errors="replace")
    assert "--nnodes=2 --node_rank=0" in log and "--nnodes=2 --node_rank=1" in log, log
    summary = json.loads((workdir / target / "train_summary.json").read_text())
    single = json.loads((cluster_run["workdir"] / target / "train_summary.json").read_text())
    assert summary["world_size"] == 2 and single["world_size"] == 1 and summary["deepspeed"] == single["deepspeed"]
    for key in ("global_batch_size", "steps", "samples_seen", "tokens_seen"):
        assert summary[key] == single[key], key
    assert summary["final_loss"] == pytest.approx(single["final_loss"], rel=1e-4)  # reduction order only
