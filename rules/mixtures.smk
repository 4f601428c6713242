rule mixture:
    """One instruction-tuning mixture (LLaVA conversation JSON) and its sampling stats."""
    input:
        records=get_mixture_inputs,
        instructions=config["instructions"],
        lib=library("scripts/build_mixture.py"),
    output:
        train=f"{MIXTURE_FOLDER}/train.json",
        stats=f"{MIXTURE_FOLDER}/stats.json",
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
