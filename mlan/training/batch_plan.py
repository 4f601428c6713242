"""How a run lays out each optimizer step's global batch, decided once from the settings,
the stage and the world size: the Trainer, its arguments, the log and the summary all read
this one plan."""

from __future__ import annotations

from dataclasses import dataclass

from mlan.training.sampler import batch_layout
from mlan.training.settings import Settings
from mlan.training.stages import Stage


@dataclass(frozen=True)
class BatchPlan:
    """Per-device batch x accumulation x world size = global batch; packed, one dataloader
    item per rank and step holds that rank's share of the step as rows."""

    global_batch: int
    world_size: int
    per_device: int
    accumulation: int
    pack_tokens: int | None  # rows of at most this many tokens; None: padded micro-batches
    group_by_modality: bool  # every step one modality (``mlan.training.sampler.ModalityGroupedSampler``)

    @classmethod
    def from_settings(cls, settings: Settings, stage: Stage, world_size: int) -> BatchPlan:
        per_device, accumulation = batch_layout(
            settings.global_batch_size, world_size, settings.max_per_device_batch_size
        )
        packed = bool(settings.pack_tokens) and stage.packs_tokens
        if packed:  # a step's instances are one dataloader item per rank, packed into rows
            per_device, accumulation = settings.global_batch_size // world_size, 1
        return cls(
            global_batch=settings.global_batch_size,
            world_size=world_size,
            per_device=per_device,
            accumulation=accumulation,
            pack_tokens=settings.pack_tokens if packed else None,
            group_by_modality=settings.group_by_modality and stage.groups_by_modality,
        )

    @property
    def packed(self) -> bool:
        return self.pack_tokens is not None

    def describe(self) -> str:
        return (
            f"per-device batch {self.per_device} x accumulation {self.accumulation} x "
            f"{self.world_size} processes = {self.global_batch}"
            + (f", packed into rows of <= {self.pack_tokens} tokens" if self.packed else "")
        )
