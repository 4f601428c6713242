"""A stage's hyperparameters as the rule passes them (``--settings``), and the precision
they imply."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mlan.errors import MlanError


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
    report_to: str = "none"  # or "tensorboard": event files in tensorboard_dir
    tensorboard_dir: str | None = None
    image_aspect_ratio: str | None = None  # "pad" or "crop" for this stage's images; None: the processor's as saved


def check_settings(settings: Settings) -> None:
    """Refuse combinations that cannot work, before anything is loaded or written."""
    if settings.report_to not in ("none", "tensorboard"):
        raise MlanError(f"report_to: '{settings.report_to}' is neither none nor tensorboard")
    if settings.report_to == "tensorboard" and not settings.tensorboard_dir:
        raise MlanError("report_to: tensorboard needs tensorboard_dir (the rules set it)")
    if settings.image_aspect_ratio not in (None, "pad", "crop"):
        raise MlanError(f"image_aspect_ratio: '{settings.image_aspect_ratio}' is neither pad nor crop")
    if settings.compile_layers and settings.deepspeed:
        raise MlanError(
            "compile_layers: DeepSpeed wraps each layer in hooks of its own that torch.compile would "
            "trace; use compile_layers with deepspeed: null"
        )


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
