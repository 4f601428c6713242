from pathlib import Path

from mlan.results.aggregate import read_tokens
from mlan.results.tables import CAPTIONS, table2, write_table
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "table2") as log:
    numbers, shown = table2(read_tokens(snakemake.input.tokens), snakemake.params.recipes)
    log.info("%s", write_table(numbers, shown, Path(snakemake.output.csv).with_suffix(""), CAPTIONS["table2"]))
