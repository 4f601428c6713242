from mlan.atomic import write_text
from mlan.results.scores import read_scores
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "scores") as log:
    scores = read_scores(snakemake.input.scores)
    write_text(snakemake.output[0], scores.to_csv(index=False, float_format="%.4f"))
    log.info("%d rows from %d runs", len(scores), len(snakemake.input.scores))
