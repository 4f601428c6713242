from mlan.atomic import write_text
from mlan.results.intervals import by_run, run_outcomes
from mlan.results.significance import RunFacts, markdown, table
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "significance") as log:
    resamples, seed = snakemake.params.resamples, snakemake.params.seed
    runs = [RunFacts(**facts) for facts in snakemake.params.runs]
    outcomes = {run: run_outcomes(paths) for run, paths in by_run(snakemake.input.predictions).items()}
    frame, notes = table(runs, outcomes, snakemake.params.comparisons, resamples, seed)
    write_text(snakemake.output.csv, frame.to_csv(index=False, float_format="%.4f"))
    write_text(snakemake.output.md, markdown(frame, notes, resamples))
    for note in notes:
        log.info("%s", note)
    log.info("%d comparisons of %d runs", frame.groupby(["model", "comparison", "a", "b"]).ngroups, len(runs))
