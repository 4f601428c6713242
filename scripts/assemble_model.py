from transformers import AutoProcessor

from mlan.scriptlog import rule_log
from mlan.training.model import build_base_model

with rule_log(snakemake.log[0], "assemble_model") as log:
    processor = AutoProcessor.from_pretrained(snakemake.input.processor)
    model = build_base_model(
        snakemake.wildcards.model, snakemake.params.spec, processor.tokenizer, snakemake.params.seed
    )
    model.save_pretrained(snakemake.output[0])
    processor.save_pretrained(snakemake.output[0])
    log.info("assembled %s: %d parameters", snakemake.wildcards.model, model.num_parameters())
