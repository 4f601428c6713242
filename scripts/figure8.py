import json
from pathlib import Path

from mlan.results.figures import figure8
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "figure8") as log:
    diversity = json.loads(Path(snakemake.input.diversity).read_text())
    log.info("%s", figure8(diversity, Path(snakemake.output.png).with_suffix("")))
