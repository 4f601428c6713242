from mlan.scriptlog import rule_log
from mlan.training.portable import export_language_model

with rule_log(snakemake.log[0], "export_llm") as log:
    export_language_model(snakemake.input.model, snakemake.output[0])
    log.info("language model of %s -> %s", snakemake.input.model, snakemake.output[0])
