from mlan.atomic import write_text
from mlan.results.released import compare_released, read_released, released_markdown
from mlan.results.scores import read_scores
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "released_comparison") as log:
    table = compare_released(read_released(snakemake.input.scores), read_scores([snakemake.input.paper]))
    write_text(snakemake.output[0], released_markdown(table))
    log.info("%d released cells compared", len(table))
