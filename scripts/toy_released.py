from mlan.scriptlog import rule_log
from mlan.standin.released import toy_released
from mlan.standin.weights import prompt_texts
from mlan.training.processor import corpus

with rule_log(snakemake.log[0], "toy_released") as log:
    texts = corpus(snakemake.input.corpus) + prompt_texts(snakemake.input.instructions)
    toy_released(snakemake.output[0], texts, snakemake.params.seed)
    log.info("toy released checkpoint in %s", snakemake.output[0])
