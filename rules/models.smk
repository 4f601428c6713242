rule fetch_weights:
    """A model's pretrained LLM or vision tower from the hub into the hub cache, on the
    submit host (compute nodes may have no network); records the snapshot the jobs read.
    """
    input:
        library("scripts/fetch_weights.py"),
    output:
        "results/weights/{model}/{part}.json",
    log:
        "results/logs/fetch_weights/{model}/{part}.log",
    wildcard_constraints:
        part="llm|vision",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        spec=lambda wildcards: config["models"][wildcards.model][wildcards.part],
        cache=config.get("hub_cache"),
    script:
        "../scripts/fetch_weights.py"


rule llm_corpus:
    """The text a config-built LLM pretrains on (models.<model>.llm_pretraining): its toy
    sets generated at their own seed, written as plain text."""
    input:
        lib=get_llm_corpus_code,
    output:
        "results/data/llm_corpus/{model}.jsonl",
    log:
        "results/logs/llm_corpus/{model}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        corpus=lambda wildcards: llm_pretraining(wildcards.model)["corpus"],
        seed=lambda wildcards: llm_pretraining(wildcards.model)["seed"],
    script:
        "../scripts/llm_corpus.py"


rule pretrain_llm:
    """A config-built LLM's own pretraining, the miniature of Llama 2's: a causal LM on its
    corpus, once, before LLaVA's stages (a pretrained LLM skips it)."""
    input:
        corpus=get_llm_corpus,
        processor="results/models/{model}/processor",
        lib=library("scripts/pretrain_llm.py"),
    output:
        model=directory("results/models/{model}/llm"),
        summary="results/models/{model}/llm_pretraining.json",
    log:
        "results/logs/pretrain_llm/{model}.log",
    priority: 50  # every training waits for it
    conda:
        "../envs/pipeline.yaml"
    threads: 2
    resources:
        mem_mb=4000,
    params:
        llm=lambda wildcards: config["models"][wildcards.model]["llm"],
        settings=lambda wildcards: {
            key: value
            for key, value in llm_pretraining(wildcards.model).items()
            if key != "corpus"
        },
    script:
        "../scripts/pretrain_llm.py"


rule assemble_model:
    """The untrained LLaVA assembly (pretrained LLM and CLIP, new projector); first, how
    `max_length` cuts the captions' answers (none left: an error before pretraining)."""
    input:
        processor="results/models/{model}/processor",
        weights=get_weight_records,
        language_model=get_pretrained_llm,
        captions="results/data/llava_pretrain.jsonl",
        lib=library("scripts/assemble_model.py"),
    output:
        base=directory("results/models/{model}/base"),
        lengths="results/lengths/{model}/pretrain.json",
    log:
        "results/logs/assemble_model/{model}.log",
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=lambda wildcards: 4000 if is_tiny(wildcards.model) else 96000,
    params:
        spec=get_architecture,
        seed=config["training"]["pretrain"].get("seed", 42),
        max_length=config["training"]["pretrain"].get("max_length"),
    script:
        "../scripts/assemble_model.py"


rule pretrain:
    """Projector pretraining on the captions (plain template; only the projector trains)."""
    input:
        base="results/models/{model}/base",
        data="results/data/llava_pretrain.jsonl",
        images="results/data/images/llava_pretrain",
        lib=TRAINING_CODE,
    output:
        directory(PRETRAINED_MODEL),
    log:
        "results/logs/pretrain/{model}.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 2
    resources:
        mem_mb=lambda wildcards: 8000 if is_tiny(wildcards.model) else 512000,
    params:
        settings=lambda wildcards: stage_settings(
            "pretrain", wildcards.model, wildcards.model
        ),
        checkpoints="results/checkpoints/{model}/pretrain",
        launcher=get_launcher,
    shell:
        "exec {params.launcher}python -m mlan.training.launch --stage pretrain --base {input.base} --data {input.data}"
        " --images results/data/images --output {output} --checkpoints {params.checkpoints}"
        " --settings {params.settings:q} > {log} 2>&1"


rule finetune:
    """Instruction tuning of the LLM and projector on one mixture (vision tower frozen)."""
    input:
        base=PRETRAINED_MODEL,
        data=f"{MIXTURE_FOLDER}/train.json",
        images=get_mixture_images,
        lengths=ancient("results/lengths/{model}/{mix}/seed{seed}.json"),  # checked first
        lib=TRAINING_CODE,
    output:
        directory(FINETUNED_MODEL),
    log:
        "results/logs/finetune/{model}/{mix}/seed{seed}.log",
    conda:
        "../envs/pipeline.yaml"
    # a tiny model's matmuls are too small for a second thread (1.2x faster for twice the
    # cores): one thread each, two finetunes side by side (docs/benchmarks.md)
    threads: lambda wildcards: 1 if is_tiny(wildcards.model) else 2
    resources:
        mem_mb=lambda wildcards: 8000 if is_tiny(wildcards.model) else 512000,
    params:
        settings=lambda wildcards: stage_settings(
            "finetune",
            wildcards.model,
            f"{wildcards.model}/{wildcards.mix}/seed{wildcards.seed}",
            seed=int(wildcards.seed),
        ),
        checkpoints="results/checkpoints/{model}/{mix}/seed{seed}",
        launcher=get_launcher,
    shell:
        "exec {params.launcher}python -m mlan.training.launch --stage finetune --base {input.base} --data {input.data}"
        " --images results/data/images --output {output} --checkpoints {params.checkpoints}"
        " --settings {params.settings:q} > {log} 2>&1"


rule export_llm:
    """A finetuned model's language model alone, as a LlamaForCausalLM folder (for lm-eval's
    hf model, vLLM, ...): not part of `all`, asked for by path."""
    input:
        model=FINETUNED_MODEL,
        lib=library("scripts/export_llm.py"),
    output:
        directory("results/export/{model}/{mix}/seed{seed}"),
    log:
        "results/logs/export_llm/{model}/{mix}/seed{seed}.log",
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=lambda wildcards: 4000 if is_tiny(wildcards.model) else 64000,
    script:
        "../scripts/export_llm.py"
