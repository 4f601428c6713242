from transformers import AutoProcessor

from mlan.scriptlog import rule_log
from mlan.training.hub_weights import local_spec
from mlan.training.model import build_base_model
from mlan.training.portable import make_portable

with rule_log(snakemake.log[0], "assemble_model") as log:
    processor = AutoProcessor.from_pretrained(snakemake.input.processor)
    spec = local_spec(snakemake.params.spec, snakemake.input.weights)
    model = build_base_model(snakemake.wildcards.model, spec, processor.tokenizer, snakemake.params.seed)
    model.save_pretrained(snakemake.output[0])
    processor.save_pretrained(snakemake.output[0])
    make_portable(snakemake.output[0])
    log.info("assembled %s: %d parameters", snakemake.wildcards.model, model.num_parameters())
