rule run_scores:
    """One evaluated run's metrics in the long format of results/scores.csv."""
    input:
        results=expand(
            "results/eval/{{model}}/{{run}}/{benchmark}.json", benchmark=BENCHMARKS
        ),
        lib=lib("results/scores"),
    output:
        "results/scores/{model}/{run}.csv",
    log:
        "results/logs/run_scores/{model}/{run}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        method=lambda wildcards: method_of(wildcards.model, wildcards.run),
    script:
        "../scripts/run_scores.py"


rule scores:
    """Every evaluation result, long format (model, method, mix, seed, benchmark, metric, score)."""
    input:
        all_run_scores(),
    output:
        report("results/scores.csv", category="Scores"),
    log:
        "results/logs/scores.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/concat_scores.py"


rule diversity:
    """Cosine similarity of random question pairs of the training data (Figure 8)."""
    input:
        language=expand("results/data/{name}.jsonl", name=TEXT_TRAINING),
        vision=expand("results/data/{name}.jsonl", name=VISION_TRAINING),
        lib=lib("results/diversity"),
    output:
        "results/diversity.json",
    log:
        "results/logs/diversity.log",
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        pairs=config["analysis"]["diversity_pairs"],
        seed=config["analysis"]["seed"],
    script:
        "../scripts/diversity.py"


rule table:
    """One of the paper's tables, from the score and token files it needs."""
    input:
        scores=table_scores,
        tokens=table_tokens,
        lib=RESULTS_LIB,
    output:
        csv=report("results/tables/{table}.csv", category="Tables"),
        md="results/tables/{table}.md",
        tex="results/tables/{table}.tex",
    log:
        "results/logs/table/{table}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        ratio_models=RATIO_MODELS,
        tokens=lambda wildcards, input: (
            "--tokens results/tokens" if input.tokens else ""
        ),
        scores=lambda wildcards, input: (
            "--scores " + " ".join(input.scores) if input.scores else ""
        ),
    shell:
        "python -m mlan.results --only {wildcards.table} {params.scores} {params.tokens}"
        " --ratio-models {params.ratio_models} --out results > {log} 2>&1"


rule figure:
    """One of the paper's figures (.png and .pdf)."""
    input:
        scores=figure_scores,
        diversity=lambda wildcards: (
            ["results/diversity.json"] if wildcards.figure == "figure8" else []
        ),
        lib=RESULTS_LIB,
    output:
        png=report(
            "results/figures/{figure}.png",
            caption="../report/figures.rst",
            category="Figures",
        ),
        pdf="results/figures/{figure}.pdf",
    log:
        "results/logs/figure/{figure}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        ratio_models=RATIO_MODELS,
        extra=lambda wildcards, input: (
            "--diversity results/diversity.json"
            if input.diversity
            else "--scores " + " ".join(input.scores)
        ),
    shell:
        "python -m mlan.results --only {wildcards.figure} {params.extra}"
        " --ratio-models {params.ratio_models} --out results > {log} 2>&1"


rule comparison:
    """Reproduced versus published scores (Tables 1 and 5), cell by cell."""
    input:
        scores=compared_run_scores,
        paper="config/paper_scores.csv",
        lib=RESULTS_LIB,
    output:
        report("results/comparison.md", category="Comparison with the paper"),
    log:
        "results/logs/comparison.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        compare_as=COMPARE_AS,
    shell:
        "python -m mlan.results --only comparison --scores {input.scores} --paper {input.paper}"
        " --compare-as {params.compare_as} --out results > {log} 2>&1"
