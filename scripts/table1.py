from pathlib import Path

from mlan.results.scores import read_scores
from mlan.results.tables import CAPTIONS, table1, write_table
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "table1") as log:
    numbers, shown = table1(read_scores(snakemake.input.scores))
    log.info("%s", write_table(numbers, shown, Path(snakemake.output.csv).with_suffix(""), CAPTIONS["table1"]))
