"""Every dataset the pipeline reads, by role: the instruction-tuning sets (paper, Table 3),
the held-out benchmarks (declared in ``mlan/benchmarks.py``) and the pretraining captions.
Each name has an adapter (``mlan/data/sources/<name>.py``) and a toy generator
(``mlan/data/toy/<name>.py``)."""

from __future__ import annotations

from mlan.benchmarks import BENCHMARKS

TRAIN_DATASETS = ("squad", "cosmosqa", "strategyqa", "commonsenseqa", "arc", "vqav2", "aokvqa")
EVAL_DATASETS = BENCHMARKS
PRETRAIN_DATASETS = ("llava_pretrain",)
ALL_DATASETS = TRAIN_DATASETS + EVAL_DATASETS + PRETRAIN_DATASETS
