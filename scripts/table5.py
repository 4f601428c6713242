from pathlib import Path

from mlan.results.aggregate import read_intervals
from mlan.results.scores import read_scores
from mlan.results.tables import CAPTIONS, SPREAD, table5, write_table
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "table5") as log:
    intervals = read_intervals(snakemake.input.intervals)
    numbers, shown = table5(read_scores(snakemake.input.scores), intervals)
    caption = CAPTIONS["table5"] + SPREAD["seeds" if intervals is None else "items"]
    log.info("%s", write_table(numbers, shown, Path(snakemake.output.csv).with_suffix(""), caption))
