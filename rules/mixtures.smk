rule mixture:
    """One instruction-tuning mixture (LLaVA conversation JSON) and its sampling stats."""
    input:
        records=mixture_inputs,
        instructions=config["instructions"],
        lib=library("scripts/build_mixture.py"),
    output:
        train="results/mixtures/{mix}/seed{seed}/train.json",
        stats="results/mixtures/{mix}/seed{seed}/stats.json",
    log:
        "results/logs/mixture/{mix}/seed{seed}.log",
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=16000,
    params:
        groups=GRID.groups(),
        formatting=FORMATTING,
    script:
        "../scripts/build_mixture.py"
