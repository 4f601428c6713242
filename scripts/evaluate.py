import tempfile
from pathlib import Path

from mlan.evaluation.protocol import Protocol
from mlan.evaluation.run import evaluate
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "evaluate") as log:
    protocol = Protocol(**snakemake.params.protocol)
    output_dir = Path(snakemake.output.scores[0]).parent
    with tempfile.TemporaryDirectory(prefix="mlan-eval-") as work:
        scores = evaluate(
            Path(snakemake.input.model),
            [Path(path) for path in snakemake.input.prompts],
            Path("results/data/images").resolve(),
            output_dir,
            Path(work),
            protocol,
            snakemake.params.labels,
            snakemake.params.scoring,
        )
    log.info("%s", scores)
