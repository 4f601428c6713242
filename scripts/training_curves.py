from pathlib import Path

from mlan.results.curves import step_log, training_curves
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "training_curves") as log:
    logs = {}
    for folder, model, run in zip(snakemake.input.models, snakemake.params.models, snakemake.params.runs, strict=True):
        logs.setdefault(model, {})[run] = step_log(folder)
    log.info("%s", training_curves(logs, Path(snakemake.output.png).with_suffix("")))
