"""Before a training job: how ``max_length`` cuts the answers of its data, tokenized as the
training renders it (template, expanded image tokens). An instance whose every answer token
is cut would train on nothing; the report counts them, and none left is an error here,
before the cluster spends a job on it."""

from transformers import AutoProcessor

from mlan.data.mixture import write_json
from mlan.scriptlog import rule_log
from mlan.training.settings import Settings
from mlan.training.stages import STAGES
from mlan.training.training_data import ConversationDataset

with rule_log(snakemake.log[0], "check_lengths") as log:
    stage = STAGES[snakemake.params.stage]
    max_length = snakemake.params.max_length or Settings.max_length  # unset: the training default
    processor = AutoProcessor.from_pretrained(snakemake.input.processor)
    instances = stage.read_instances(snakemake.input.data)
    dataset = ConversationDataset(instances, processor, ".", stage.template, max_length)  # images are not read
    cut = dataset.leave_out_cut_answers()
    report = {
        "stage": stage.name,
        "data": snakemake.input.data,
        "max_length": max_length,
        "instances": len(instances),
        **cut.summary(),
        "left_out_first": cut.left_out[:20],
    }
    if cut.left_out:
        log.warning(
            "%d of %d instances of '%s' will be left out: max_length=%d cuts all their answer tokens (first: %s)",
            len(cut.left_out),
            len(instances),
            snakemake.input.data,
            max_length,
            ", ".join(cut.left_out[:3]),
        )
    write_json(report, snakemake.output[0])
    log.info("%s", report)
