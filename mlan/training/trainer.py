"""The stock Hugging Face ``Trainer`` with what the recipe needs on top: modality-grouped
sampling, packed rows, answer-only logits, fp32 master weights, token counting."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import torch
from transformers import Trainer, TrainingArguments

from mlan.training.answer_loss import WithAnswerPositions, answer_loss
from mlan.training.batch_plan import BatchPlan
from mlan.training.callbacks import TokenCounter
from mlan.training.master_weights import MasterWeightAdamW
from mlan.training.sampler import ModalityGroupedSampler, PackedBatchSampler
from mlan.training.settings import Settings
from mlan.training.training_data import PackCollator, Packed


def training_arguments(settings: Settings, plan: BatchPlan, precision: str, checkpoints: Path) -> TrainingArguments:
    """The Trainer's arguments: the recipe, laid out as ``plan`` says, computing as
    ``precision`` (``mlan.training.settings.precision``) says."""
    if settings.tensorboard_dir:  # transformers' TensorBoard callback reads its folder from here
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(settings.tensorboard_dir).resolve())
    return TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=plan.per_device,
        gradient_accumulation_steps=plan.accumulation,
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
        bf16=precision in ("bf16 autocast", "deepspeed bf16"),  # "bf16 master weights": the model itself is bf16
        deepspeed=settings.deepspeed,
        # modality-grouped finetuning: a text-only step leaves the projector without a gradient;
        # DDP must look for such parameters (the Trainer's default turns that off whenever
        # gradient checkpointing is on, and the next step then fails)
        ddp_find_unused_parameters=plan.group_by_modality,
        report_to=[] if settings.report_to == "none" else [settings.report_to],
        remove_unused_columns=False,
        dataloader_num_workers=settings.dataloader_workers,
        # packed: rows come from pinned memory and are copied without waiting on the GPU
        accelerator_config={"non_blocking": plan.packed and torch.cuda.is_available()},
        use_cpu=not torch.cuda.is_available(),
    )


def zero_vision_term(model, device) -> torch.Tensor:
    """0 x (vision tower + projector on a zero image): the projector takes part in a step
    without images (LLaVA's code does the same), with a zero gradient; the loss and every
    other gradient are unchanged (``MlanTrainer.needs_vision_term`` says when)."""
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


class MlanTrainer(Trainer):
    """Modality-grouped sampling, packing and token counting on top of the stock Trainer.

    Packed (``pack_tokens``), one dataloader item is one rank's share of an optimizer step
    (``gradient_accumulation_steps`` is 1): a list of rows, each run forward and backward
    in turn, gradients synchronized and the optimizer stepped after the last. The loss is
    normalized by the answer tokens of the whole global batch, as unpacked."""

    def __init__(self, *args, plan: BatchPlan, counter: TokenCounter, master_weights: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.master_weights = master_weights
        self.plan = plan
        self.counter = counter

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
        if self.plan.group_by_modality:
            return ModalityGroupedSampler(self.train_dataset.has_image, self.plan.global_batch, self.args.seed)
        return super()._get_train_sampler(train_dataset)

    def get_train_dataloader(self):
        loader = self._packed_dataloader() if self.plan.packed else super().get_train_dataloader()
        workers = getattr(loader, "base_dataloader", loader)  # accelerate wraps the DataLoader that iterates
        workers.worker_init_fn = SigtermIgnoringWorker(workers.worker_init_fn)
        return loader

    def _packed_dataloader(self):
        plan, dataset = self.plan, self.train_dataset
        has_image = dataset.has_image if plan.group_by_modality else [False] * len(dataset)
        steps = ModalityGroupedSampler(has_image, plan.global_batch, self.args.seed)
        batches = PackedBatchSampler(steps, dataset.lengths(), plan.pack_tokens, plan.world_size)
        loader = torch.utils.data.DataLoader(
            Packed(dataset),
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
        if "pixel_values" in inputs or not self.needs_vision_term():
            return result
        extra = zero_vision_term(self.accelerator.unwrap_model(model), inputs["input_ids"].device)  # not the engine
        if return_outputs:
            return result[0] + extra, result[1]
        return result + extra

    def needs_vision_term(self) -> bool:
        """Whether a step without images must still run the projector (with zero weight):
        under DeepSpeed, whose ZeRO partitions keep a parameter's last reduced gradient when
        it takes no part in a step (the projector was stepped again with the previous vision
        step's gradient, and a run resumed there trained differently); and when ranks may
        mix vision and language steps (every rank must run the ZeRO-3 vision tower)."""
        return self.is_deepspeed_enabled or (not self.plan.group_by_modality and self.plan.world_size > 1)

    def _answer_loss(self, model, inputs, num_items_in_batch):
        """The stock causal-LM loss, from the logits of answer positions only
        (``mlan.training.answer_loss``), scaled as ``Trainer.compute_loss`` scales it."""
        inputs = dict(inputs)
        labels = inputs.pop("labels")
        logits = model(**inputs).logits
        loss = answer_loss(logits, labels, inputs["logits_to_keep"], num_items_in_batch)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            processes = self.accelerator.num_processes // self.get_tp_size()
            loss = loss * (processes if self.args.n_gpu <= 1 else self.args.n_gpu)
        return loss
