rule fetch_source:
    """Raw files of a dataset: a seeded toy copy, or a hub snapshot at a revision."""
    input:
        get_fetch_code,
    output:
        directory("results/sources/{dataset}"),
    log:
        "results/logs/fetch_source/{dataset}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        source=lambda wildcards: GRID.dataset(wildcards.dataset)["source"],
        files=lambda wildcards: GRID.patterns(wildcards.dataset),
        toy_seed=config["toy_seed"],
    script:
        "../scripts/fetch_source.py"


rule normalize:
    """Raw rows -> normalized records (results/data/{dataset}.jsonl) and image files."""
    input:
        source=get_source_path,
        lib=lambda wildcards: library(
            "scripts/normalize.py", f"mlan/data/sources/{wildcards.dataset}.py"
        ),
    output:
        records="results/data/{dataset}.jsonl",
        stats="results/data/{dataset}.stats.json",
        images=directory("results/data/images/{dataset}"),
    log:
        "results/logs/normalize/{dataset}.log",
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=8000,
    params:
        files=lambda wildcards: GRID.patterns(wildcards.dataset),
        options=lambda wildcards: GRID.dataset(wildcards.dataset).get("options", {}),
        on_bad_rows=lambda wildcards: GRID.on_bad_rows(wildcards.dataset),
        real_data=lambda wildcards: GRID.source_kind(wildcards.dataset) != "toy",
    script:
        "../scripts/normalize.py"
