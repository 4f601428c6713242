"""The paper's headline claims (Abstract, Sec. 3.1 and 3.2), recomputed: from its own
published cells (they must give the printed figures) and from this run's results."""

from __future__ import annotations

import pandas as pd

from mlan.results.aggregate import per_seed

# claim, printed figure, how to compute it, format
TOKEN_CLAIMS = [
    ("MLAN trains on fewer tokens than LLaVA (%)", 78, lambda t: 100 * (1 - t["mlan"] / t["llava"]), ".0f"),
    ("MLAN trains on fewer tokens than Cambrian-1 (%)", 74, lambda t: 100 * (1 - t["mlan"] / t["cambrian"]), ".0f"),
    ("Efficiency of MLAN vs LLaVA (x)", 4.6, lambda t: t["llava"] / t["mlan"], ".1f"),
    ("Efficiency of MLAN vs Cambrian-1 (x)", 3.9, lambda t: t["cambrian"] / t["mlan"], ".1f"),
    ("Efficiency of MLAN_v vs LLaVA (x)", 3.1, lambda t: t["llava"] / t["mlan_v"], ".1f"),
    ("Efficiency of MLAN_v vs Cambrian-1 (x)", 2.6, lambda t: t["cambrian"] / t["mlan_v"], ".1f"),
]
GAIN_CLAIMS = [
    ("MLAN over Pretrain, overall average (points, mean over models)", 15.4, "overall_avg"),
    ("MLAN over Pretrain, vision average (points, mean over models)", 10.4, "vision_avg"),
    ("MLAN over Pretrain, language average (points, mean over models)", 19.1, "language_avg"),
]
TOKEN_MODEL = "llama2"  # Table 2's MLAN_v row of 14.9M tokens is Llama 2's (87.5 %)


def _token_claim(tokens: dict[str, float], compute) -> float:
    try:
        return float(compute(tokens))
    except KeyError:  # a method the grid does not train
        return float("nan")


def _gain(scores: pd.DataFrame, column: str) -> float:
    """Mean over models of MLAN's minus Pretrain's ``column``; NaN without both."""
    if scores.empty:
        return float("nan")
    summary = per_seed(scores).groupby(["model", "method"])[column].mean().unstack()
    if not {"mlan", "pretrain"} <= set(summary.columns):
        return float("nan")
    return float((summary["mlan"] - summary["pretrain"]).mean())


def claims(
    published: pd.DataFrame,
    scores: pd.DataFrame,
    tokens: dict[str, float],
) -> pd.DataFrame:
    """``published``: the paper's long-format cells; ``scores``: this run's method runs;
    ``tokens``: this run's mean training tokens per method of the model compared as Llama 2."""
    paper_scores = published[published["benchmark"] != "tokens"]
    paper_scores = paper_scores[paper_scores["method"] != ""]
    counted = published[(published["benchmark"] == "tokens") & (published["model"] == TOKEN_MODEL)]
    paper_tokens = dict(zip(counted["method"], counted["score"], strict=True))
    rows = [
        {"claim": claim, "printed": printed, "published": _token_claim(paper_tokens, compute),
         "reproduced": _token_claim(tokens, compute), "format": fmt}
        for claim, printed, compute, fmt in TOKEN_CLAIMS
    ]  # fmt: skip
    rows += [
        {"claim": claim, "printed": printed, "published": _gain(paper_scores, column),
         "reproduced": _gain(scores[scores["method"] != ""], column), "format": "+.1f"}
        for claim, printed, column in GAIN_CLAIMS
    ]  # fmt: skip
    return pd.DataFrame(rows)


# How a claim of the paper's text fares (config/paper_claims.yaml against the significance table)
WITH = "reproduced, significant"
WITHOUT = "reproduced, not significant"
NOT = "not reproduced"
MISSING = "missing"


def _rows_of(significance: pd.DataFrame, models: list[str], a: str, b: str, cell: str) -> pd.DataFrame:
    return significance[
        significance["model"].isin(models)
        & (significance["a_key"] == a)
        & (significance["b_key"] == b)
        & (significance["benchmark"] == cell)
    ]


def _comparative(claim: dict, rows: pd.DataFrame) -> tuple[str, float]:
    if rows.empty:
        return MISSING, float("nan")
    difference = float(rows["difference"].mean())
    if claim["direction"] == "on_par":
        return (NOT if rows["significant"].any() else "reproduced (no significant difference)"), difference
    if difference <= 0:
        return NOT, difference
    return (WITH if ((rows["difference"] > 0) & rows["significant"]).all() else WITHOUT), difference


def _peak(claim: dict, significance: pd.DataFrame, ratio_scores: pd.DataFrame, models: list[str]) -> tuple[str, float]:
    """The grid's argmax (mean over seeds) of the claim's cell, per compared model; with
    significance when the peak is significantly above both neighbours on every seed."""
    statuses, peaks = [], []
    for model in models:
        scores = ratio_scores[ratio_scores["model"] == model].groupby("percent")[claim["cell"]].mean()
        if scores.empty or claim["stated"] not in scores.index:
            return MISSING, float("nan")
        peak = float(scores.idxmax())
        peaks.append(peak)
        if peak != claim["stated"]:
            statuses.append(NOT)
            continue
        rows = significance[(significance["model"] == model) & (significance["benchmark"] == claim["cell"])]
        above = rows[(rows["a_key"] == f"{peak:g}") & rows["b_key"].isin([f"{p:g}" for p in scores.index])]
        below = rows[(rows["b_key"] == f"{peak:g}") & rows["a_key"].isin([f"{p:g}" for p in scores.index])]
        clear = (above["difference"] > 0) & above["significant"]
        clear_below = (below["difference"] < 0) & below["significant"]
        statuses.append(WITH if clear.all() and clear_below.all() and len(above) + len(below) else WITHOUT)
    if not statuses:
        return MISSING, float("nan")
    status = NOT if NOT in statuses else (WITHOUT if WITHOUT in statuses else WITH)
    return status, sum(peaks) / len(peaks)


def text_claims(
    specs: list[dict], significance: pd.DataFrame, ratio_scores: pd.DataFrame, models: list[str]
) -> pd.DataFrame:
    """Each claim of the paper's text with this grid's difference (mean over the compared
    ``models`` and seeds; the peak's ratio for a peak claim) and its status."""
    rows = []
    for claim in specs:
        if claim.get("kind") == "peak":
            status, value = _peak(claim, significance, ratio_scores, models)
        else:
            status, value = _comparative(claim, _rows_of(significance, models, claim["a"], claim["b"], claim["cell"]))
        rows.append({"id": claim["id"], "where": claim["where"], "text": claim["text"],
                     "stated": claim.get("stated"), "reproduced": value, "status": status})  # fmt: skip
    return pd.DataFrame(rows, columns=["id", "where", "text", "stated", "reproduced", "status"])
