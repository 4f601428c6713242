"""Training on a tiny model built here: what trains, what is skipped, resume, DeepSpeed."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import FAST, ROOT, TINY, step_log
from safetensors.torch import load_file

from mlan.errors import SourceError
from mlan.training.model import build_base_model
from mlan.training.settings import Settings
from mlan.training.train import INTERRUPTED_EXIT_CODE, prepare_checkpoints, train
from mlan.training.trainer import zero_vision_term


def weights(folder):
    return load_file(str(folder / "model.safetensors"))


def changed(before, after):
    return {key for key in before if not torch.equal(before[key], after[key])}


def cli_arguments(world, stage, data, output, settings) -> list[str]:
    return [
        "--stage",
        stage,
        "--base",
        str(world / "base"),
        "--data",
        str(data),
        "--images",
        str(world / "images"),
        "--output",
        str(output),
        "--checkpoints",
        str(output) + ".ckpt",
        "--settings",
        json.dumps(settings),
    ]


def run_training(world, stage, data, output, settings, **kwargs):
    arguments = [sys.executable, "-m", "mlan.training.train", *cli_arguments(world, stage, data, output, settings)]
    return subprocess.Popen(arguments, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def test_pretraining_changes_only_the_projector(world, tmp_path):
    train(
        "pretrain",
        world / "base",
        world / "data/llava_pretrain.jsonl",
        world / "images",
        tmp_path / "pre",
        tmp_path / "ckpt",
        Settings(**FAST),
    )
    moved = changed(weights(world / "base"), weights(tmp_path / "pre"))
    assert moved and all(key.startswith("multi_modal_projector") for key in moved)
    summary = json.loads((tmp_path / "pre/train_summary.json").read_text())
    assert summary["steps"] == 6 and summary["samples_seen"] == 24 and summary["tokens_seen"] > 0
    assert (tmp_path / "pre/train_log.jsonl").read_text().count("\n") == 6
    assert not (tmp_path / "ckpt").exists()  # checkpoints are removed once the model is final


def test_report_to_tensorboard_writes_the_loss_curve(world, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    settings = Settings(**FAST, report_to="tensorboard", tensorboard_dir=str(tmp_path / "tb"))
    data = world / "data/llava_pretrain.jsonl"
    train("pretrain", world / "base", data, world / "images", tmp_path / "pre", tmp_path / "ckpt", settings)
    (events,) = {path.parent for path in (tmp_path / "tb").rglob("events.out.tfevents.*")}
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    steps = [event.step for event in accumulator.Scalars("train/loss")]
    logged = [json.loads(line)["loss"] for line in (tmp_path / "pre/train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 7)) and [round(e.value, 4) for e in accumulator.Scalars("train/loss")] == [
        round(x, 4) for x in logged
    ]
    assert "train/learning_rate" in accumulator.Tags()["scalars"]


def count_vision_calls(monkeypatch):
    from transformers.models.clip import modeling_clip

    calls = []
    original = modeling_clip.CLIPVisionModel.forward

    def counting(self, pixel_values=None, *args, **kwargs):
        calls.append(pixel_values.shape[0])
        return original(self, pixel_values, *args, **kwargs)

    monkeypatch.setattr(modeling_clip.CLIPVisionModel, "forward", counting)
    return calls


def test_text_only_steps_never_run_the_vision_tower(world, tmp_path, monkeypatch):
    calls = count_vision_calls(monkeypatch)
    train(
        "finetune",
        world / "base",
        world / "mix100.json",
        world / "images",
        tmp_path / "text",
        tmp_path / "ckpt",
        Settings(**FAST),
    )
    assert calls == []


def test_finetuning_trains_llm_and_projector_with_grouped_steps(world, tmp_path, monkeypatch):
    calls = count_vision_calls(monkeypatch)
    train(
        "finetune",
        world / "base",
        world / "mix50.json",
        world / "images",
        tmp_path / "mixed",
        tmp_path / "ckpt",
        Settings(**FAST),
    )
    instances = json.loads((world / "mix50.json").read_text())
    images = sum(1 for instance in instances if "image" in instance)
    assert sum(calls) == images and set(calls) == {2}  # every vision micro-batch is all images
    moved = changed(weights(world / "base"), weights(tmp_path / "mixed"))
    assert not any(key.startswith("vision_tower") for key in moved)
    assert any(key.startswith("language_model") for key in moved)
    assert any(key.startswith("multi_modal_projector") for key in moved)


@pytest.mark.parametrize("precision", [{}, {"bf16": True}], ids=["fp32", "bf16-master-weights"])
def test_sigterm_then_rerun_equals_an_uninterrupted_run(world, tmp_path, precision):
    settings = {**FAST, "epochs": 3, **precision}  # bf16: the resumed run must get its fp32 masters back
    data = world / "mix50.json"
    whole = run_training(world, "finetune", data, tmp_path / "whole", settings)
    assert whole.wait(timeout=600) == 0, whole.stdout.read()

    first = run_training(world, "finetune", data, tmp_path / "resumed", settings)
    log = tmp_path / "resumed.ckpt" / "train_log.jsonl"
    deadline = time.monotonic() + 300
    while (not log.exists() or log.read_text().count("\n") < 8) and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=300) == INTERRUPTED_EXIT_CODE, first.stdout.read()
    assert not (tmp_path / "resumed").exists()
    assert list((tmp_path / "resumed.ckpt").glob("checkpoint-*"))

    second = run_training(world, "finetune", data, tmp_path / "resumed", settings)
    output = second.stdout.read()
    assert second.wait(timeout=600) == 0, output
    assert "resume from: " in output and "checkpoint-" in output.split("resume from: ")[1].split("\n")[0]
    whole_weights, resumed_weights = weights(tmp_path / "whole"), weights(tmp_path / "resumed")
    assert whole_weights.keys() == resumed_weights.keys()
    assert changed(whole_weights, resumed_weights) == set()
    steps = [json.loads(line)["step"] for line in (tmp_path / "resumed/train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, len(steps) + 1))  # one log line per step, across both segments
    # the summary counts the whole run, not the segment after the resume
    counts = ("samples_seen", "tokens_seen", "padding_tokens", "steps")
    whole_summary, resumed_summary = (
        json.loads((tmp_path / f"{n}/train_summary.json").read_text()) for n in ("whole", "resumed")
    )
    assert {c: resumed_summary[c] for c in counts} == {c: whole_summary[c] for c in counts}


@pytest.mark.parametrize("stage,zero", [("pretrain", 2), ("finetune", 3)])
def test_deepspeed_zero_in_one_process(world, tmp_path, stage, zero):
    data = world / ("data/llava_pretrain.jsonl" if stage == "pretrain" else "mix50.json")
    settings = {**FAST, "deepspeed": str(ROOT / f"config/deepspeed/zero{zero}.json")}
    process = run_training(world, stage, data, tmp_path / "out", settings, env={**os.environ, "DS_ACCELERATOR": "cpu"})
    output = process.stdout.read()
    assert process.wait(timeout=600) == 0, output[-4000:]
    summary = json.loads((tmp_path / "out/train_summary.json").read_text())
    assert summary["deepspeed"].endswith(f"zero{zero}.json")
    losses = [json.loads(line)["loss"] for line in (tmp_path / "out/train_log.jsonl").read_text().splitlines()]
    assert len(losses) == summary["steps"] > 0
    assert changed(weights(world / "base"), weights(tmp_path / "out"))


def test_checkpoints_from_other_inputs_are_not_resumed(tmp_path):
    folder = tmp_path / "ckpt"
    (folder / "checkpoint-5").mkdir(parents=True)
    (folder / "checkpoint-5" / "trainer_state.json").write_text("{}")
    (folder / "fingerprint.txt").write_text("old")
    messages = []
    assert prepare_checkpoints(folder, "new", messages.append) is None
    assert not (folder / "checkpoint-5").exists() and "other inputs" in messages[0]


@pytest.mark.parametrize("part,kind", [("llm", "language model"), ("vision", "vision config")])
def test_missing_weights_are_named(world, tmp_path, part, kind):
    from transformers import AutoTokenizer

    spec = {**TINY, part: {"source": str(tmp_path / "nowhere")}}
    tokenizer = AutoTokenizer.from_pretrained(world / "base")
    with pytest.raises(
        SourceError,
        match=rf"model 'tiny': the {kind} folder '.*nowhere' \(models\.tiny\.{part}\.source\) does not exist",
    ):
        build_base_model("tiny", spec, tokenizer, seed=0)


def test_unloadable_hub_weights_are_named(world):
    from transformers import AutoTokenizer

    spec = {**TINY, "vision": {"source": "openai/clip-vit-large-patch14-336"}}  # no hub here
    tokenizer = AutoTokenizer.from_pretrained(world / "base")
    with pytest.raises(
        SourceError, match=r"(?s)cannot load the vision config from 'openai/clip.*models\.tiny\.vision\.source"
    ):
        build_base_model("tiny", spec, tokenizer, seed=0)


def test_zero_vision_term_runs_the_tower_but_changes_nothing(world):
    from mlan.training.model import load_model

    model = load_model(world / "base")
    term = zero_vision_term(model, "cpu")
    assert term.item() == 0.0
    term.backward()
    projector = model.model.multi_modal_projector.linear_1.weight
    assert projector.grad is not None and torch.count_nonzero(projector.grad) == 0  # in the graph, no effect


@pytest.mark.parametrize(
    "precision",
    [{}, {"bf16": True}, {"gradient_checkpointing": True}],
    ids=["fp32", "bf16-master-weights", "gradient-checkpointing"],
)
def test_two_slurm_tasks_meet_at_one_rendezvous_like_two_nodes(world, tmp_path, precision):
    """What `srun --ntasks=2 python -m mlan.training.launch` does on two nodes, here on one machine:
    two torchrun agents (one per task) rendezvous on the first host and train one model with
    the global batch unchanged (bf16: DDP reduces the bf16 gradients the masters take). With
    gradient checkpointing, text-only steps leave the projector without a gradient, which
    DDP must be told to expect."""
    output = tmp_path / "two-nodes"
    settings = {**FAST, "epochs": 1, **precision}
    arguments = ["--stage", "finetune", "--base", str(world / "base"), "--data", str(world / "mix50.json")]
    arguments += ["--images", str(world / "images"), "--output", str(output), "--checkpoints", str(output) + ".ckpt"]
    arguments += ["--settings", json.dumps(settings)]
    tasks = []
    for rank in (0, 1):
        env = {**os.environ, "SLURM_PROCID": str(rank), "SLURM_NTASKS": "2", "SLURM_JOB_ID": str(os.getpid())}
        env |= {"SLURM_STEP_NODELIST": "localhost", "CUDA_VISIBLE_DEVICES": ""}
        command = [sys.executable, "-m", "mlan.training.launch", *arguments]
        tasks.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outputs = [task.communicate(timeout=600)[0].decode() for task in tasks]
    assert [task.returncode for task in tasks] == [0, 0], "\n".join(output[-3000:] for output in outputs)
    assert "--nnodes=2 --node_rank=0" in outputs[0] and "--nnodes=2 --node_rank=1" in outputs[1]
    summary = json.loads((output / "train_summary.json").read_text())
    assert summary["world_size"] == 2
    assert summary["samples_seen"] == summary["steps"] * FAST["global_batch_size"]  # both processes' samples
    assert summary["global_batch_size"] == FAST["global_batch_size"]
    assert summary["per_device_batch_size"] * summary["gradient_accumulation_steps"] * 2 == FAST["global_batch_size"]
    if "bf16" in precision:  # the same steps as one process, up to bf16 rounding of the reduced gradients
        assert summary["precision"] == "bf16 master weights"
        single = tmp_path / "one-process"
        data, images = world / "mix50.json", world / "images"
        train("finetune", world / "base", data, images, single, tmp_path / "c", Settings(**settings))
        base, two, one = weights(world / "base"), weights(output), weights(single)
        assert all(tensor.dtype == torch.float32 for tensor in two.values())
        for key in changed(base, one):
            assert (two[key] - one[key]).norm() / (one[key] - base[key]).norm() < 0.1, key


def test_sigterm_to_the_whole_step_with_loader_workers_still_checkpoints(world, tmp_path):
    """Slurm signals every process of a job step, data-loader workers included; a worker
    killed by it would abort training before the checkpoint. Workers inherit the
    checkpoint-on-SIGTERM handler instead, so the run stops cleanly and resumes."""
    settings = {**FAST, "epochs": 3, "dataloader_workers": 2}
    data = world / "mix50.json"
    first = run_training(world, "finetune", data, tmp_path / "run", settings, start_new_session=True)
    log = tmp_path / "run.ckpt" / "train_log.jsonl"
    deadline = time.monotonic() + 300
    while (not log.exists() or log.read_text().count("\n") < 4) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGTERM)  # the process and all its workers, as slurmstepd does
    output = first.stdout.read()
    assert first.wait(timeout=300) == INTERRUPTED_EXIT_CODE, output
    assert list((tmp_path / "run.ckpt").glob("checkpoint-*")), output
    second = run_training(world, "finetune", data, tmp_path / "run", settings)
    output = second.stdout.read()
    assert second.wait(timeout=600) == 0, output
    assert "checkpoint-" in output.split("resume from: ")[1].split("\n")[0]


# Stops a training run with SIGTERM at the end of a chosen step (the Slurm path: save, exit 3).
SIGTERM_AT_STEP = """
import os, signal, sys
from mlan.training import callbacks, train
stop_at, original = int(os.environ["MLAN_TEST_SIGTERM_AT_STEP"]), callbacks.StopOnSigterm.on_step_end
def on_step_end(self, args, state, control, **kwargs):
    if state.global_step == stop_at:
        os.kill(os.getpid(), signal.SIGTERM)
    return original(self, args, state, control, **kwargs)
callbacks.StopOnSigterm.on_step_end = on_step_end
train.main(sys.argv[1:])
"""


def test_zero3_resumed_after_a_vision_step_equals_the_uninterrupted_run(world, tmp_path):
    """ZeRO-3 keeps a parameter's last reduced gradient in its partition when the parameter
    takes no part in a step: the projector, skipped by a language-only step, was updated
    again with the previous vision step's gradient, and a run resumed there (fresh buffers)
    trained differently (seen on the real Slurm: grad norm 2.90 resumed vs 4.23). The
    projector now takes part, with zero weight, in every step under DeepSpeed."""
    from mlan.training.sampler import ModalityGroupedSampler

    data = world / "mix50.json"
    has_image = [bool(instance.get("image")) for instance in json.loads(data.read_text())]
    blocks = ModalityGroupedSampler(has_image, FAST["global_batch_size"], seed=42).blocks()
    vision = [has_image[block[0]] for block in blocks]
    step = next(i + 1 for i in range(len(vision) - 1) if vision[i] and not vision[i + 1])  # then a language step
    settings = {**FAST, "deepspeed": str(ROOT / "config/deepspeed/zero3.json")}
    env = {**os.environ, "DS_ACCELERATOR": "cpu"}
    whole = run_training(world, "finetune", data, tmp_path / "whole", settings, env=env)
    output = whole.communicate(timeout=600)[0]  # read as it runs: DeepSpeed's output fills a pipe
    assert whole.returncode == 0, output[-4000:]
    arguments = cli_arguments(world, "finetune", data, tmp_path / "resumed", settings)
    first = subprocess.run(
        [sys.executable, "-c", SIGTERM_AT_STEP, *arguments], cwd=ROOT, capture_output=True, text=True,
        env={**env, "MLAN_TEST_SIGTERM_AT_STEP": str(step)},
    )  # fmt: skip
    assert first.returncode == INTERRUPTED_EXIT_CODE, first.stdout[-4000:] + first.stderr[-4000:]
    assert [p.name for p in (tmp_path / "resumed.ckpt").glob("checkpoint-*")] == [f"checkpoint-{step}"]
    second = run_training(world, "finetune", data, tmp_path / "resumed", settings, env=env)
    output = second.communicate(timeout=600)[0]
    assert second.returncode == 0, output[-4000:]
    assert f"checkpoint-{step}" in output.split("resume from: ")[1].split("\n")[0]
    norms = [[row["grad_norm"] for row in step_log(tmp_path / name)] for name in ("whole", "resumed")]
    assert norms[0] == pytest.approx(norms[1], rel=1e-6)
    assert changed(weights(tmp_path / "whole"), weights(tmp_path / "resumed")) == set()
    # the summary's loss is the whole run's, not the steps after the resume only
    losses = [
        json.loads((tmp_path / name / "train_summary.json").read_text())["final_loss"] for name in ("whole", "resumed")
    ]
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
