"""The Slurm profile against a real Slurm: slurmctld, slurmd, slurmdbd + MariaDB (for sacct),
munge and 8 fake A100s on this machine, started by tests/slurm/start-slurm.sh and stopped by
PID. The embedded default runs end to end through `--profile profiles/slurm`, unchanged; one
finetuning job is cancelled with SIGTERM mid-training and must be retried and resume."""

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_workflow, result_digests, snakemake

pytestmark = pytest.mark.slurm

SCRIPTS = ROOT / "tests" / "slurm"
PROFILE = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
# The node advertises more than the profile's largest request (64 CPUs, 500 GB, 8 GPUs per
# training job), so the profile's requests schedule as written on a small machine.
NODE = {"SLURM_FAKE_GPUS": "8", "SLURM_NODE_CPUS": "128", "SLURM_NODE_MEM_MB": "1100000"}
GPU_RULES = {"pretrain": 8, "finetune": 8, "evaluate": 1}


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
            if progress.exists() and progress.read_text().count("\n") >= 20:
                subprocess.run(["scancel", "--signal=TERM", job_id], check=True)
                cancelled.update(job=int(job_id), folder=folder)
                return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster_run(slurm, tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("slurm") / "workflow")
    cancelled: dict = {}
    watcher = threading.Thread(target=cancel_first_training_job, args=(workdir, cancelled), daemon=True)
    watcher.start()
    since = now()
    # polling sacct every 2 s instead of the plugin's 40 s start keeps the test short
    snakemake(workdir, "--profile", "profiles/slurm", "--slurm-init-seconds-before-status-checks", "2")
    watcher.join(timeout=1)
    return {"workdir": workdir, "jobs": slurm_jobs(since), "cancelled": cancelled}


def test_every_job_went_through_sbatch_with_the_profiles_requests(cluster_run):
    jobs = cluster_run["jobs"]
    # the heavy rules ran as Slurm jobs; the local rules (downloads, tables, ...) did not
    assert set(jobs) == {"normalize", "mixture", "count_tokens", "assemble_model", "pretrain", "finetune"} | {
        "evaluate",
        "diversity",
    }
    assert len(jobs["finetune"]) == 9 + 1  # nine runs, one of them submitted twice
    assert len(jobs["evaluate"]) == 10 and len(jobs["normalize"]) == 17
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


def test_everything_completed_and_equals_a_local_run(cluster_run, default_run):
    cancelled = cluster_run["cancelled"]
    states = {row["State"] for rows in cluster_run["jobs"].values() for row in rows if row["JobID"] != cancelled["job"]}
    assert states == {"COMPLETED"}
    assert "Nothing to be done" in snakemake(cluster_run["workdir"], "-n").stdout
    ours, local = result_digests(cluster_run["workdir"]), result_digests(default_run)
    assert ours.keys() == local.keys()
    assert [path for path in ours if ours[path] != local[path]] == []


def test_a_training_job_cancelled_mid_run_is_retried_and_resumes(cluster_run):
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
    train_log = workdir / "results" / "models" / cancelled["folder"] / "train_log.jsonl"
    steps = [json.loads(line)["step"] for line in train_log.read_text().splitlines()]
    assert steps == list(range(1, len(steps) + 1))  # one line per step across both attempts
    # the resumed weights equal the local run's: test_everything_completed_and_equals_a_local_run


def test_a_training_rule_spreads_over_two_tasks_with_srun_and_torchrun(cluster_run, tmp_path):
    """The documented multi-node recipe (profiles/slurm/README.md), on the one test node: the
    job gets two tasks, the rule runs `srun` itself, two torchrun agents rendezvous and train
    one model with the global batch unchanged."""
    # the finished cluster run (code, results, Snakemake's records): only the target reruns
    workdir = tmp_path / "workflow"
    shutil.copytree(cluster_run["workdir"], workdir, ignore=shutil.ignore_patterns("slurm_logs", "log"))
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    two_tasks = {"nodes": 1, "tasks": 2, "tasks_per_gpu": 0, "mpi": "srun"}  # README's recipe, on one node
    profile["set-resources"]["finetune"] = {**profile["set-resources"]["finetune"], **two_tasks}
    (tmp_path / "two-tasks").mkdir()
    (tmp_path / "two-tasks" / "config.yaml").write_text(yaml.safe_dump(profile))
    target = "results/models/tiny/lang50_n480/seed42"
    since = now()
    args = ("--profile", str(tmp_path / "two-tasks"), "--slurm-init-seconds-before-status-checks", "2")
    snakemake(workdir, *args, "--forcerun", target, "--", target)
    jobs = slurm_jobs(since)
    assert list(jobs) == ["finetune"] and len(jobs["finetune"]) == 1
    row = jobs["finetune"][0]
    assert row["State"] == "COMPLETED" and "cpu=128" in row["AllocTRES"], row  # 2 tasks x 64 CPUs
    # both tasks write to the one log: their progress bars may split a UTF-8 character
    log = (workdir / "results/logs/finetune/tiny/lang50_n480/seed42.log").read_text(errors="replace")
    assert "--nnodes=2 --node_rank=0" in log and "--nnodes=2 --node_rank=1" in log, log
    summary = json.loads((workdir / target / "train_summary.json").read_text())
    local = json.loads((cluster_run["workdir"] / target / "train_summary.json").read_text())
    assert summary["world_size"] == 2 and local["world_size"] == 1
    assert summary["global_batch_size"] == local["global_batch_size"] and summary["steps"] == local["steps"]
