"""Instruction-tuning mixtures (paper, Sec. 2 and App. C.1/E.1).

A mixture is a language share ``p`` (percent) of a fixed budget ``N``: ``round(p N / 100)``
language instances (halves rounded up) and the rest vision. Within a modality the two
tasks (qa, cr) get equal halves; within a task every dataset gets an equal share. A
dataset with fewer rows than its share contributes every row once and fills the rest by
drawing with replacement ("bootstrap"); otherwise it is sampled without replacement.
Where a split is uneven, the earlier task (qa) / dataset (in the given order) gets the
extra instance, so quotas always sum to the budget exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from mlan import atomic
from mlan.data.records import Record
from mlan.data.templates import Formatting, Instructions, conversation
from mlan.errors import ConfigError
from mlan.names import Mix

MODALITY_OF_SHARE = {"language": "text", "vision": "vision"}
TASK_ORDER = ("qa", "cr")


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` into ``parts`` shares differing by at most one, larger ones first."""
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def language_count(budget: int, language_percent: Fraction | float) -> int:
    """Language instances for a share, rounded half up."""
    exact = Fraction(budget) * Fraction(language_percent) / 100
    return int(exact + Fraction(1, 2))


def quotas(budget: int, language_percent: Fraction | float, groups: dict[str, dict[str, list[str]]]) -> dict[str, int]:
    """Per-dataset quotas. ``groups[modality][task]`` lists dataset names in order."""
    counts = {"text": language_count(budget, language_percent)}
    counts["vision"] = budget - counts["text"]
    result: dict[str, int] = {}
    for modality, total in counts.items():
        if total == 0:
            continue
        tasks = groups.get(modality, {})
        for task, task_total in zip(TASK_ORDER, split_evenly(total, len(TASK_ORDER)), strict=True):
            names = tasks.get(task, [])
            if not names:
                raise ConfigError(
                    f"{total} {modality} instances are needed but no {modality} '{task}' dataset is configured"
                )
            for name, share in zip(names, split_evenly(task_total, len(names)), strict=True):
                result[name] = share
    return result


def dataset_shares(tasks: dict[str, list[str]]) -> dict[str, Fraction]:
    """Each dataset's share of its modality's instances, as ``quotas`` gives them
    (an equal half per task, equal parts within a task), without the rounding."""
    return {
        name: Fraction(1, len(TASK_ORDER) * len(tasks[task])) for task in TASK_ORDER for name in tasks.get(task, [])
    }


def sample_indices(available: int, quota: int, rng: random.Random) -> list[int]:
    """``quota`` row indices: without replacement if possible, else all rows + bootstrap."""
    if quota <= available:
        return rng.sample(range(available), quota)
    if available == 0:
        raise ConfigError("cannot sample from an empty dataset")
    return list(range(available)) + [rng.randrange(available) for _ in range(quota - available)]


@dataclass
class Mixture:
    instances: list[dict]
    stats: dict


def build_mixture(
    records: dict[str, list[Record]],
    groups: dict[str, dict[str, list[str]]],
    budget: int,
    language_percent: Fraction | float,
    seed: int,
    instructions: Instructions,
    formatting: Formatting | None = None,
) -> Mixture:
    """Sample, format and shuffle one mixture; deterministic for a given seed.

    ``groups[modality][task]`` lists the training datasets (their order decides who gets
    a remainder instance); ``records`` holds the rows of every dataset with a quota.
    """
    order = [name for modality in groups.values() for names in modality.values() for name in names]
    per_dataset = quotas(budget, language_percent, groups)
    instances, dataset_stats = [], {}
    for name in order:
        quota = per_dataset.get(name, 0)
        if quota == 0:
            continue
        rows = records.get(name)
        if not rows:
            raise ConfigError(f"dataset '{name}' has a quota of {quota} but no records")
        rng = random.Random(f"{seed}/{name}")
        picked = sample_indices(len(rows), quota, rng)
        for position, index in enumerate(picked):
            record = rows[index]
            instance = {"id": f"{name}-{position:06d}", "dataset": name}
            if record.image:
                instance["image"] = record.image
            instance["conversations"] = conversation(record, instructions, rng, formatting)
            instances.append(instance)
        dataset_stats[name] = {
            "modality": rows[0].modality,
            "task": rows[0].task,
            "available": len(rows),
            "quota": quota,
            "unique": len(set(picked)),
            "bootstrapped": max(0, quota - len(rows)),
        }
    random.Random(f"{seed}/shuffle").shuffle(instances)
    totals = {"language": 0, "vision": 0}
    for entry in dataset_stats.values():
        totals["language" if entry["modality"] == "text" else "vision"] += entry["quota"]
    stats = {
        "mix": str(Mix(language_percent, budget)),
        "budget": budget,
        "language_percent": float(language_percent),
        "seed": seed,
        "totals": {**totals, "total": totals["language"] + totals["vision"]},
        "datasets": dataset_stats,
    }
    return Mixture(instances, stats)


def write_json(data, path: str | Path) -> None:
    """Deterministic JSON (stable key order, UTF-8), written atomically."""
    atomic.write_json(data, path, indent=1)
