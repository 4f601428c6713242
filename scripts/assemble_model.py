from transformers import AutoProcessor

from mlan.data.mixture import write_json
from mlan.scriptlog import rule_log
from mlan.training.hub_weights import local_spec
from mlan.training.lengths import length_report
from mlan.training.model import build_base_model
from mlan.training.portable import make_portable

with rule_log(snakemake.log[0], "assemble_model") as log:
    processor = AutoProcessor.from_pretrained(snakemake.input.processor)
    # before the weights: none of the captions keeping an answer token is an error here
    lengths = length_report("pretrain", snakemake.input.captions, processor, snakemake.params.max_length)
    spec = local_spec(snakemake.params.spec, snakemake.input.weights)
    language_model = snakemake.input.language_model or None  # its own pretraining (rule pretrain_llm)
    model = build_base_model(
        snakemake.wildcards.model, spec, processor.tokenizer, snakemake.params.seed, language_model
    )
    model.save_pretrained(snakemake.output.base)
    processor.save_pretrained(snakemake.output.base)
    make_portable(snakemake.output.base)
    write_json(lengths, snakemake.output.lengths)
    log.info("assembled %s: %d parameters; %s", snakemake.wildcards.model, model.num_parameters(), lengths)
