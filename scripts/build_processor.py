from mlan.scriptlog import rule_log
from mlan.training.processor import build_processor, save_processor

with rule_log(snakemake.log[0], "processor") as log:
    processor, facts = build_processor(snakemake.wildcards.model, snakemake.params.spec, snakemake.input.corpus)
    save_processor(processor, facts, snakemake.output[0])
    log.info("%s", facts)
