"""The report's training curves: loss and learning rate per optimizer step of every run,
read from the ``train_log.jsonl`` each trained model folder keeps."""

from __future__ import annotations

import json
from pathlib import Path

from mlan.results.figures import plt, save


def step_log(model_folder: str | Path) -> list[dict]:
    path = Path(model_folder) / "train_log.jsonl"
    steps = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not steps:
        raise ValueError(f"{path} has no steps")
    return steps


def training_curves(logs: dict[str, dict[str, list[dict]]], stem) -> list[Path]:
    """``logs[model][run]``: the step log of each run (``pretrain`` and the finetuned runs).
    One row per model: pretraining loss, finetuning losses, finetuning learning rates."""
    figure, axes = plt.subplots(len(logs), 3, figsize=(15, 3.6 * len(logs)), squeeze=False)
    for row, (model, runs) in zip(axes, logs.items(), strict=True):
        for name, steps in runs.items():
            x = [step["step"] for step in steps]
            if name == "pretrain":
                row[0].plot(x, [step["loss"] for step in steps], color="black", linewidth=1)
                continue
            row[1].plot(x, [step["loss"] for step in steps], linewidth=0.8, label=name)
            row[2].plot(x, [step["learning_rate"] for step in steps], linewidth=0.8, label=name)
        for axis, title in zip(row, ("pretraining loss", "finetuning loss", "finetuning learning rate"), strict=True):
            axis.set_title(f"{model}: {title}")
            axis.set_xlabel("optimizer step")
        row[1].legend(fontsize=6, ncol=2)
    figure.tight_layout()
    return save(figure, stem)
