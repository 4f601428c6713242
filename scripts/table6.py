from pathlib import Path

from mlan.results.aggregate import read_tokens
from mlan.results.scores import read_scores
from mlan.results.tables import CAPTIONS, table6, write_table
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "table6") as log:
    numbers, shown = table6(read_scores(snakemake.input.scores), read_tokens(snakemake.input.tokens))
    log.info("%s", write_table(numbers, shown, Path(snakemake.output.csv).with_suffix(""), CAPTIONS["table6"]))
