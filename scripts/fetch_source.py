from mlan.data.download import fetch_hub, fetch_toy
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "fetch_source") as log:
    name, source = snakemake.wildcards.dataset, snakemake.params.source
    if "toy" in source:
        manifest = fetch_toy(name, snakemake.output[0], source["toy"]["rows"], snakemake.params.toy_seed)
    else:
        manifest = fetch_hub(name, snakemake.output[0], source["hub"], source["revision"], snakemake.params.files)
    log.info("fetched %s: %d files", name, len(manifest["files"]))
