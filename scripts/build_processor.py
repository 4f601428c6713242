from mlan.scriptlog import rule_log
from mlan.training.hub_weights import local_spec
from mlan.training.processor import build_processor, save_processor

with rule_log(snakemake.log[0], "processor") as log:
    spec = local_spec(snakemake.params.spec, snakemake.input.weights)
    processor, facts = build_processor(snakemake.wildcards.model, spec, snakemake.input.corpus)
    save_processor(processor, facts, snakemake.output[0])
    log.info("%s", facts)
