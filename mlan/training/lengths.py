"""How ``max_length`` cuts a stage's data, before any training job: the data tokenized as the
training renders it (template, image tokens expanded), with the model's processor. An
instance whose every answer token is cut would train on nothing: counted, and none left is
an error (``ConversationDataset.leave_out_cut_answers``)."""

from __future__ import annotations

from pathlib import Path

from mlan.training.settings import Settings
from mlan.training.stages import STAGES
from mlan.training.training_data import ConversationDataset


def length_report(stage_name: str, data: str | Path, processor, max_length: int | None) -> dict:
    """``max_length`` None: the training default."""
    stage = STAGES[stage_name]
    max_length = max_length or Settings.max_length
    instances = stage.read_instances(data)
    dataset = ConversationDataset(instances, processor, ".", stage.template, max_length)  # images are not read
    cut = dataset.leave_out_cut_answers()
    return {
        "stage": stage.name,
        "data": str(data),
        "max_length": max_length,
        "instances": len(instances),
        **cut.summary(),
        "left_out_first": cut.left_out[:20],
    }
