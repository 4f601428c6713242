rule toy_released:
    """A tiny random checkpoint in the authors' released layout (the embedded default's
    stand-in for theirs) and the CLIP tower its config names."""
    input:
        lib=library("scripts/toy_released.py"),
    output:
        directory("results/released/{checkpoint}/toy"),
    log:
        "results/logs/toy_released/{checkpoint}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        seed=config["toy_seed"],
    script:
        "../scripts/toy_released.py"


rule fetch_released:
    """A released checkpoint and the CLIP tower it names, from the hub into the hub cache
    (or a local folder, or the toy), on the submit host; records the folders the
    conversion reads, every file's size and SHA-256."""
    input:
        get_released_inputs,
        lib=library("scripts/fetch_released.py"),
    output:
        "results/released/{checkpoint}/sources.json",
    log:
        "results/logs/fetch_released/{checkpoint}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        spec=lambda wildcards: RELEASED["checkpoints"][wildcards.checkpoint],
        toy=lambda wildcards: (
            f"results/released/{wildcards.checkpoint}/toy"
            if is_toy_released(wildcards.checkpoint)
            else None
        ),
        cache=config.get("hub_cache"),
    script:
        "../scripts/fetch_released.py"


rule convert_released:
    """The checkpoint as this project's LlavaForConditionalGeneration folder: its LLM and
    projector, the vision tower it holds (else the one it names), its tokenizer as the
    authors trained it (pad = unk, nothing added), the tower's preprocessing with the
    checkpoint's image_aspect_ratio."""
    input:
        sources="results/released/{checkpoint}/sources.json",
        lib=library("scripts/convert_released.py"),
    output:
        directory("results/released/{checkpoint}/model"),
    log:
        "results/logs/convert_released/{checkpoint}.log",
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=lambda wildcards: (
            4000 if is_toy_released(wildcards.checkpoint) else 64000
        ),
    script:
        "../scripts/convert_released.py"


rule evaluate_released:
    """A converted released checkpoint on every benchmark under one protocol."""
    input:
        model="results/released/{checkpoint}/model",
        prompts=lambda wildcards: prompt_files(wildcards.protocol),
        images=expand("results/data/images/{benchmark}", benchmark=BENCHMARKS),
        tasks=EVALUATION_TASK_FILES,
        lib=library("scripts/evaluate.py", *EVALUATION_TASK_CODE),
    output:
        scores=expand(
            "results/eval/released/{{checkpoint}}/{{protocol}}/{benchmark}.json",
            benchmark=BENCHMARKS,
        ),
        predictions=expand(
            "results/eval/released/{{checkpoint}}/{{protocol}}/{benchmark}.predictions.jsonl",
            benchmark=BENCHMARKS,
        ),
        harness_results=expand(
            "results/eval/released/{{checkpoint}}/{{protocol}}/{harness}.results.json",
            harness=("lm_eval", "lmms_eval"),
        ),
    log:
        "results/logs/evaluate_released/{checkpoint}/{protocol}.log",
    conda:
        "../envs/pipeline.yaml"
    threads: lambda wildcards: 1 if is_toy_released(wildcards.checkpoint) else 2
    resources:
        mem_mb=lambda wildcards: (
            8000 if is_toy_released(wildcards.checkpoint) else 64000
        ),
    params:
        protocol=lambda wildcards: PROTOCOLS[wildcards.protocol],
        scoring=SCORING,
        labels=lambda wildcards: {
            "model": wildcards.checkpoint,
            "run": f"released/{wildcards.protocol}",
        },
    script:
        "../scripts/evaluate.py"


rule released_scores:
    """One released checkpoint's scores under one protocol, with their 95 % intervals over
    items, beside the Table 1 cells it is set against."""
    input:
        results=expand(
            "results/eval/released/{{checkpoint}}/{{protocol}}/{benchmark}.json",
            benchmark=BENCHMARKS,
        ),
        predictions=expand(
            "results/eval/released/{{checkpoint}}/{{protocol}}/{benchmark}.predictions.jsonl",
            benchmark=BENCHMARKS,
        ),
        lib=library("scripts/released_scores.py"),
    output:
        "results/scores/released/{checkpoint}/{protocol}.csv",
    log:
        "results/logs/released_scores/{checkpoint}/{protocol}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        compare_to=lambda wildcards: RELEASED["checkpoints"][wildcards.checkpoint][
            "compare_to"
        ],
        resamples=config["analysis"]["bootstrap_resamples"],
        seed=config["analysis"]["bootstrap_seed"],
    script:
        "../scripts/released_scores.py"


rule released_comparison:
    """The released checkpoints' scores against the Table 1 cells each names (with the
    items' 95 % intervals): the part `snakemake released` runs alone."""
    input:
        scores=released_score_files(),
        paper="config/paper_scores.csv",
        lib=library("scripts/released_comparison.py"),
    output:
        report("results/released/comparison.md", category="Released checkpoints"),
    log:
        "results/logs/released_comparison.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/released_comparison.py"


rule released:
    """Only the released checkpoints: fetch, convert, evaluate, compare."""
    input:
        released_targets(),
    localrule: True
