import pandas as pd

from mlan.atomic import write_text
from mlan.names import Run
from mlan.results.scores import COLUMNS, run_rows
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "run_scores") as log:
    run = Run.parse(snakemake.wildcards.model, snakemake.wildcards.run)
    rows = run_rows(snakemake.input.results, run, snakemake.params.methods)
    write_text(snakemake.output[0], pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False, float_format="%.4f"))
    log.info("%d rows from %d result files", len(rows), len(snakemake.input.results))
