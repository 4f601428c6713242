from mlan.scriptlog import rule_log
from mlan.standin.released import toy_released

with rule_log(snakemake.log[0], "toy_released") as log:
    toy_released(snakemake.output[0], snakemake.params.seed)
    log.info("toy released checkpoint in %s", snakemake.output[0])
