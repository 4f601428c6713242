import pandas as pd
import yaml

from mlan.atomic import write_text
from mlan.results.aggregate import per_seed, read_tokens
from mlan.results.claims import TOKEN_MODEL, claims, text_claims
from mlan.results.comparison import compare, compare_tokens, markdown
from mlan.results.cost import cost_table, efficiency
from mlan.results.released import compare_released, read_released, released_markdown
from mlan.results.scores import read_scores
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "comparison") as log:
    aliases, recipes = snakemake.params.compare_as, snakemake.params.recipes
    published = read_scores([snakemake.input.paper])
    scores, tokens = read_scores(snakemake.input.scores), read_tokens(snakemake.input.tokens)
    table, counted = compare(scores, published, aliases), compare_tokens(tokens, published, aliases)
    per_method = {
        method: tokens[(tokens["model"] == model) & (tokens["mix"] == mix)]["tokens"].mean()
        for model, paper_model in aliases.items()
        if paper_model == TOKEN_MODEL
        for mix, methods in recipes[model].items()
        for method in methods
    }
    headline = claims(published, scores[scores["model"].isin(list(aliases))], per_method)
    with open(snakemake.input.claims) as handle:
        specs = yaml.safe_load(handle)
    significance = pd.read_csv(snakemake.input.significance, dtype={"a_key": str, "b_key": str})
    compared = sorted(aliases)
    grid = per_seed(scores[scores["model"].isin(compared) & (scores["method"] != "pretrain")])
    grid = grid[
        [p in snakemake.params.ratio_grid.get(m, []) for m, p in zip(grid["model"], grid["percent"], strict=True)]
    ]
    found = text_claims(specs, significance, grid, compared)
    runs = snakemake.params.recipe_runs
    frame, methods = cost_table(
        snakemake.input.models, runs["models"], runs["runs"], runs["methods"], snakemake.input.tokens
    )
    cost = efficiency(frame, methods)
    cost = cost[cost["model"].isin(compared)]
    text = markdown(table, aliases, sorted(set(published["model"])), counted, headline, found, cost)
    if snakemake.input.released:
        text += "\n" + released_markdown(compare_released(read_released(snakemake.input.released), published), "##")
    write_text(snakemake.output[0], text)
    log.info("%d published cells, %d reproduced", len(table) + len(counted), table["reproduced"].notna().sum())
