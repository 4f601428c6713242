from mlan.data.normalize import normalize_dataset
from mlan.scriptlog import rule_log, warn

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
        warn(log, stats["size_warning"])
    if stats.get("bad_rows"):
        message = f"{snakemake.wildcards.dataset}: skipped {stats['bad_rows']} bad row(s) (on_bad_rows: skip)"
        log.info("first bad row: %s", stats["bad_row_examples"][0])
        warn(log, f"{message}, listed in {snakemake.output.stats}")
