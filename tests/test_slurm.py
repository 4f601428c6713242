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


def submitted_jobs(workdir: Path) -> dict[str, list[tuple[int, str]]]:
    """Slurm job ids per rule, from the plugin's per-job logs
    (.snakemake/slurm_logs/rule_<rule>/<wildcards>/<jobid>.log), in submission order."""
    jobs: dict[str, list[tuple[int, str]]] = {}
    for log in (workdir / ".snakemake" / "slurm_logs").glob("rule_*/**/*.log"):
        rule = log.relative_to(workdir / ".snakemake" / "slurm_logs").parts[0].removeprefix("rule_")
        jobs.setdefault(rule, []).append((int(log.stem), log.parent.name))
    return {rule: sorted(ids) for rule, ids in jobs.items()}


def accounting(job_ids) -> dict[int, dict[str, str]]:
    """sacct's view of each job (allocation line only): state, exit code, TRES, time limit."""
    fields = ["JobID", "State", "ExitCode", "AllocTRES", "Timelimit"]
    ids = ",".join(str(i) for i in job_ids)
    lines = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ids, "-o", ",".join(fields)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {int(row["JobID"]): row for row in (dict(zip(fields, line.split("|"), strict=True)) for line in lines)}


def cancel_first_training_job(workdir: Path, cancelled: dict):
    """Wait for the first finetuning job to be some steps into training, then send its steps
    SIGTERM the way Slurm does before a time limit."""
    deadline = time.monotonic() + 1500
    while time.monotonic() < deadline and not cancelled:
        for job_id, wildcards in submitted_jobs(workdir).get("finetune", []):
            model, *mix, seed = wildcards.split("_")  # the plugin joins the wildcards with "_"
            folder = f"{model}/{'_'.join(mix)}/seed{seed}"
            progress = workdir / "results" / "checkpoints" / folder / "train_log.jsonl"
            if progress.exists() and progress.read_text().count("\n") >= 20:
                subprocess.run(["scancel", "--signal=TERM", str(job_id)], check=True)
                cancelled.update(job=job_id, wildcards=wildcards, folder=folder)
                return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster_run(slurm, tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("slurm") / "workflow")
    cancelled: dict = {}
    watcher = threading.Thread(target=cancel_first_training_job, args=(workdir, cancelled), daemon=True)
    watcher.start()
    started = time.monotonic()
    # polling sacct every 2 s instead of the plugin's 40 s start keeps the test short
    result = snakemake(workdir, "--profile", "profiles/slurm", "--slurm-init-seconds-before-status-checks", "2")
    watcher.join(timeout=1)
    jobs = submitted_jobs(workdir)
    return {
        "workdir": workdir,
        "log": result.stdout + result.stderr,
        "jobs": jobs,
        "sacct": accounting(i for ids in jobs.values() for i, _ in ids),
        "cancelled": cancelled,
        "seconds": time.monotonic() - started,
    }


def test_every_job_went_through_sbatch_with_the_profiles_requests(cluster_run):
    jobs, sacct = cluster_run["jobs"], cluster_run["sacct"]
    # the heavy rules ran as Slurm jobs; the local rules (downloads, tables, ...) did not
    assert set(jobs) == {"normalize", "mixture", "count_tokens", "assemble_model", "pretrain", "finetune"} | {
        "evaluate",
        "diversity",
    }
    assert not {"fetch_source", "table", "figure", "scores", "comparison"} & set(jobs)
    assert len(jobs["finetune"]) == 9 + 1  # nine runs, one of them submitted twice
    for rule, ids in jobs.items():
        for job_id, _ in ids:
            tres = sacct[job_id]["AllocTRES"]
            if rule in GPU_RULES:
                assert f"gres/gpu:a100={GPU_RULES[rule]}" in tres and f"gres/gpu={GPU_RULES[rule]}" in tres, tres
            else:
                assert "gres/gpu" not in tres, (rule, tres)
    pretrain = PROFILE["set-resources"]["pretrain"]
    for job_id, _ in jobs["pretrain"]:
        tres = sacct[job_id]["AllocTRES"]
        assert f"cpu={pretrain['cpus_per_task']}" in tres and f"mem={pretrain['mem_mb']}M" in tres
        assert sacct[job_id]["Timelimit"] == "12:00:00"  # 720 minutes x attempt 1


def test_everything_completed_and_equals_a_local_run(cluster_run, default_run):
    sacct, cancelled = cluster_run["sacct"], cluster_run["cancelled"]
    assert {row["State"] for job_id, row in sacct.items() if job_id != cancelled["job"]} == {"COMPLETED"}
    assert snakemake(cluster_run["workdir"], "-n").stdout.count("Nothing to be done") == 1
    ours, local = result_digests(cluster_run["workdir"]), result_digests(default_run)
    assert ours.keys() == local.keys()
    assert [path for path in ours if ours[path] != local[path]] == []


def test_a_training_job_cancelled_mid_run_is_retried_and_resumes(cluster_run):
    cancelled, sacct, workdir = cluster_run["cancelled"], cluster_run["sacct"], cluster_run["workdir"]
    assert cancelled, "no finetuning job was caught mid-training"
    attempts = [job_id for job_id, wildcards in cluster_run["jobs"]["finetune"] if wildcards == cancelled["wildcards"]]
    assert attempts[0] == cancelled["job"] and len(attempts) == 2
    first, retry = sacct[attempts[0]], sacct[attempts[1]]
    assert first["State"] == "FAILED" and retry["State"] == "COMPLETED"
    assert retry["Timelimit"] == "1-00:00:00"  # 720 minutes x attempt 2
    log = (workdir / "results" / "logs" / "finetune" / f"{cancelled['folder']}.log").read_text()
    resumed_from = log.split("resume from: ")[1].split("\n")[0]
    assert "/checkpoint-" in resumed_from, log
    train_log = workdir / "results" / "models" / cancelled["folder"] / "train_log.jsonl"
    steps = [json.loads(line)["step"] for line in train_log.read_text().splitlines()]
    assert steps == list(range(1, len(steps) + 1))


def test_a_training_rule_spreads_over_two_tasks_with_srun_and_torchrun(cluster_run, tmp_path):
    """The documented multi-node recipe (profiles/slurm/README.md), on the one test node: the
    job gets two tasks, the rule runs `srun` itself, two torchrun agents rendezvous and train
    one model with the global batch unchanged."""
    workdir = copy_workflow(tmp_path / "workflow")
    for name in ("results", ".snakemake/metadata"):
        shutil.copytree(cluster_run["workdir"] / name, workdir / name, dirs_exist_ok=True)
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    two_tasks = {"nodes": 1, "tasks": 2, "tasks_per_gpu": 0, "mpi": "srun"}  # README's recipe, on one node
    profile["set-resources"]["finetune"] = {**profile["set-resources"]["finetune"], **two_tasks}
    (tmp_path / "two-tasks").mkdir()
    (tmp_path / "two-tasks" / "config.yaml").write_text(yaml.safe_dump(profile))
    target = "results/models/tiny/lang50_n480/seed42"
    args = ("--profile", str(tmp_path / "two-tasks"), "--slurm-init-seconds-before-status-checks", "2")
    snakemake(workdir, *args, "--forcerun", target, "--", target)
    (job_id, _), *others = submitted_jobs(workdir)["finetune"]
    assert others == [] and set(submitted_jobs(workdir)) == {"finetune"}
    row = accounting([job_id])[job_id]
    assert row["State"] == "COMPLETED" and "cpu=128" in row["AllocTRES"], row
    log = (workdir / "results/logs/finetune/tiny/lang50_n480/seed42.log").read_text()
    assert "--nnodes=2 --node_rank=0" in log and "--nnodes=2 --node_rank=1" in log, log
    summary = json.loads((workdir / target / "train_summary.json").read_text())
    local = json.loads((cluster_run["workdir"] / target / "train_summary.json").read_text())
    assert summary["world_size"] == 2 and local["world_size"] == 1
    assert summary["global_batch_size"] == local["global_batch_size"] and summary["steps"] == local["steps"]
