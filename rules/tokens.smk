rule processor:
    """The model's tokenizer and image processor (for tiny models, the tokenizer is trained
    on the toy training text and the LLM's own pretraining corpus)."""
    input:
        corpus=get_tokenizer_corpus,
        llm_corpus=get_llm_corpus,
        weights=get_weight_records,
        lib=library("scripts/build_processor.py"),
    output:
        directory("results/models/{model}/processor"),
    log:
        "results/logs/processor/{model}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        spec=get_architecture,
    script:
        "../scripts/build_processor.py"


rule count_tokens:
    """Training tokens of one run: text tokens + tokens per image (Tables 2 and 6); and how
    `max_length` cuts its answers (none left: an error before the jobs that train on it; a
    cluster runs it beside pretraining, at high priority)."""
    input:
        train=f"{MIXTURE_FOLDER}/train.json",
        processor="results/models/{model}/processor",
        lib=library("scripts/count_tokens.py"),
    output:
        tokens=TOKEN_FILE,
        # how max_length cuts the mixture's answers: checked here, before the training jobs
        lengths="results/lengths/{model}/{mix}/seed{seed}.json",
    log:
        "results/logs/tokens/{model}/{mix}/seed{seed}.log",
    priority: 50
    conda:
        "../envs/pipeline.yaml"
    # a toy mixture's count is mostly start-up: one thread, two side by side
    threads: lambda wildcards: 1 if is_tiny(wildcards.model) else 2
    resources:
        mem_mb=8000,
    params:
        token_count=config["analysis"]["token_count"],
        max_length=config["training"]["finetune"].get("max_length"),
    script:
        "../scripts/count_tokens.py"
