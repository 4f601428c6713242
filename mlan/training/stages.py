"""The two training stages and everything that differs between them, in one table, so no
other module asks which stage it is in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlan.training.training_data import read_captions, read_mixture


@dataclass(frozen=True)
class Stage:
    """What a stage reads, renders and trains (its hyperparameters: ``Settings``)."""

    name: str
    template: str  # conversation template (``mlan.data.conversation.TEMPLATES``)
    trainable: tuple[str, ...]  # parameter-name prefixes that train; everything else is frozen
    read_instances: Callable[[str | Path], list[dict]]
    packs_tokens: bool  # whether ``pack_tokens`` applies (else padded micro-batches whatever it says)
    groups_by_modality: bool  # whether ``group_by_modality`` applies (else the Trainer's random sampler)


PRETRAIN = Stage(
    name="pretrain",
    template="plain",
    trainable=("model.multi_modal_projector",),  # only the projector
    read_instances=read_captions,
    packs_tokens=False,
    groups_by_modality=False,  # captions all have an image
)
FINETUNE = Stage(
    name="finetune",
    template="vicuna_v1",
    trainable=("model.multi_modal_projector", "model.language_model", "lm_head"),  # vision tower frozen
    read_instances=read_mixture,
    packs_tokens=True,
    groups_by_modality=True,
)
STAGES: dict[str, Stage] = {stage.name: stage for stage in (PRETRAIN, FINETUNE)}
