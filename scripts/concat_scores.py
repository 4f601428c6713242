import json

from mlan.atomic import write_text
from mlan.provenance import provenance
from mlan.results.scores import read_scores
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "scores") as log:
    scores = read_scores(snakemake.input.scores)
    write_text(snakemake.output.csv, scores.to_csv(index=False, float_format="%.4f"))
    # the runs' own provenance is in their evaluation files; this is the table's
    write_text(snakemake.output.provenance, json.dumps(provenance(), indent=2, sort_keys=True) + "\n")
    log.info("%d rows from %d runs", len(scores), len(snakemake.input.scores))
