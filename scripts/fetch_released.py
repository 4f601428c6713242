from mlan.scriptlog import rule_log
from mlan.training.hub_weights import released_sources, write_record

with rule_log(snakemake.log[0], "fetch_released") as log:
    name = snakemake.wildcards.checkpoint
    sources = released_sources(name, snakemake.params.spec, snakemake.params.cache, snakemake.params.toy)
    write_record(sources, snakemake.output[0])
    for part, record in sources.items():
        size = sum(entry["bytes"] for entry in record["files"].values())
        log.info("%s: %s (%s), %d files, %.2f GB", part, record["repo"] or "folder", record["snapshot"],
                 len(record["files"]), size / 1e9)  # fmt: skip
