"""Projector pretraining and instruction tuning with the Hugging Face ``Trainer`` (plus
DeepSpeed where configured), resumable, with per-step logs and a run summary.

Launched by ``mlan.training.launch`` (torchrun over every GPU of the job, or one CPU process).
Checkpoints live in ``--checkpoints`` (not the rule's output), so Snakemake never deletes
them on failure; the model folder appears, atomically, only when training finished.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
from pathlib import Path

import torch
from transformers import AutoProcessor

from mlan.atomic import disk_full_named
from mlan.errors import MlanError
from mlan.provenance import provenance
from mlan.training.answer_loss import WithAnswerPositions
from mlan.training.batch_plan import BatchPlan
from mlan.training.callbacks import StampCheckpoints, StepLog, StopOnSigterm, TokenCounter
from mlan.training.checkpoints import check_checkpoint, checkpoints_newest_first, trim_step_log
from mlan.training.master_weights import full_precision_weights
from mlan.training.model import PreparedModel, load_model, prepare_model, use_kv_cache, use_packed_attention
from mlan.training.portable import make_portable
from mlan.training.processes import is_main_process, leave_process_group, world_size
from mlan.training.processor import ASPECT_RATIOS
from mlan.training.settings import Settings, check_settings, precision
from mlan.training.stages import STAGES, Stage
from mlan.training.trainer import MlanTrainer, training_arguments
from mlan.training.training_data import Collator, ConversationDataset

INTERRUPTED_EXIT_CODE = 143  # 128 + SIGTERM: "stopped, checkpoint saved, rerun to resume"


def fingerprint(paths: list[Path], settings: dict) -> str:
    """What a checkpoint was made from: resuming one made from other inputs is refused."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for path in paths:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and file.suffix in (".json", ".jsonl", ".safetensors", ".txt"):
                digest.update(file.name.encode())
                digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def prepare_checkpoints(folder: Path, expected: str, log) -> str | None:
    """The newest complete checkpoint to resume from, after discarding any made from other
    inputs; a half-written or corrupt one (a kill or a full disk while saving) is skipped,
    with a log line, for the one before it."""
    stamp = folder / "fingerprint.txt"
    if folder.exists() and (not stamp.exists() or stamp.read_text() != expected):
        log(f"discarding checkpoints in {folder}: made from other inputs or settings")
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(expected)
    resume = None
    for checkpoint in checkpoints_newest_first(folder):
        problem = check_checkpoint(checkpoint, expected)
        if problem is None:
            resume = checkpoint
            break
        log(f"skipping checkpoint {checkpoint.name}: {problem}")
        if is_main_process():
            shutil.rmtree(checkpoint, ignore_errors=True)
    if is_main_process():
        trim_step_log(folder / "train_log.jsonl", resume)
    return str(resume) if resume else None


def set_up_deepspeed_environment(settings: Settings) -> None:
    """DeepSpeed without a GPU needs its CPU accelerator, and in one process started without a
    launcher the distributed environment torchrun would have set."""
    if settings.deepspeed and not torch.cuda.is_available():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
    if settings.deepspeed and "RANK" not in os.environ:  # one process without a launcher
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(29500 + os.getpid() % 1000))


def peak_memory_bytes() -> int:
    if torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def train(
    stage_name: str, base: Path, data: Path, image_root: Path, output: Path, checkpoints: Path, settings: Settings
):
    """Train ``base`` as ``stage_name`` says into ``output``, resuming from ``checkpoints``."""
    stage = STAGES[stage_name]

    def log(message):
        if is_main_process():
            print(f"[{stage.name}] {message}", flush=True)

    check_settings(settings)
    set_up_deepspeed_environment(settings)
    plan = BatchPlan.from_settings(settings, stage, world_size())
    if plan.packed:
        os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")  # rows vary in length
    processor = AutoProcessor.from_pretrained(base)
    if settings.image_aspect_ratio:  # this stage's images (saved with the model: its evaluation reads alike)
        processor.image_processor.do_pad = ASPECT_RATIOS[settings.image_aspect_ratio]
    instances = stage.read_instances(data)
    if not instances:
        raise MlanError(f"no training instances in '{data}'")
    dataset = ConversationDataset(instances, processor, image_root, stage.template, settings.max_length)
    cut = dataset.leave_out_cut_answers()
    if cut.left_out:
        log(
            f"{len(cut.left_out)} of {len(instances)} instances left out: max_length={settings.max_length} cuts all "
            f"their answer tokens (first: {', '.join(cut.left_out[:3])})"
        )
    stamp = fingerprint([base, data], {"stage": stage.name, **vars(settings)})
    resume = prepare_checkpoints(checkpoints, stamp, log)
    log(f"{len(dataset)} instances; {plan.describe()}; resume from: {resume or 'nothing'}")

    mode = precision(settings)
    prepared = prepare_model(
        base,
        stage,
        packed=plan.packed,
        gradient_checkpointing=settings.gradient_checkpointing,
        compile_layers=settings.compile_layers,
    )
    log(f"trainable parameters {prepared.trainable_parameters:,}, frozen {prepared.frozen_parameters:,}; {mode}")
    if prepared.compiled_layers:
        log(
            f"{prepared.compiled_layers} decoder layers compiled "
            "(torch.compile, dynamic shapes; compiles at the first step)"
        )

    counter, stopper = TokenCounter.resumed(resume), StopOnSigterm()
    trainer = MlanTrainer(
        model=prepared.model,
        # after the model is loaded: DeepSpeed's ZeRO-3 config, once made, would partition the load
        args=training_arguments(settings, plan, mode, checkpoints),
        train_dataset=dataset,
        data_collator=WithAnswerPositions(Collator(processor.tokenizer.pad_token_id)),
        callbacks=[counter, StepLog(counter, checkpoints / "train_log.jsonl"), stopper, StampCheckpoints(stamp)],
        plan=plan,
        counter=counter,
        master_weights=mode == "bf16 master weights",
    )
    with disk_full_named(lambda: checkpoints / f"checkpoint-{trainer.state.global_step}", "the checkpoint"):
        result = trainer.train(resume_from_checkpoint=resume)
    if stopper.requested:
        log(f"stopped by SIGTERM at step {trainer.state.global_step}; checkpoint in {checkpoints}; rerun to resume")
        leave_process_group(wait=False)
        sys.exit(INTERRUPTED_EXIT_CODE)

    staging = output.with_name(output.name + ".partial")
    if staging.exists() and is_main_process():
        shutil.rmtree(staging)
    use_packed_attention(trainer.model, False)  # saved models load with SDPA anywhere
    use_kv_cache(trainer.model, True)  # and generate with a KV cache
    if trainer.master_weights and is_main_process():  # the main process saves
        full_precision_weights(trainer.model, trainer.master_optimizer(), load_model(base))
    with disk_full_named(lambda: staging, "the finished model"):
        trainer.save_model(str(staging))
        if is_main_process():
            processor.save_pretrained(staging)
            make_portable(staging)
            summary = run_summary(stage, settings, plan, mode, prepared, trainer, result, len(dataset)) | cut.summary()
            (staging / "train_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
            shutil.copy2(checkpoints / "train_log.jsonl", staging / "train_log.jsonl")
    if is_main_process():
        staging.replace(output)
        shutil.rmtree(checkpoints)
        log(f"done: {output}")
    leave_process_group(wait=True)


def mean_logged_loss(checkpoints: str | Path) -> float:
    """The training loss averaged over every step of the run, from the step log kept across
    attempts (the Trainer's own average covers only the steps since a resume)."""
    with open(Path(checkpoints) / "train_log.jsonl") as handle:
        losses = [json.loads(line)["loss"] for line in handle if line.strip()]
    return sum(losses) / len(losses)


def run_summary(
    stage: Stage,
    settings: Settings,
    plan: BatchPlan,
    mode: str,
    prepared: PreparedModel,
    trainer: MlanTrainer,
    result,
    instances: int,
) -> dict:
    """``train_summary.json``: what the run saw and cost, beside the model."""
    counter = next(c for c in trainer.callback_handler.callbacks if isinstance(c, TokenCounter))
    sampler = trainer._get_train_sampler()
    return {
        "stage": stage.name,
        "instances": instances,
        "steps": trainer.state.global_step,
        "epochs": settings.epochs,
        "final_loss": mean_logged_loss(trainer.args.output_dir),
        "samples_seen": counter.samples,
        "tokens_seen": counter.tokens,
        "padding_tokens": counter.padding,
        "padding_fraction": counter.padding / max(counter.tokens + counter.padding, 1),
        "modality_padding_samples": getattr(sampler, "padded", 0),
        "wall_time_seconds": round(counter.elapsed(), 3),
        "peak_memory_bytes": peak_memory_bytes(),
        "world_size": plan.world_size,
        "per_device_batch_size": plan.per_device,
        "gradient_accumulation_steps": plan.accumulation,
        "global_batch_size": plan.global_batch,
        "bf16": mode != "fp32",
        "precision": mode,
        "compiled_layers": prepared.compiled_layers,
        "deepspeed": settings.deepspeed,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "trainable_parameters": prepared.trainable_parameters,
        "settings": vars(settings),
        "provenance": provenance(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MLAN pretraining / instruction tuning")
    parser.add_argument("--stage", choices=tuple(STAGES), required=True)
    parser.add_argument("--base", type=Path, required=True, help="model folder to start from")
    parser.add_argument("--data", type=Path, required=True, help="train.json (finetune) or captions .jsonl (pretrain)")
    parser.add_argument("--images", type=Path, required=True, help="root of the image paths in the data")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--checkpoints", type=Path, required=True)
    parser.add_argument("--settings", required=True, help="JSON object of Settings fields")
    args = parser.parse_args(argv)
    try:
        settings = Settings(**json.loads(args.settings))
        train(args.stage, args.base, args.data, args.images, args.output, args.checkpoints, settings)
    except MlanError as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
