from mlan.scriptlog import rule_log
from mlan.training.language_pretraining import build_corpus

with rule_log(snakemake.log[0], "llm_corpus") as log:
    count = build_corpus(snakemake.params.corpus, snakemake.params.seed, snakemake.output[0])
    log.info("%d texts from %s (seed %d)", count, snakemake.params.corpus, snakemake.params.seed)
