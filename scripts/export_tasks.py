from pathlib import Path

from mlan.evaluation.export import export_tasks
from mlan.evaluation.protocol import Protocol
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "export_tasks") as log:
    written = export_tasks(
        [Path(path) for path in snakemake.input.prompts],
        Path("results/data/images").resolve(),
        Protocol(**snakemake.params.protocol),
        Path(snakemake.output[0]),
    )
    log.info("%s", written)
