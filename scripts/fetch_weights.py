from mlan.scriptlog import rule_log
from mlan.training.hub_weights import fetch_weights, write_record

with rule_log(snakemake.log[0], "fetch_weights") as log:
    model, part = snakemake.wildcards.model, snakemake.wildcards.part
    spec = snakemake.params.spec
    record = fetch_weights(
        spec["source"], spec.get("revision", "main"), f"models.{model}.{part}.source", snakemake.params.cache
    )
    write_record(record, snakemake.output[0])
    size = sum(entry["bytes"] for entry in record["files"].values())
    log.info("%s at %s (%s): %d files, %.2f GB in %s", record["repo"], record["revision"], record["sha"],
             len(record["files"]), size / 1e9, record["snapshot"])  # fmt: skip
