"""One adapter module per dataset: ``SPEC`` (what the dataset is) and
``normalize(source, images)`` yielding normalized records from the REAL raw schema."""

from __future__ import annotations

import importlib
from types import ModuleType

TRAIN_DATASETS = ("squad", "cosmosqa", "strategyqa", "commonsenseqa", "arc", "vqav2", "aokvqa")
EVAL_DATASETS = ("race", "boolq", "openbookqa", "hellaswag", "realworldqa", "gqa", "ai2d", "pope", "scienceqa")
PRETRAIN_DATASETS = ("llava_pretrain",)
ALL_DATASETS = TRAIN_DATASETS + EVAL_DATASETS + PRETRAIN_DATASETS


def adapter(name: str) -> ModuleType:
    if name not in ALL_DATASETS:
        raise KeyError(f"unknown dataset '{name}'; known: {', '.join(ALL_DATASETS)}")
    return importlib.import_module(f"mlan.data.sources.{name}")


def toy_generator(name: str) -> ModuleType:
    if name not in ALL_DATASETS:
        raise KeyError(f"unknown dataset '{name}'; known: {', '.join(ALL_DATASETS)}")
    return importlib.import_module(f"mlan.data.toy.{name}")
