rule run_scores:
    """One evaluated run's metrics in the long format of results/scores.csv."""
    input:
        results=[f"{EVAL_FOLDER}/{benchmark}.json" for benchmark in BENCHMARKS],
        predictions=[
            f"{EVAL_FOLDER}/{benchmark}.predictions.jsonl" for benchmark in BENCHMARKS
        ],
        lib=library("scripts/run_scores.py"),
    output:
        SCORE_FILE,
    log:
        "results/logs/run_scores/{model}/{run}.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        methods=lambda wildcards: GRID.run_methods(
            Run.parse(wildcards.model, wildcards.run)
        ),
        resamples=config["analysis"]["bootstrap_resamples"],
        seed=config["analysis"]["bootstrap_seed"],
    script:
        "../scripts/run_scores.py"


rule scores:
    """Every evaluation result in the long format of the run score files."""
    input:
        scores=[run.score_file for run in GRID.evaluated_runs()],
        lib=library("scripts/concat_scores.py"),
    output:
        csv=report("results/scores.csv", category="Scores"),
        provenance="results/scores.provenance.json",
    log:
        "results/logs/scores.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/concat_scores.py"


rule intervals:
    """Every evaluated run's nine benchmarks and three averages with their 95 % intervals
    over items; with several seeds, the seed spread beside the item uncertainty."""
    input:
        predictions=predictions_files(GRID.evaluated_runs()),
        lib=library("scripts/intervals.py"),
    output:
        csv="results/tables/intervals.csv",
        md=report("results/tables/intervals.md", category="Uncertainty"),
    log:
        "results/logs/intervals.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=run_facts(GRID.evaluated_runs()),
        resamples=config["analysis"]["bootstrap_resamples"],
        seed=config["analysis"]["bootstrap_seed"],
    script:
        "../scripts/intervals.py"


rule significance:
    """Paired tests on the same items: the method pairs of `analysis.comparisons` and the
    neighbouring ratios of the grid, per benchmark and for the averages."""
    input:
        predictions=predictions_files(GRID.compared_runs()),
        lib=library("scripts/significance.py"),
    output:
        csv="results/tables/significance.csv",
        md=report("results/tables/significance.md", category="Uncertainty"),
    log:
        "results/logs/significance.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        runs=run_facts(GRID.compared_runs()),
        comparisons=config["analysis"]["comparisons"],
        resamples=config["analysis"]["bootstrap_resamples"],
        seed=config["analysis"]["bootstrap_seed"],
    script:
        "../scripts/significance.py"


rule diversity:
    """Cosine similarity of random question pairs of the training data (Figure 8)."""
    input:
        language=expand("results/data/{name}.jsonl", name=TEXT_TRAINING),
        vision=expand("results/data/{name}.jsonl", name=VISION_TRAINING),
        lib=library("scripts/diversity.py"),
    output:
        "results/diversity.json",
    log:
        "results/logs/diversity.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 4
    resources:
        mem_mb=8000,
    params:
        pairs=config["analysis"]["diversity_pairs"],
        sampling=config["analysis"]["diversity_sampling"],
        groups=GRID.groups(),
        seed=config["analysis"]["seed"],
    script:
        "../scripts/diversity.py"


rule score_table:
    """Tables 1 and 5: the scores of a selection of runs (the methods, the ratio grid) on
    every benchmark with the averages (mlan.results.tables)."""
    input:
        scores=lambda wildcards: [
            run.score_file for run in SCORE_TABLES[wildcards.table]()
        ],
        intervals=ERROR_BAR_INTERVALS,
        lib=library("scripts/score_table.py"),
    output:
        csv="results/tables/{table}.csv",
        html=report(
            "results/tables/{table}.html",
            caption="../report/captions/score_table.rst",
            category="Tables",
        ),
        md="results/tables/{table}.md",
        tex="results/tables/{table}.tex",
    log:
        "results/logs/{table}.log",
    wildcard_constraints:
        table="|".join(SCORE_TABLES),
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/score_table.py"


rule score_figure:
    """Figures 5, 6 and 7: the averages of a selection of runs (the methods, the ratio grid,
    the budget scaling) as bars or lines (mlan.results.figures)."""
    input:
        scores=lambda wildcards: [
            run.score_file for run in SCORE_FIGURES[wildcards.figure]()
        ],
        intervals=ERROR_BAR_INTERVALS,
        lib=library("scripts/score_figure.py"),
    output:
        png=report(
            "results/figures/{figure}.png",
            caption="../report/captions/score_figure.rst",
            category="Figures",
        ),
        pdf="results/figures/{figure}.pdf",
    log:
        "results/logs/{figure}.log",
    wildcard_constraints:
        figure="|".join(SCORE_FIGURES),
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        # Figure 7's x axis (a share of the budget); the others read no budget
        budget=lambda wildcards: GRID.budget if wildcards.figure == "figure7" else None,
    script:
        "../scripts/score_figure.py"


rule table2:
    """Table 2: training tokens of every full-budget mixture, named by its methods."""
    input:
        tokens=[run.token_file for run in GRID.recipe_runs()],
        lib=library("scripts/table2.py"),
    output:
        csv="results/tables/table2.csv",
        html=report(
            "results/tables/table2.html",
            caption="../report/captions/table2.rst",
            category="Tables",
        ),
        md="results/tables/table2.md",
        tex="results/tables/table2.tex",
    log:
        "results/logs/table2.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        recipes=recipes(GRID.models),
    script:
        "../scripts/table2.py"


rule table6:
    """Table 6: training tokens and average scores per % language data."""
    input:
        scores=[run.score_file for run in GRID.ratio_runs()],
        tokens=[run.token_file for run in GRID.ratio_runs()],
        lib=library("scripts/table6.py"),
    output:
        csv="results/tables/table6.csv",
        html=report(
            "results/tables/table6.html",
            caption="../report/captions/table6.rst",
            category="Tables",
        ),
        md="results/tables/table6.md",
        tex="results/tables/table6.tex",
    log:
        "results/logs/table6.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/table6.py"


rule figure8:
    """Figure 8: similarity of random question pairs within and across modalities."""
    input:
        diversity="results/diversity.json",
        lib=library("scripts/figure8.py"),
    output:
        png=report(
            "results/figures/figure8.png",
            caption="../report/captions/figure8.rst",
            category="Figures",
        ),
        pdf="results/figures/figure8.pdf",
    log:
        "results/logs/figure8.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figure8.py"


rule comparison:
    """Reproduced versus published scores (Tables 1 and 5), cell by cell."""
    input:
        scores=[run.score_file for run in GRID.compared_runs()],
        tokens=[run.token_file for run in GRID.recipe_runs()],
        paper="config/paper_scores.csv",
        claims="config/paper_claims.yaml",
        significance="results/tables/significance.csv",
        models=[run.model_folder for run in GRID.recipe_runs()],
        released=released_score_files(),
        lib=library("scripts/comparison.py"),
    output:
        report("results/comparison.md", category="Comparison with the paper"),
    log:
        "results/logs/comparison.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        compare_as={
            model: spec["compare_to"]
            for model, spec in config["models"].items()
            if "compare_to" in spec
        },
        recipes=recipes(GRID.models),
        recipe_runs={
            "models": [run.model for run in GRID.recipe_runs()],
            "runs": [run.name for run in GRID.recipe_runs()],
            "methods": [GRID.run_methods(run) for run in GRID.recipe_runs()],
        },
        ratio_grid={
            model: [float(p) for p in spec.get("ratio_grid", [])]
            for model, spec in config["models"].items()
        },
    script:
        "../scripts/comparison.py"


rule cost:
    """Measured cost of every training run (train_summary.json), and the paper's efficiency
    claims in device-hours beside its token-based ones."""
    input:
        models=[run.model_folder for run in TRAINED_RUNS],
        tokens=[run.token_file for run in GRID.runs()],
        lib=library("scripts/cost.py"),
    output:
        csv="results/tables/cost.csv",
        claims="results/tables/cost_claims.csv",
        md=report("results/tables/cost.md", category="Training"),
    log:
        "results/logs/cost.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        models=[run.model for run in TRAINED_RUNS],
        runs=[run.name for run in TRAINED_RUNS],
        methods=[
            ["pretrain"] if run.is_pretrain else GRID.run_methods(run)
            for run in TRAINED_RUNS
        ],
    script:
        "../scripts/cost.py"


rule training_curves:
    """Loss and learning rate of every training run (the report's training figure)."""
    input:
        models=[run.model_folder for run in TRAINED_RUNS],
        lib=library("scripts/training_curves.py"),
    output:
        png=report(
            "results/figures/training_curves.png",
            caption="../report/captions/training_curves.rst",
            category="Training",
        ),
        pdf="results/figures/training_curves.pdf",
    log:
        "results/logs/training_curves.log",
    localrule: True
    conda:
        "../envs/pipeline.yaml"
    params:
        models=[run.model for run in TRAINED_RUNS],
        runs=[run.name for run in TRAINED_RUNS],
    script:
        "../scripts/training_curves.py"
