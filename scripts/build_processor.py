from mlan.scriptlog import rule_log
from mlan.training.hub_weights import local_spec
from mlan.training.language_pretraining import read_corpus
from mlan.training.processor import build_processor, save_processor

with rule_log(snakemake.log[0], "processor") as log:
    spec = local_spec(snakemake.params.spec, snakemake.input.weights)
    # a tiny LLM that pretrains: its tokenizer learns from that text too
    texts = read_corpus(snakemake.input.llm_corpus) if snakemake.input.llm_corpus else []
    processor, facts = build_processor(snakemake.wildcards.model, spec, snakemake.input.corpus, texts)
    save_processor(processor, facts, snakemake.output[0])
    log.info("%s", facts)
