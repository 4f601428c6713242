import pandas as pd

from mlan.atomic import write_text
from mlan.results.intervals import by_run, cells, markdown, run_outcomes
from mlan.results.significance import RunFacts
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "intervals") as log:
    resamples, seed = snakemake.params.resamples, snakemake.params.seed
    rows = []
    predictions = by_run(snakemake.input.predictions)
    for run in (RunFacts(**facts) for facts in snakemake.params.runs):
        for cell in cells(run_outcomes(predictions[f"{run.model}/{run.name}"]), resamples, seed):
            rows.append({"model": run.model, "run": run.name, "label": run.label(), "seed": run.seed} | cell)
    frame = pd.DataFrame(rows)
    write_text(snakemake.output.csv, frame.to_csv(index=False, float_format="%.4f"))
    write_text(snakemake.output.md, markdown(frame, resamples))
    log.info("%d cells of %d runs", len(frame), len(snakemake.params.runs))
