"""The numbers behind the tables and figures, from exactly the runs they are given.

The rules choose the runs (``mlan.grid.Grid.method_runs`` and friends); nothing here
filters by budget or by name, so a stale file cannot slip in and a missing one is an error.
With several seeds every number is the mean over seeds (averages are taken per seed
first) with its standard deviation beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mlan import benchmarks
from mlan.names import Run
from mlan.results.scores import BENCHMARKS, METHODS, averages, headline

SUMMARY_COLUMNS = list(benchmarks.SUMMARY_COLUMNS)
RUN_KEYS = ["model", "method", "mix", "percent", "budget", "seed"]


def per_seed(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per run: headline scores of the 9 benchmarks and the averages."""
    if scores.empty:
        raise ValueError("no scores to aggregate")
    keyed = headline(scores).fillna({"percent": -1, "budget": -1})  # Pretrain has neither: kept as a key
    wide = keyed.pivot_table(index=RUN_KEYS, columns="benchmark", values="score", aggfunc="mean")
    missing = [b for b in BENCHMARKS if b not in wide]
    if missing:
        raise ValueError(f"scores lack the benchmark(s) {', '.join(missing)}")
    incomplete = wide[wide[BENCHMARKS].isna().any(axis=1)]
    if not incomplete.empty:
        model, method, mix, *_ = incomplete.index[0]
        absent = ", ".join(wide.columns[wide.loc[incomplete.index[0]].isna()])
        raise ValueError(f"run {model}/{mix or method} lacks a score of {absent}")
    rows = averages(wide.reset_index())
    rows[["percent", "budget"]] = rows[["percent", "budget"]].replace(-1, float("nan"))
    return rows


def read_intervals(paths) -> pd.DataFrame | None:
    """The intervals table when a rule declares it (``analysis.error_bars: items``), else None."""
    paths = list(paths)
    if len(paths) > 1:
        raise ValueError(f"one intervals table expected, got {paths}")
    return pd.read_csv(paths[0], dtype={"run": str, "seed": str}) if paths else None


def item_spread(rows: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """Per run of ``rows`` (``per_seed``), half the width of each column's 95 % interval over
    items (``results/tables/intervals.csv``), aligned with ``rows``."""
    half = intervals.assign(half=(intervals["ci_high"] - intervals["ci_low"]) / 2)
    wide = half.pivot_table(index=["model", "run"], columns="benchmark", values="half", aggfunc="first")
    # each row's run from its columns (no name is parsed); a Pretrain row has no percent
    names = [
        Run.of(row.model, None if pd.isna(row.percent) else row.percent, row.budget, row.seed).name
        for row in rows.itertuples()
    ]
    index = pd.MultiIndex.from_arrays([rows["model"], names])
    absent = [f"{m}/{r}" for m, r in index if (m, r) not in wide.index]
    if absent:
        raise ValueError(f"the intervals table has no run {absent[0]}")
    return wide.loc[index, SUMMARY_COLUMNS].set_axis(rows.index)


def over_seeds(
    rows: pd.DataFrame, keys: list[str], columns: list[str] = SUMMARY_COLUMNS, spread: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mean over seeds with a spread as ``{column}_std``: the standard deviation over seeds,
    or with ``spread`` (``item_spread``) the mean half-width of the runs' item intervals."""
    grouped = rows.groupby(keys, sort=False, dropna=False)[columns]
    if spread is None:
        std = grouped.std(ddof=1).fillna(0.0)
    else:
        std = spread[columns].groupby([rows[k] for k in keys], sort=False, dropna=False).mean()
        std.index.names = keys
    result = grouped.mean().join(std.add_suffix("_std")).join(grouped.size().rename("seeds"))
    return result.reset_index()


def summarized(rows: pd.DataFrame, keys: list[str], intervals: pd.DataFrame | None) -> pd.DataFrame:
    return over_seeds(rows, keys, spread=None if intervals is None else item_spread(rows, intervals))


def method_summary(scores: pd.DataFrame, intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1 / Figure 5: per model and method (Pretrain first, then the paper's order);
    with ``intervals``, the spread is the items' (``item_spread``), not the seeds'."""
    summary = summarized(per_seed(scores), ["model", "method"], intervals)
    order = {name: index for index, name in enumerate(METHODS)}
    summary["order"] = summary["method"].map(lambda m: order.get(m, len(order)))
    return summary.sort_values(["model", "order"], kind="stable").drop(columns="order").reset_index(drop=True)


def once_per_run(scores: pd.DataFrame) -> pd.DataFrame:
    """A run's rows once, whatever the number of methods naming its mixture (each method has
    its own copy of the run's rows, for Table 1): counted twice, it would be two seeds."""
    run = ["model", "mix", "seed", "benchmark", "metric"]
    return scores.drop_duplicates(run).assign(method="")


def ratio_summary(scores: pd.DataFrame, intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tables 5/6 / Figure 6: per model and % language data."""
    rows = per_seed(once_per_run(scores))
    if rows["percent"].isna().any():
        raise ValueError("the ratio grid is drawn from finetuned runs only; a Pretrain run was given")
    return summarized(rows, ["model", "percent"], intervals).sort_values(["model", "percent"])


def scaling_summary(scores: pd.DataFrame, full_budget: int, intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Figure 7: per model and share of the full budget (%); Pretrain is 0 %."""
    rows = per_seed(once_per_run(scores))
    rows["share"] = (100.0 * rows["budget"] / full_budget).fillna(0.0)
    return summarized(rows, ["model", "share"], intervals).sort_values(["model", "share"])


def read_tokens(paths: list[str | Path]) -> pd.DataFrame:
    """Token count files (results/tokens/...): one row per run."""
    if not paths:
        raise ValueError("no token count file given")
    rows = []
    for path in paths:
        data = json.loads(Path(path).read_text())
        rows.append(
            {key: data[key] for key in ("model", "mix", "percent", "budget", "seed")} | {"tokens": data["total_tokens"]}
        )
    return pd.DataFrame(rows).astype({"percent": float})


def token_summary(tokens: pd.DataFrame) -> pd.DataFrame:
    """Mean tokens (over seeds) per model and mixture, and the increase over the model's
    language-only mixture (None where it has none)."""
    summary = tokens.groupby(["model", "mix", "percent"], as_index=False)["tokens"].mean()
    language_only = summary[summary["percent"] == 100].set_index("model")["tokens"]
    summary["increase_vs_language_only"] = [
        100.0 * (t / language_only[m] - 1) if m in language_only else None
        for m, t in zip(summary["model"], summary["tokens"], strict=True)
    ]
    return summary.sort_values(["model", "tokens"])
