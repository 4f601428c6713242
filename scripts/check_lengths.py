"""Before pretraining: how ``max_length`` cuts the captions' answers (mlan.training.lengths;
each mixture's check is part of its token count)."""

from transformers import AutoProcessor

from mlan.data.mixture import write_json
from mlan.scriptlog import rule_log
from mlan.training.lengths import length_report

with rule_log(snakemake.log[0], "check_lengths") as log:
    processor = AutoProcessor.from_pretrained(snakemake.input.processor)
    report = length_report("pretrain", snakemake.input.data, processor, snakemake.params.max_length)
    write_json(report, snakemake.output[0])
    log.info("%s", report)
