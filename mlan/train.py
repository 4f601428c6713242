"""Projector pretraining and instruction tuning with the Hugging Face ``Trainer`` (plus
DeepSpeed where configured), resumable, with per-step logs and a run summary.

Launched by ``mlan.launch`` (torchrun over every GPU of the job, or one CPU process).
Checkpoints live in ``--checkpoints`` (not the rule's output), so Snakemake never deletes
them on failure; the model folder appears, atomically, only when training finished.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from mlan.errors import MlanError
from mlan.sampler import ModalityGroupedSampler, PackedBatchSampler, batch_layout

INTERRUPTED_EXIT_CODE = 143  # 128 + SIGTERM: "stopped, checkpoint saved, rerun to resume"
TEMPLATE = {"pretrain": "plain", "finetune": "vicuna_v1"}


@dataclass
class Settings:
    """One stage's hyperparameters (``training.<stage>`` in the config)."""

    learning_rate: float
    global_batch_size: int
    max_per_device_batch_size: int
    epochs: float = 1
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_length: int = 2048
    deepspeed: str | None = None
    bf16: str = "auto"  # "auto": on a GPU that supports it
    gradient_checkpointing: bool = False
    save_steps: int = 500
    group_by_modality: bool = True
    seed: int = 42
    pack_tokens: int | None = None  # pack each step's instances into rows of this many tokens (finetune)
    dataloader_workers: int = 0  # processes reading images and tokenizing while the GPU computes
    master_weights: bool = True  # bf16 without DeepSpeed: bf16 model, fp32 masters in the optimizer (else autocast)
    compile_layers: bool = False  # torch.compile each LLM decoder layer (without DeepSpeed)


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


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
    from mlan.checkpoints import check_checkpoint, checkpoints_newest_first, trim_step_log

    stamp = folder / "fingerprint.txt"
    if folder.exists() and (not stamp.exists() or stamp.read_text() != expected):
        log(f"discarding checkpoints in {folder}: made from other inputs or settings")
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(expected)
    resume = None
    for checkpoint in checkpoints_newest_first(folder):
        problem = check_checkpoint(checkpoint)
        if problem is None:
            resume = checkpoint
            break
        log(f"skipping checkpoint {checkpoint.name}: {problem}")
        if is_main_process():
            shutil.rmtree(checkpoint, ignore_errors=True)
    if is_main_process():
        trim_step_log(folder / "train_log.jsonl", resume)
    return str(resume) if resume else None


def make_callbacks(log_path: Path):
    from transformers import TrainerCallback
    from transformers.trainer_callback import ExportableState

    class TokenCounter(TrainerCallback, ExportableState):
        """Tokens the LLM processed (image tokens included), padding, samples and wall time,
        of all processes together (each step's counts are summed over ranks at its end); part
        of every checkpoint, so a resumed run reports the whole run."""

        def __init__(self, tokens=0, padding=0, samples=0, seconds=0.0):
            self.tokens, self.padding, self.samples, self.seconds = tokens, padding, samples, seconds
            self.segment_start = time.monotonic()
            self.pending = [0, 0, 0]  # this process's tokens, padding, samples of the current step

        def add(self, inputs):
            if "cu_seq_lens_q" in inputs:  # a packed row: no padding
                self.pending[0] += int(inputs["input_ids"].numel())
                self.pending[2] += len(inputs["cu_seq_lens_q"]) - 1
                return
            mask = inputs["attention_mask"]
            self.pending[0] += int(mask.sum())
            self.pending[1] += int(mask.numel() - mask.sum())
            self.pending[2] += int(mask.shape[0])

        def on_step_end(self, args, state, control, **kwargs):
            tokens, padding, samples = summed_over_processes(self.pending)
            self.tokens, self.padding, self.samples = (
                self.tokens + tokens,
                self.padding + padding,
                self.samples + samples,
            )
            self.pending = [0, 0, 0]

        def elapsed(self) -> float:
            return self.seconds + time.monotonic() - self.segment_start

        def state(self) -> dict:
            return {
                "args": {
                    "tokens": self.tokens,
                    "padding": self.padding,
                    "samples": self.samples,
                    "seconds": self.elapsed(),
                },
                "attributes": {},
            }

    class StepLog(TrainerCallback):
        """Appends one JSON line per logged step: loss, lr, grad norm, throughput."""

        def __init__(self, counter: TokenCounter):
            self.counter = counter
            self.last = (time.monotonic(), 0)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not is_main_process() or not logs or "loss" not in logs:
                return
            now, tokens = time.monotonic(), self.counter.tokens
            seconds = max(now - self.last[0], 1e-9)
            entry = {
                "step": state.global_step,
                "epoch": round(state.epoch or 0, 4),
                "loss": logs.get("loss"),
                "learning_rate": logs.get("learning_rate"),
                "grad_norm": logs.get("grad_norm"),
                "tokens_per_second": round((tokens - self.last[1]) / seconds, 1),
                "elapsed_seconds": round(self.counter.elapsed(), 3),
                "tokens_seen": tokens,
                "samples_seen": self.counter.samples,
            }
            self.last = (now, tokens)
            with open(log_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")

    class StopOnSigterm(TrainerCallback):
        """Slurm sends SIGTERM before a time limit or preemption: save at the end of the
        current step and stop; the caller then exits non-zero so the job is retried."""

        def __init__(self):
            self.requested = False

        def on_train_begin(self, args, state, control, **kwargs):
            signal.signal(signal.SIGTERM, self._request)

        def _request(self, signum, frame):
            self.requested = True

        def on_step_end(self, args, state, control, **kwargs):
            if self.requested:
                control.should_save = True
                control.should_training_stop = True

    return TokenCounter, StepLog, StopOnSigterm


def summed_over_processes(values: list[int]) -> list[int]:
    """Per-process counts summed over every rank of the job (one process: as they are)."""
    if not torch.distributed.is_initialized() or torch.distributed.get_world_size() == 1:
        return list(values)
    device = torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else "cpu"
    total = torch.tensor(values, dtype=torch.int64, device=device)
    torch.distributed.all_reduce(total)
    return [int(value) for value in total.tolist()]


def zero_vision_term(model, device) -> torch.Tensor:
    """0 x (vision tower + projector on a zero image). With mixed steps across ranks every
    rank must run the vision tower under ZeRO-3 (LLaVA feeds a zero image for the same
    reason); adding this changes neither the loss nor any gradient."""
    size = model.config.vision_config.image_size
    dummy = torch.zeros(1, 3, size, size, device=device, dtype=model.dtype)
    hidden = model.model.vision_tower(dummy).last_hidden_state
    return 0.0 * model.model.multi_modal_projector(hidden).sum()


class SigtermIgnoringWorker:
    """Data-loader worker start-up: Slurm signals every process of a job step, and a worker
    killed by SIGTERM would abort training before its checkpoint; the main process saves
    the checkpoint and then stops its workers itself."""

    def __init__(self, then=None):
        self.then = then

    def __call__(self, worker_id: int) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if self.then is not None:
            self.then(worker_id)


def make_trainer_class():
    from transformers import Trainer

    from mlan.answer_loss import answer_loss

    class MlanTrainer(Trainer):
        """Modality-grouped sampling, packing and token counting on top of the stock Trainer.

        Packed (``pack_tokens``), one dataloader item is one rank's share of an optimizer step
        (``gradient_accumulation_steps`` is 1): a list of rows, each run forward and backward
        in turn, gradients synchronized and the optimizer stepped after the last. The loss is
        normalized by the answer tokens of the whole global batch, as unpacked."""

        def __init__(self, *args, group_by_modality: bool, global_batch: int, counter, **kwargs):
            pack_tokens, master_weights = kwargs.pop("pack_tokens", None), kwargs.pop("master_weights", False)
            super().__init__(*args, **kwargs)
            self.master_weights = master_weights
            self.group_by_modality = group_by_modality
            self.global_batch = global_batch
            self.counter = counter
            self.pack_tokens = pack_tokens

        def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
            # transformers 5 saves LLaVA weights under their legacy names and the stock
            # resume path loads them without the renaming, silently keeping the old
            # weights; from_pretrained applies it. (DeepSpeed resumes its own states.)
            if self.is_deepspeed_enabled:
                return super()._load_from_checkpoint(resume_from_checkpoint, model)
            target = model if model is not None else self.model
            loaded = type(target).from_pretrained(resume_from_checkpoint, dtype=target.dtype)
            target.load_state_dict(loaded.state_dict(), strict=True)

        def create_optimizer(self, model=None):
            if self.optimizer is None and self.master_weights:
                from mlan.master_weights import MasterWeightAdamW

                built = super().create_optimizer(model)
                self.optimizer = MasterWeightAdamW(built, self.model if model is None else model)
                return self.optimizer
            return super().create_optimizer(model)

        def _clip_grad_norm(self, model):
            if self.master_weights:
                return self.master_optimizer().clip_grad_norm_(self.args.max_grad_norm)
            return super()._clip_grad_norm(model)

        def master_optimizer(self):
            return getattr(self.optimizer, "optimizer", self.optimizer)  # accelerate wraps it

        def _get_train_sampler(self, train_dataset=None):
            if self.group_by_modality:
                return ModalityGroupedSampler(self.train_dataset.has_image, self.global_batch, self.args.seed)
            return super()._get_train_sampler(train_dataset)

        def get_train_dataloader(self):
            loader = self._packed_dataloader() if self.pack_tokens else super().get_train_dataloader()
            workers = getattr(loader, "base_dataloader", loader)  # accelerate wraps the DataLoader that iterates
            workers.worker_init_fn = SigtermIgnoringWorker(workers.worker_init_fn)
            return loader

        def _packed_dataloader(self):
            from mlan.answer_loss import WithAnswerPositions
            from mlan.training_data import PackCollator, Packed

            has_image = self.train_dataset.has_image if self.group_by_modality else [False] * len(self.train_dataset)
            steps = ModalityGroupedSampler(has_image, self.global_batch, self.args.seed)
            batches = PackedBatchSampler(steps, self.train_dataset.lengths(), self.pack_tokens, world_size())
            loader = torch.utils.data.DataLoader(
                Packed(self.train_dataset),
                batch_sampler=batches,
                collate_fn=WithAnswerPositions(PackCollator()),
                num_workers=self.args.dataloader_num_workers,
                pin_memory=self.args.dataloader_pin_memory,
            )
            return self.accelerator.prepare(loader)

        def _get_num_items_in_batch(self, batch_samples, device):
            if batch_samples and "rows" in batch_samples[0]:
                batch_samples = [row for sample in batch_samples for row in sample["rows"]]
            return super()._get_num_items_in_batch(batch_samples, device)

        def floating_point_ops(self, inputs):
            if "rows" in inputs:
                return sum(super(MlanTrainer, self).floating_point_ops(row) for row in inputs["rows"])
            return super().floating_point_ops(inputs)

        def training_step(self, model, inputs, num_items_in_batch=None):
            if "rows" not in inputs:
                self.counter.add(inputs)
                return super().training_step(model, inputs, num_items_in_batch)
            rows, total, state = inputs["rows"], 0.0, self.accelerator.gradient_state
            for number, row in enumerate(rows):
                self.counter.add(row)
                last = number == len(rows) - 1
                state._set_sync_gradients(last)  # DeepSpeed: accumulate, step after the last row
                deferred = not last and not self.is_deepspeed_enabled  # DeepSpeed defers by the flag above
                context = self.accelerator.no_sync(model) if deferred else contextlib.nullcontext()
                with context:
                    total = total + super().training_step(model, row, num_items_in_batch)
            return total

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if "logits_to_keep" in inputs and not return_outputs:
                result = self._answer_loss(model, inputs, num_items_in_batch)
            else:
                inputs = {k: v for k, v in inputs.items() if k != "logits_to_keep"}
                result = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            if self.group_by_modality or "pixel_values" in inputs or world_size() == 1:
                return result
            extra = zero_vision_term(model, inputs["input_ids"].device)
            if return_outputs:
                return result[0] + extra, result[1]
            return result + extra

        def _answer_loss(self, model, inputs, num_items_in_batch):
            """The stock causal-LM loss, from the logits of answer positions only
            (``mlan.answer_loss``), scaled as ``Trainer.compute_loss`` scales it."""
            inputs = dict(inputs)
            labels = inputs.pop("labels")
            logits = model(**inputs).logits
            loss = answer_loss(logits, labels, inputs["logits_to_keep"], num_items_in_batch)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                processes = self.accelerator.num_processes // self.get_tp_size()
                loss = loss * (processes if self.args.n_gpu <= 1 else self.args.n_gpu)
            return loss

    return MlanTrainer


def peak_memory_bytes() -> int:
    if torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def use_bf16(setting: str) -> bool:
    if setting == "auto":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return setting in (True, "true", "on")


def precision(settings: Settings) -> str:
    """How the run computes: "fp32", "bf16 autocast" (fp32 parameters), "bf16 master
    weights" (bf16 parameters, fp32 masters in the optimizer) or "deepspeed bf16"."""
    if not use_bf16(settings.bf16):
        return "fp32"
    if settings.deepspeed:
        return "deepspeed bf16"
    return "bf16 master weights" if settings.master_weights else "bf16 autocast"


def train(stage: str, base: Path, data: Path, image_root: Path, output: Path, checkpoints: Path, settings: Settings):
    from transformers import AutoProcessor, TrainingArguments

    from mlan.answer_loss import WithAnswerPositions
    from mlan.model import compile_decoder_layers, load_model, set_trainable, use_kv_cache, use_packed_attention
    from mlan.training_data import Collator, ConversationDataset, load_instances

    def log(message):
        if is_main_process():
            print(f"[{stage}] {message}", flush=True)

    if settings.compile_layers and settings.deepspeed:
        raise MlanError(
            "compile_layers: DeepSpeed wraps each layer in hooks of its own that torch.compile would "
            "trace; use compile_layers with deepspeed: null"
        )
    if settings.deepspeed and not torch.cuda.is_available():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
    if settings.deepspeed and "RANK" not in os.environ:  # one process without a launcher
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(29500 + os.getpid() % 1000))
    packed = bool(settings.pack_tokens) and stage == "finetune"
    per_device, accumulation = batch_layout(
        settings.global_batch_size, world_size(), settings.max_per_device_batch_size
    )
    if packed:  # a step's instances are one dataloader item per rank, packed into rows
        os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")  # rows vary in length
        per_device, accumulation = settings.global_batch_size // world_size(), 1
    processor = AutoProcessor.from_pretrained(base)
    instances = load_instances(data, stage)
    if not instances:
        raise MlanError(f"no training instances in '{data}'")
    dataset = ConversationDataset(instances, processor, image_root, TEMPLATE[stage], settings.max_length)
    resume = prepare_checkpoints(checkpoints, fingerprint([base, data], {"stage": stage, **vars(settings)}), log)
    log(
        f"{len(dataset)} instances; per-device batch {per_device} x accumulation {accumulation} x "
        f"{world_size()} processes = {settings.global_batch_size}"
        + (f", packed into rows of <= {settings.pack_tokens} tokens" if packed else "")
        + f"; resume from: {resume or 'nothing'}"
    )

    mode = precision(settings)
    model = load_model(base)
    counts = set_trainable(model, stage)
    log(f"trainable parameters {counts['trainable']:,}, frozen {counts['frozen']:,}; {mode}")
    use_kv_cache(model, False)
    if packed:
        use_packed_attention(model)
    if settings.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    compiled = compile_decoder_layers(model) if settings.compile_layers else 0
    if compiled:
        log(f"{compiled} decoder layers compiled (torch.compile, dynamic shapes; compiles at the first step)")

    arguments = TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=per_device,
        gradient_accumulation_steps=accumulation,
        learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs,
        lr_scheduler_type=settings.lr_scheduler,
        warmup_steps=settings.warmup_ratio,
        weight_decay=settings.weight_decay,
        logging_steps=1,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=2,
        seed=settings.seed,
        data_seed=settings.seed,
        bf16=mode in ("bf16 autocast", "deepspeed bf16"),  # "bf16 master weights": the model itself is bf16
        deepspeed=settings.deepspeed,
        # modality-grouped finetuning: a text-only step leaves the projector without a gradient;
        # DDP must look for such parameters (the Trainer's default turns that off whenever
        # gradient checkpointing is on, and the next step then fails)
        ddp_find_unused_parameters=stage == "finetune" and settings.group_by_modality,
        report_to=[],
        remove_unused_columns=False,
        dataloader_num_workers=settings.dataloader_workers,
        # packed: rows come from pinned memory and are copied without waiting on the GPU
        accelerator_config={"non_blocking": packed and torch.cuda.is_available()},
        use_cpu=not torch.cuda.is_available(),
    )
    token_counter, step_log, stop_on_sigterm = make_callbacks(checkpoints / "train_log.jsonl")
    counter, stopper = token_counter(), stop_on_sigterm()
    trainer = make_trainer_class()(
        model=model,
        args=arguments,
        train_dataset=dataset,
        data_collator=WithAnswerPositions(Collator(processor.tokenizer.pad_token_id)),
        callbacks=[counter, step_log(counter), stopper],
        group_by_modality=settings.group_by_modality and stage == "finetune",
        global_batch=settings.global_batch_size,
        counter=counter,
        pack_tokens=settings.pack_tokens if packed else None,
        master_weights=mode == "bf16 master weights",
    )
    result = trainer.train(resume_from_checkpoint=resume)
    counter = next(c for c in trainer.callback_handler.callbacks if isinstance(c, token_counter))
    if stopper.requested:
        log(f"stopped by SIGTERM at step {trainer.state.global_step}; checkpoint in {checkpoints}; rerun to resume")
        sys.exit(INTERRUPTED_EXIT_CODE)

    staging = output.with_name(output.name + ".partial")
    if staging.exists() and is_main_process():
        shutil.rmtree(staging)
    use_packed_attention(trainer.model, False)  # saved models load with SDPA anywhere
    use_kv_cache(trainer.model, True)  # and generate with a KV cache
    if trainer.master_weights and is_main_process():  # the main process saves
        from mlan.master_weights import full_precision_weights

        full_precision_weights(trainer.model, trainer.master_optimizer(), load_model(base))
    trainer.save_model(str(staging))
    if is_main_process():
        processor.save_pretrained(staging)
        sampler = trainer._get_train_sampler()
        summary = {
            "stage": stage,
            "instances": len(dataset),
            "steps": trainer.state.global_step,
            "epochs": settings.epochs,
            "final_loss": result.training_loss,
            "samples_seen": counter.samples,
            "tokens_seen": counter.tokens,
            "padding_tokens": counter.padding,
            "padding_fraction": counter.padding / max(counter.tokens + counter.padding, 1),
            "modality_padding_samples": getattr(sampler, "padded", 0),
            "wall_time_seconds": round(counter.elapsed(), 3),
            "peak_memory_bytes": peak_memory_bytes(),
            "world_size": world_size(),
            "per_device_batch_size": per_device,
            "gradient_accumulation_steps": accumulation,
            "global_batch_size": settings.global_batch_size,
            "bf16": mode != "fp32",
            "precision": mode,
            "compiled_layers": compiled,
            "deepspeed": settings.deepspeed,
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
            "trainable_parameters": counts["trainable"],
            "settings": vars(settings),
        }
        (staging / "train_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        shutil.copy2(checkpoints / "train_log.jsonl", staging / "train_log.jsonl")
        staging.replace(output)
        shutil.rmtree(checkpoints)
        log(f"done: {output}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MLAN pretraining / instruction tuning")
    parser.add_argument("--stage", choices=("pretrain", "finetune"), required=True)
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
