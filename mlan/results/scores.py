"""Long-format scores: one row per (run, benchmark, metric), the run spelled out as model,
method, mix, percent, budget and seed, so nothing downstream parses a name."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mlan import benchmarks
from mlan.names import Run

COLUMNS = ["model", "method", "mix", "percent", "budget", "seed", "benchmark", "metric", "score"]
INTERVAL = ["ci_low", "ci_high"]  # 95 % bootstrap interval over items, on headline rows (mlan.results.uncertainty)
# The benchmarks as mlan/benchmarks.py declares them (lists: pandas reads a tuple as one key).
LANGUAGE = list(benchmarks.LANGUAGE)
VISION = list(benchmarks.VISION)
BENCHMARKS = list(benchmarks.BENCHMARKS)
# The headline metric of each benchmark. ScienceQA's ``accuracy`` is the protocol's: pooled
# over its rows (official) or the mean of text and image (clean).
HEADLINE = benchmarks.HEADLINE
LABELS = benchmarks.LABELS
METHODS = {"pretrain": "Pretrain", "llava": "LLaVA", "cambrian": "Cambrian-1", "mlan": "MLAN", "mlan_v": "MLAN_v"}


def run_rows(
    files: list[str | Path], run: Run, methods: list[str], intervals: dict[str, tuple[float, float]] | None = None
) -> list[dict]:
    """Every numeric metric of one evaluated run, from exactly the given result files, once
    for each method training on the run's mixture ("" for a grid point only); a headline
    row carries its benchmark's interval from ``intervals`` (the others none)."""
    if not files:
        raise ValueError(f"run {run}: no evaluation result file given")
    if not methods:
        raise ValueError(f'run {run}: no method name given ("" for a grid point)')
    facts = {"model": run.model, "mix": "", "percent": None, "budget": None, "seed": None}
    if not run.is_pretrain:
        facts |= {"mix": str(run.mix), "percent": float(run.mix.percent), "budget": run.mix.budget, "seed": run.seed}
    rows = []
    for path in files:
        result = json.loads(Path(path).read_text())
        for metric, value in result["metrics"].items():
            if isinstance(value, (int, float)) and not metric.startswith("n_"):
                score = {"benchmark": result["benchmark"], "metric": metric, "score": float(value)}
                if intervals and metric == HEADLINE.get(result["benchmark"], "accuracy"):
                    score |= dict(zip(INTERVAL, intervals[result["benchmark"]], strict=True))
                rows += [facts | {"method": method} | score for method in methods]
    return rows


def read_scores(paths: list[str | Path]) -> pd.DataFrame:
    """Score files concatenated; ``seed`` stays text ("" for Pretrain), a Pretrain row's
    ``percent`` and ``budget`` are NaN."""
    if not paths:
        raise ValueError("no scores file given")
    text = {"mix": str, "method": str, "seed": str}
    empty = {"percent": [""], "budget": [""], "score": [""], "ci_low": [""], "ci_high": [""]}
    frames = []
    for path in paths:
        frame = pd.read_csv(path, comment="#", dtype=text, keep_default_na=False, na_values=empty)
        missing = [column for column in COLUMNS if column not in frame]
        if missing:
            raise ValueError(f"scores file {path} lacks the column(s) {', '.join(missing)}")
        check_rows(frame, path)
        frames.append(frame)
    scores = pd.concat(frames, ignore_index=True)
    key = ["model", "method", "mix", "seed", "benchmark", "metric"]
    conflicting = scores[scores.groupby(key)["score"].transform("nunique") > 1]
    if not conflicting.empty:
        first = conflicting.iloc[0]
        values = sorted(float(v) for v in conflicting[(conflicting[key] == first[key]).all(axis=1)]["score"])
        raise ValueError(
            f"scores disagree for model {first['model']}, method '{first['method']}', mix '{first['mix']}', "
            f"seed '{first['seed']}', {first['benchmark']} {first['metric']}: {values} (not averaged)"
        )
    return scores


def check_rows(frame: pd.DataFrame, path) -> None:
    """Every score a number (0-100 for a benchmark; token counts from 0), every benchmark
    known; the error names the file's line."""
    numeric = pd.to_numeric(frame["score"], errors="coerce")
    known = set(BENCHMARKS) | {"tokens"}
    for index, row in frame.iterrows():
        where = f"{path}, line {index + 2}"  # the header is line 1
        if row["benchmark"] not in known:
            raise ValueError(f"{where}: unknown benchmark '{row['benchmark']}' (known: {', '.join(sorted(known))})")
        value = float(numeric[index])
        if pd.isna(value):
            raise ValueError(
                f"{where}: the score of {row['benchmark']} {row['metric']} is not a number ('{row['score']}')"
            )
        if row["benchmark"] != "tokens" and not 0 <= value <= 100:
            raise ValueError(f"{where}: score {value} of {row['benchmark']} {row['metric']} is outside 0-100")
        if row["benchmark"] == "tokens" and value < 0:
            raise ValueError(f"{where}: a token count of {value}")
    frame["score"] = numeric
    for column in (c for c in INTERVAL if c in frame):
        bound = pd.to_numeric(frame[column], errors="coerce")
        wrong = frame[frame[column].notna() & (bound.isna() | (bound < 0) | (bound > 100))]
        if not wrong.empty:
            raise ValueError(
                f"{path}, line {wrong.index[0] + 2}: {column} '{wrong.iloc[0][column]}' is not within 0-100"
            )
        frame[column] = bound


def headline(scores: pd.DataFrame) -> pd.DataFrame:
    """Only each benchmark's headline metric (POPE F1, accuracy elsewhere)."""
    wanted = scores["benchmark"].map(lambda b: HEADLINE.get(b, "accuracy"))  # "tokens": none
    return scores[scores["metric"] == wanted]


def averages(wide: pd.DataFrame) -> pd.DataFrame:
    """Language, vision and overall (every benchmark) averages next to per-benchmark columns."""
    wide = wide.copy()
    for average, parts in benchmarks.AVERAGES.items():
        wide[average] = wide[list(parts)].mean(axis=1)
    return wide
