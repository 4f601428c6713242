import torch
from transformers import AutoModelForCausalLM, AutoProcessor

from mlan.data.mixture import write_json
from mlan.scriptlog import rule_log
from mlan.training.backbone import text_config
from mlan.training.language_pretraining import pretrain_language_model, read_corpus

with rule_log(snakemake.log[0], "pretrain_llm") as log:
    tokenizer = AutoProcessor.from_pretrained(snakemake.input.processor).tokenizer
    settings = snakemake.params.settings
    torch.manual_seed(settings["seed"])
    config = text_config(snakemake.wildcards.model, snakemake.params.llm, len(tokenizer))
    language_model = AutoModelForCausalLM.from_config(config)
    facts = pretrain_language_model(
        language_model, tokenizer, read_corpus(snakemake.input.corpus), settings, snakemake.output.model
    )
    write_json(facts, snakemake.output.summary)
    log.info("pretrained the LLM of %s: %s", snakemake.wildcards.model, facts)
