import json

import pandas as pd

from mlan.atomic import write_text
from mlan.names import Run
from mlan.results.intervals import benchmark_intervals, check_scores, run_outcomes
from mlan.results.scores import COLUMNS, INTERVAL, run_rows
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "run_scores") as log:
    run = Run.parse(snakemake.wildcards.model, snakemake.wildcards.run)
    outcomes = run_outcomes(snakemake.input.predictions)
    scores = {}
    for path in snakemake.input.results:
        with open(path) as handle:
            result = json.load(handle)
        scores[result["benchmark"]] = result["score"]
    check_scores(outcomes, scores, f"run {run}")
    intervals = benchmark_intervals(outcomes, snakemake.params.resamples, snakemake.params.seed)
    rows = run_rows(snakemake.input.results, run, snakemake.params.methods, intervals)
    frame = pd.DataFrame(rows, columns=COLUMNS + INTERVAL)
    write_text(snakemake.output[0], frame.to_csv(index=False, float_format="%.4f"))
    log.info("%d rows from %d result files", len(rows), len(snakemake.input.results))
