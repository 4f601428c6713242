"""Faults at the workflow level: a Snakemake run stopped mid-training (Ctrl-C: SIGINT to
the process group) and then killed outright mid-evaluation (SIGKILL of the whole process
group, as a dying node does), then rerun: it finishes with results byte-identical to the
uninterrupted default run. The same copy then shows that another seed changes the data,
the weights and the scores."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import copy_workflow, result_digests, snakemake
from safetensors.torch import load_file

from mlan.training.checkpoints import FINGERPRINT, check_checkpoint

# the finished default run is one per worker: every test reading it runs on the same one
pytestmark = [pytest.mark.pipeline, pytest.mark.xdist_group("default_run")]

RUN = "lang50_n480/seed42"
TARGET = "results/eval/tiny/lang50_n480_seed42/race.json"  # its job evaluates all 9 benchmarks


def answer_ctrl_c() -> None:
    """A suite started in the background of a shell (`make test &`, nohup) inherits SIGINT
    ignored, and so would Snakemake and its jobs: the Ctrl-C below would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(workdir: Path, *args: str) -> subprocess.Popen:
    """Snakemake in its own process group (so the whole tree can be killed), output to a file."""
    command = [str(Path(sys.executable).with_name("snakemake")), "--cores", "2", *args]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    output = open(workdir.parent / f"snakemake-{time.monotonic_ns()}.out", "w")  # noqa: SIM115 (closed by the OS)
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=answer_ctrl_c,
    )
    process.output = Path(output.name)
    return process


def output_of(process: subprocess.Popen) -> str:
    return process.output.read_text()[-4000:]


def wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"snakemake ended before {what}:\n{output_of(process)}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def without_one_run(default_run: Path, workdir: Path) -> Path:
    """A copy of the finished default run (time stamps and Snakemake's records kept) from
    which one finetuned model and its evaluation are gone: rebuilding them is the DAG under
    test, without redoing the data and pretraining (minutes of CI)."""
    for name in ("results", ".snakemake/metadata"):
        shutil.copytree(default_run / name, workdir / name, dirs_exist_ok=True)
    for gone in (f"results/models/tiny/{RUN}", "results/eval/tiny/lang50_n480_seed42"):
        shutil.rmtree(workdir / gone)
    for log in (f"results/logs/finetune/tiny/{RUN}.log", "results/logs/evaluate/tiny/lang50_n480_seed42.log"):
        (workdir / log).unlink()  # the test watches for them to appear
    return workdir


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, default_run):
    workdir = without_one_run(default_run, copy_workflow(tmp_path_factory.mktemp("interrupted") / "workflow"))
    checkpoints = workdir / "results/checkpoints/tiny" / RUN
    model = workdir / "results/models/tiny" / RUN

    # Ctrl-C: SIGINT to Snakemake and its jobs (a plain SIGTERM to Snakemake only makes it
    # finish the running jobs and start no more). Training has a periodic checkpoint.
    first = start(workdir, TARGET)
    # complete means stamped too: the fingerprint is written last (a kill before it leaves no checkpoint to resume)
    saved = lambda: any(  # noqa: E731
        check_checkpoint(path) is None and (path / FINGERPRINT).is_file() for path in checkpoints.glob("checkpoint-*")
    )
    wait_for(saved, first, "a complete finetuning checkpoint")
    os.killpg(first.pid, signal.SIGINT)
    first.wait(timeout=300)
    assert first.returncode != 0, output_of(first)
    assert not model.exists()  # no half-trained model where the finished one belongs

    second = start(workdir, TARGET)
    log = workdir / "results/logs/evaluate/tiny/lang50_n480_seed42.log"
    wait_for(log.exists, second, "the evaluation job")
    time.sleep(1.0)
    os.killpg(second.pid, signal.SIGKILL)
    second.wait(timeout=60)

    # A hard kill leaves Snakemake's lock and its "incomplete" markers: the next run stops,
    # naming the fix; then nothing half-made is used, whatever the kill left.
    locked = snakemake(workdir, TARGET, check=False)
    assert locked.returncode != 0 and "--unlock" in locked.stderr, locked.stderr
    snakemake(workdir, "--unlock", TARGET)
    snakemake(workdir, "--rerun-incomplete", TARGET)
    return workdir


def test_interrupted_run_resumes_training(interrupted):
    log = (interrupted / "results/logs/finetune/tiny" / f"{RUN}.log").read_text()
    assert f"resume from: results/checkpoints/tiny/{RUN}/checkpoint-" in log
    assert not any((interrupted / "results/checkpoints").rglob("checkpoint-*"))


def test_interrupted_run_equals_the_uninterrupted_one(interrupted, default_run):
    resumed, whole = result_digests(interrupted), result_digests(default_run)
    assert f"results/models/tiny/{RUN}/model.safetensors" in resumed
    evaluated = "results/eval/tiny/lang50_n480_seed42/"
    in_run = {path for path in resumed if path.startswith(evaluated)}
    assert in_run == {path for path in whole if path.startswith(evaluated)}
    assert f"{evaluated}race.predictions.jsonl" in resumed and f"{evaluated}pope.predictions.jsonl" in resumed
    differing = sorted(path for path in resumed if resumed[path] != whole.get(path))
    assert differing == []
    assert not any(path.endswith(".tmp") for path in resumed)


def test_another_seed_changes_data_weights_and_scores(interrupted):
    config = yaml.safe_load((interrupted / "config/config.yaml").read_text())
    config["seeds"] = [43]
    (interrupted / "seed43.yaml").write_text(yaml.safe_dump(config))
    snakemake(interrupted, "--configfile=seed43.yaml", "results/eval/tiny/lang50_n480_seed43/race.json")
    results = interrupted / "results"
    train = [(results / f"mixtures/lang50_n480/seed{seed}/train.json").read_bytes() for seed in (42, 43)]
    assert train[0] != train[1]
    tensors = [load_file(results / f"models/tiny/lang50_n480/seed{seed}/model.safetensors") for seed in (42, 43)]
    assert any(not tensors[0][key].equal(tensors[1][key]) for key in tensors[0])
    benchmarks = config["evaluation"]["benchmarks"]
    predictions = [
        [(results / f"eval/tiny/lang50_n480_seed{seed}/{b}.predictions.jsonl").read_bytes() for b in benchmarks]
        for seed in (42, 43)
    ]
    assert predictions[0] != predictions[1]


def test_a_max_length_that_cuts_every_answer_stops_before_training(default_run, tmp_path):
    """The mixture's check runs before the jobs that train on it: finetune.max_length 16 cuts
    every answer of the default's mixtures, and the run stops at the check, naming it,
    without starting the finetuning job (on a cluster: before pretraining's GPU hours)."""
    report = json.loads((default_run / "results/lengths/tiny" / f"{RUN}.json").read_text())
    mixture = json.loads((default_run / "results/mixtures" / RUN / "train.json").read_text())
    assert report["instances"] == len(mixture) and report["instances_left_out_answer_cut"] == 0
    workdir = copy_workflow(tmp_path / "workflow")
    for name in ("results", ".snakemake/metadata"):
        shutil.copytree(default_run / name, workdir / name, dirs_exist_ok=True)
    finetune_log = workdir / f"results/logs/finetune/tiny/{RUN}.log"
    before = finetune_log.stat().st_mtime_ns
    (workdir / "short.yaml").write_text("training:\n  finetune:\n    max_length: 16\n")
    result = snakemake(workdir, "--configfile=short.yaml", f"results/models/tiny/{RUN}", check=False)
    assert result.returncode != 0
    assert f"max_length=16 cuts every answer token of all {len(mixture)} instances" in result.stdout + result.stderr
    assert "Error in rule count_tokens" in result.stdout + result.stderr
    assert finetune_log.stat().st_mtime_ns == before  # the training job never started
