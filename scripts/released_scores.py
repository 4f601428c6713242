import pandas as pd

from mlan.atomic import write_text
from mlan.results.intervals import run_outcomes
from mlan.results.released import COLUMNS, released_rows
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "released_scores") as log:
    compare_to = snakemake.params.compare_to
    facts = {"checkpoint": snakemake.wildcards.checkpoint, "protocol": snakemake.wildcards.protocol,
             "model": compare_to["model"], "method": compare_to["method"]}  # fmt: skip
    rows = released_rows(
        run_outcomes(snakemake.input.predictions),
        snakemake.input.results,
        facts,
        snakemake.params.resamples,
        snakemake.params.seed,
    )
    write_text(snakemake.output[0], pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False, float_format="%.4f"))
    log.info("%d cells", len(rows))
