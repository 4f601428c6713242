import sys

from mlan.data.normalize import normalize_dataset
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "normalize") as log:
    stats = normalize_dataset(
        snakemake.wildcards.dataset,
        snakemake.input.source,
        snakemake.output.records,
        images_root=snakemake.output.images.rsplit("/", 1)[0],
        patterns=snakemake.params.files,
        options=snakemake.params.options,
        stats_path=snakemake.output.stats,
        on_bad_rows=snakemake.params.on_bad_rows,
        check_size=snakemake.params.real_data,
    )
    log.info("%s", stats)
    if stats.get("size_warning"):
        log.warning("%s", stats["size_warning"])
        print(f"WARNING (normalize): {stats['size_warning']}", file=sys.stderr)
    if stats.get("bad_rows"):
        message = f"{snakemake.wildcards.dataset}: skipped {stats['bad_rows']} bad row(s) (on_bad_rows: skip)"
        log.warning("%s; first: %s", message, stats["bad_row_examples"][0])
        print(f"WARNING (normalize): {message}, listed in {snakemake.output.stats}", file=sys.stderr)
