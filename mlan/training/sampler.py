"""Batch arithmetic and modality-grouped sampling.

The paper's global batch (64 for finetuning, 256 for pretraining) must not depend on how
many GPUs a job gets: per-device batch x gradient accumulation x world size = global.
LLaVA makes every optimizer step text-only or image-only; here every run of ``global``
consecutive indices has one modality, which (with accelerate's round-robin sharding of
per-device batches) makes every micro-batch of every rank in a step share it. So all
ranks agree on whether the vision tower runs, which ZeRO-3 requires.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import torch

from mlan.errors import ConfigError


def batch_layout(global_batch: int, world_size: int, max_per_device: int) -> tuple[int, int]:
    """(per-device batch, accumulation steps): the largest per-device batch not above
    ``max_per_device`` such that per-device x accumulation x world size == global batch."""
    if global_batch % world_size:
        raise ConfigError(f"global batch {global_batch} cannot be split over {world_size} processes")
    per_rank = global_batch // world_size
    for per_device in range(min(max_per_device, per_rank), 0, -1):
        if per_rank % per_device == 0:
            return per_device, per_rank // per_device
    raise ConfigError(f"per-device batch limit {max_per_device} must be at least 1")


class ModalityGroupedSampler(torch.utils.data.Sampler):
    """Indices in blocks of ``global_batch``, each block from one modality, blocks shuffled.

    A modality whose count is not a multiple of the block gets its last block completed
    with repeated draws of its own rows (``padded`` counts them), so no step mixes.
    """

    def __init__(self, has_image: list[bool], global_batch: int, seed: int):
        self.groups = [[i for i, image in enumerate(has_image) if image == flag] for flag in (False, True)]
        self.global_batch = global_batch
        self.seed = seed
        self.epoch = 0
        self.padded = sum(-len(group) % global_batch for group in self.groups if group)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def blocks(self) -> list[list[int]]:
        rng = random.Random(f"{self.seed}/{self.epoch}/modality-blocks")
        blocks = []
        for group in self.groups:
            if not group:
                continue
            order = rng.sample(group, len(group))
            order += [rng.choice(group) for _ in range(-len(order) % self.global_batch)]
            blocks += [order[i : i + self.global_batch] for i in range(0, len(order), self.global_batch)]
        rng.shuffle(blocks)
        return blocks

    def __iter__(self) -> Iterator[int]:
        for block in self.blocks():
            yield from block

    def __len__(self) -> int:
        return sum(len(group) for group in self.groups) + self.padded


def plan_rows(lengths: list[int], budget: int, ranks: int) -> list[list[int]]:
    """Positions of ``lengths`` grouped into rows of at most ``budget`` tokens, as few rows as
    first-fit allows, rounded up to a multiple of ``ranks`` so every rank runs as many
    micro-steps (ZeRO-3 gathers parameters in every forward, on every rank together).
    Longest first, each into the emptiest row that still has room: rows come out balanced."""
    if max(lengths) > budget:
        raise ConfigError(f"pack_tokens={budget} is below a {max(lengths)}-token instance; raise it to max_length")
    count = -(-sum(lengths) // budget)
    while True:
        count += -count % ranks
        if count > len(lengths):
            raise ConfigError(
                f"{len(lengths)} instances cannot fill {count} rows of {budget} tokens; raise pack_tokens"
            )
        rows: list[list[int]] = [[] for _ in range(count)]
        filled = [0] * count
        for position in sorted(range(len(lengths)), key=lambda p: (-lengths[p], p)):
            fits = [r for r in range(count) if filled[r] + lengths[position] <= budget]
            row = min(fits, key=filled.__getitem__, default=None)
            if row is None:
                break
            rows[row].append(position)
            filled[row] += lengths[position]
        else:
            return [sorted(row) for row in rows]  # none empty: the first `count` go to empty rows
        count += 1


class PackedBatchSampler(torch.utils.data.Sampler):
    """One optimizer step per ``global_batch`` indices of ``sampler`` (so still exactly the
    recipe's samples per step, one modality each), packed into rows of ``budget`` tokens.

    Yields, per step, one batch per rank: ``(index, row)`` pairs, ``row`` numbering that
    rank's rows; accelerate deals consecutive batches to ranks round-robin."""

    def __init__(self, sampler: ModalityGroupedSampler, lengths: list[int], budget: int, world: int):
        self.sampler, self.lengths, self.budget, self.world = sampler, lengths, budget, world

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for block in self.sampler.blocks():
            rows = plan_rows([self.lengths[i] for i in block], self.budget, self.world)
            for rank in range(self.world):
                mine = rows[rank :: self.world]
                yield [(block[p], number) for number, row in enumerate(mine) for p in row]

    def __len__(self) -> int:
        return len(self.sampler) // self.sampler.global_batch * self.world
