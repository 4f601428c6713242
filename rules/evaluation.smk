rule eval_prompts:
    """A benchmark's items as a protocol prompts them: the official task's prompt or the
    MLAN templates, the frame, the image's place, what the official filters read."""
    input:
        records="results/data/{benchmark}.jsonl",
        instructions=get_template_instructions,
        lib=library("scripts/eval_prompts.py"),
    output:
        "results/eval/prompts/{protocol}/{benchmark}.jsonl",
    log:
        "results/logs/eval_prompts/{protocol}/{benchmark}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        protocol=lambda wildcards: PROTOCOLS[wildcards.protocol],
    script:
        "../scripts/eval_prompts.py"


rule evaluate:
    """One model on every benchmark: language rows through lm-eval, image rows through
    lmms-eval; a score file and a predictions file per benchmark."""
    input:
        model=get_evaluated_model,
        prompts=prompt_files(PROTOCOL_NAME),
        images=expand("results/data/images/{benchmark}", benchmark=BENCHMARKS),
        tasks=EVALUATION_TASK_FILES,
        lib=library("scripts/evaluate.py", *EVALUATION_TASK_CODE),
    output:
        scores=[f"{EVAL_FOLDER}/{benchmark}.json" for benchmark in BENCHMARKS],
        predictions=[
            f"{EVAL_FOLDER}/{benchmark}.predictions.jsonl" for benchmark in BENCHMARKS
        ],
        harness_results=[
            f"{EVAL_FOLDER}/{harness}.results.json"
            for harness in ("lm_eval", "lmms_eval")
        ],
    log:
        "results/logs/evaluate/{model}/{run}.log",
    conda:
        "../envs/pipeline.yaml"
    # a tiny model's evaluation is harness start-up and small kernels: one thread each, two
    # evaluations side by side on 2 cores (the embedded default's 10 took 5 minutes in turn)
    threads: lambda wildcards: 1 if is_tiny(wildcards.model) else 2
    resources:
        mem_mb=lambda wildcards: 8000 if is_tiny(wildcards.model) else 64000,
    params:
        protocol=PROTOCOL,
        labels=lambda wildcards: {"model": wildcards.model, "run": wildcards.run},
        scoring=SCORING,
    script:
        "../scripts/evaluate.py"


rule export_tasks:
    """The evaluation tasks as the upstream command lines load them (`lm_eval` /
    `lmms-eval --include_path results/tasks/...`): not part of `all`, asked for by path.
    """
    input:
        prompts=prompt_files(PROTOCOL_NAME),
        images=expand("results/data/images/{benchmark}", benchmark=BENCHMARKS),
        tasks=EVALUATION_TASK_FILES,
        lib=library("scripts/export_tasks.py", *EVALUATION_TASK_CODE),
    output:
        directory("results/tasks"),
    log:
        "results/logs/export_tasks.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        protocol=PROTOCOL,
    script:
        "../scripts/export_tasks.py"
