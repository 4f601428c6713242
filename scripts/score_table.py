from pathlib import Path

from mlan.results.aggregate import read_intervals
from mlan.results.scores import read_scores
from mlan.results.tables import CAPTIONS, SCORE_TABLES, SPREAD, write_table
from mlan.scriptlog import rule_log

name = snakemake.wildcards.table
with rule_log(snakemake.log[0], name) as log:
    intervals = read_intervals(snakemake.input.intervals)
    numbers, shown = SCORE_TABLES[name](read_scores(snakemake.input.scores), intervals)
    caption = CAPTIONS[name] + SPREAD["seeds" if intervals is None else "items"]
    log.info("%s", write_table(numbers, shown, Path(snakemake.output.csv).with_suffix(""), caption))
