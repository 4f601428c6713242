"""Reproduced versus published scores, cell by cell (``results/comparison.md``)."""

from __future__ import annotations

import pandas as pd

from mlan.results.aggregate import per_seed
from mlan.results.scores import BENCHMARKS, LABELS, METHODS, headline


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """Key each row by "pretrain" or its % language data, so a run of another budget (the
    embedded default's) meets the published recipe."""
    frame = frame.copy()
    frame["key"] = [
        "pretrain" if m == "pretrain" else f"{p:g}" for m, p in zip(frame["method"], frame["percent"], strict=True)
    ]
    return frame


def setting(key: str, methods: set[str]) -> str:
    if key == "pretrain":
        return "Pretrain"
    names = ", ".join(METHODS.get(m, m) for m in sorted(methods))
    return f"{key}% language" + (f" ({names})" if names else "")


def compare(reproduced: pd.DataFrame, published: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """One row per published cell of the models compared (``aliases`` values); a cell with no
    reproduced counterpart has ``reproduced`` NaN: listed as missing, never dropped."""
    mine = _keyed(per_seed(reproduced))
    mine["model"] = mine["model"].map(lambda m: aliases.get(m, m))
    mine = mine.groupby(["model", "key"])[BENCHMARKS].mean()
    paper = _keyed(headline(published))
    paper = paper[paper["model"].isin(set(aliases.values()))]
    names = paper.groupby(["model", "key"])["method"].agg(lambda m: set(m) - {""})
    paper = paper.drop_duplicates(["model", "key", "benchmark"])
    rows = []
    for _, cell in paper.iterrows():
        found = (cell["model"], cell["key"]) in mine.index
        value = mine.loc[(cell["model"], cell["key"]), cell["benchmark"]] if found else float("nan")
        rows.append({"model": cell["model"], "setting": setting(cell["key"], names[(cell["model"], cell["key"])]),
                     "benchmark": cell["benchmark"], "published": cell["score"], "reproduced": value,
                     "delta": value - cell["score"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "setting", "benchmark", "published", "reproduced", "delta"])


def markdown(table: pd.DataFrame, aliases: dict[str, str], published_models: list[str] = ()) -> str:
    lines = ["# Reproduced versus published scores", ""]
    if aliases:
        lines += ["Compared as: " + ", ".join(f"`{a}` as the paper's `{b}`" for a, b in aliases.items()), ""]
    absent = sorted(set(published_models) - set(aliases.values()))
    if absent:
        lines += [f"Not in this grid (no model is compared as it): {', '.join(absent)}.", ""]
    if table.empty:
        return "\n".join(lines + ["No published cell belongs to a compared model.", ""])
    missing = table["reproduced"].isna()
    lines += [
        f"Published cells: {len(table)}; reproduced: {int((~missing).sum())}; missing: {int(missing.sum())}."
        + (f" Mean absolute delta {table['delta'].abs().mean():.1f} points." if (~missing).any() else ""),
        "",
    ]
    for (model, name), part in table.groupby(["model", "setting"], sort=False):
        lines += [f"## {model}: {name}", "", "| benchmark | published | reproduced | delta |", "|---|---|---|---|"]
        for _, row in part.iterrows():
            ours = "missing" if pd.isna(row["reproduced"]) else f"{row['reproduced']:.1f}"
            delta = "" if pd.isna(row["delta"]) else f"{row['delta']:+.1f}"
            lines.append(f"| {LABELS[row['benchmark']]} | {row['published']:.1f} | {ours} | {delta} |")
        lines.append("")
    return "\n".join(lines)
