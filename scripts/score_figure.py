from pathlib import Path

from mlan.results.aggregate import read_intervals
from mlan.results.figures import figure5, figure6, figure7
from mlan.results.scores import read_scores
from mlan.scriptlog import rule_log

name = snakemake.wildcards.figure
with rule_log(snakemake.log[0], name) as log:
    scores, intervals = read_scores(snakemake.input.scores), read_intervals(snakemake.input.intervals)
    stem = Path(snakemake.output.png).with_suffix("")
    if name == "figure7":
        log.info("%s", figure7(scores, snakemake.params.budget, stem, intervals))
    else:
        log.info("%s", {"figure5": figure5, "figure6": figure6}[name](scores, stem, intervals))
