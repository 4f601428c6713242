import json

from mlan.scriptlog import rule_log
from mlan.training.hub_weights import checked_snapshot
from mlan.training.released import convert

with rule_log(snakemake.log[0], "convert_released") as log:
    with open(snakemake.input.sources) as handle:
        sources = json.load(handle)
    where = snakemake.input.sources
    report = convert(checked_snapshot(sources["checkpoint"], where), checked_snapshot(sources["vision"], where),
                     snakemake.output[0])  # fmt: skip
    log.info("%s", report)
