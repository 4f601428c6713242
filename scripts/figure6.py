from pathlib import Path

from mlan.results.aggregate import read_intervals
from mlan.results.figures import figure6
from mlan.results.scores import read_scores
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "figure6") as log:
    stem = Path(snakemake.output.png).with_suffix("")
    log.info("%s", figure6(read_scores(snakemake.input.scores), stem, read_intervals(snakemake.input.intervals)))
