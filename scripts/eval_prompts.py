import json

from mlan.atomic import atomic_open
from mlan.data.records import read_records
from mlan.data.templates import Instructions
from mlan.evaluation.prompts import eval_items
from mlan.evaluation.protocol import Protocol
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "eval_prompts") as log:
    protocol = Protocol(**snakemake.params.protocol)
    items = eval_items(
        snakemake.wildcards.benchmark,
        read_records(snakemake.input.records),
        Instructions.load(snakemake.input.instructions[0]) if snakemake.input.instructions else None,
        protocol,
    )
    with atomic_open(snakemake.output[0]) as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    log.info("%d items", len(items))
