"""Long-format scores: one row per (run, benchmark, metric), the run spelled out as model,
method, mix, percent, budget and seed, so nothing downstream parses a name."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mlan.names import Run

COLUMNS = ["model", "method", "mix", "percent", "budget", "seed", "benchmark", "metric", "score"]
LANGUAGE = ["race", "openbookqa", "boolq", "hellaswag"]
VISION = ["gqa", "realworldqa", "ai2d", "pope"]
BENCHMARKS = LANGUAGE + VISION + ["scienceqa"]
HEADLINE = {"pope": "f1", "scienceqa": "mean_accuracy"}
LABELS = {
    "race": "RACE", "openbookqa": "OpenBookQA", "boolq": "BoolQ", "hellaswag": "HellaSwag", "gqa": "GQA",
    "realworldqa": "RealWorldQA", "ai2d": "AI2D", "pope": "POPE", "scienceqa": "ScienceQA",
}  # fmt: skip
METHODS = {"pretrain": "Pretrain", "llava": "LLaVA", "cambrian": "Cambrian-1", "mlan": "MLAN", "mlan_v": "MLAN_v"}


def run_rows(files: list[str | Path], run: Run, method: str) -> list[dict]:
    """Every numeric metric of one evaluated run, from exactly the given result files."""
    if not files:
        raise ValueError(f"run {run}: no evaluation result file given")
    facts = {"model": run.model, "method": method, "mix": "", "percent": None, "budget": None, "seed": None}
    if not run.is_pretrain:
        facts |= {"mix": str(run.mix), "percent": float(run.mix.percent), "budget": run.mix.budget, "seed": run.seed}
    rows = []
    for path in files:
        result = json.loads(Path(path).read_text())
        for metric, value in result["metrics"].items():
            if isinstance(value, (int, float)) and not metric.startswith("n_"):
                rows.append(facts | {"benchmark": result["benchmark"], "metric": metric, "score": float(value)})
    return rows


def read_scores(paths: list[str | Path]) -> pd.DataFrame:
    """Score files concatenated; ``seed`` stays text ("" for Pretrain), a Pretrain row's
    ``percent`` and ``budget`` are NaN."""
    if not paths:
        raise ValueError("no scores file given")
    text = {"mix": str, "method": str, "seed": str}
    empty = {"percent": [""], "budget": [""]}
    frames = [pd.read_csv(path, comment="#", dtype=text, keep_default_na=False, na_values=empty) for path in paths]
    scores = pd.concat(frames, ignore_index=True)
    missing = [column for column in COLUMNS if column not in scores]
    if missing:
        raise ValueError(f"scores file(s) {', '.join(map(str, paths))} lack the column(s) {', '.join(missing)}")
    return scores


def headline(scores: pd.DataFrame) -> pd.DataFrame:
    """Only each benchmark's headline metric (POPE F1, ScienceQA mean, accuracy elsewhere)."""
    wanted = scores["benchmark"].map(lambda b: HEADLINE.get(b, "accuracy"))
    return scores[scores["metric"] == wanted]


def averages(wide: pd.DataFrame) -> pd.DataFrame:
    """Language, vision and overall (all 9) averages next to per-benchmark columns."""
    wide = wide.copy()
    wide["language_avg"] = wide[LANGUAGE].mean(axis=1)
    wide["vision_avg"] = wide[VISION].mean(axis=1)
    wide["overall_avg"] = wide[BENCHMARKS].mean(axis=1)
    return wide
