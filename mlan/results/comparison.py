"""Reproduced versus published scores, cell by cell (``results/comparison.md``)."""

from __future__ import annotations

import pandas as pd

from mlan.benchmarks import AVERAGE_LABELS
from mlan.benchmarks import CELL_LABELS as BENCHMARK_CELL_LABELS
from mlan.results.aggregate import per_seed
from mlan.results.scores import BENCHMARKS, METHODS


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


AVERAGES = list(AVERAGE_LABELS)
CELLS = BENCHMARKS + AVERAGES
CELL_LABELS = BENCHMARK_CELL_LABELS | {"tokens": "Training tokens"}
COLUMNS = ["model", "setting", "benchmark", "published", "reproduced", "delta"]


def _settings(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean per (model, key) of the nine benchmarks and the three averages (per run first)."""
    return _keyed(per_seed(frame)).groupby(["model", "key"])[CELLS].mean()


def compare(reproduced: pd.DataFrame, published: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """One row per published cell of the models compared (``aliases`` values): the nine
    benchmarks and the language, vision and overall averages of every published setting
    (averages of the published scores, which match the paper's printed ones within 0.1). A
    cell with no reproduced counterpart has ``reproduced`` NaN: listed as missing, never dropped."""
    aliased = reproduced.assign(model=reproduced["model"].map(lambda m: aliases.get(m, m)))
    mine = _settings(aliased) if not reproduced.empty else pd.DataFrame(columns=CELLS)
    scores = published[(published["benchmark"] != "tokens") & published["model"].isin(set(aliases.values()))]
    paper = _settings(scores)
    names = _keyed(scores).groupby(["model", "key"])["method"].agg(lambda m: set(m) - {""})
    rows = []
    for (model, key), cells in paper.iterrows():
        for benchmark in CELLS:
            value = mine.loc[(model, key), benchmark] if (model, key) in mine.index else float("nan")
            theirs = cells[benchmark]
            rows.append({"model": model, "setting": setting(key, names[(model, key)]), "benchmark": benchmark,
                         "published": theirs, "reproduced": value, "delta": value - theirs})  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def compare_tokens(reproduced: pd.DataFrame, published: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """Table 2's cells: the published training tokens of each setting against the mean (over
    seeds) of the reproduced token counts of the same model and % language data."""
    mine = reproduced.assign(model=reproduced["model"].map(lambda m: aliases.get(m, m)))
    mine = mine.groupby(["model", "percent"])["tokens"].mean()
    paper = published[(published["benchmark"] == "tokens") & published["model"].isin(set(aliases.values()))]
    rows = []
    for _, cell in paper.iterrows():
        key = (cell["model"], cell["percent"])
        value = mine.loc[key] if key in mine.index else float("nan")
        rows.append({"model": cell["model"], "setting": setting(f"{cell['percent']:g}", {cell["method"]}),
                     "benchmark": "tokens", "published": cell["score"], "reproduced": value,
                     "delta": value - cell["score"]})  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def markdown(
    table: pd.DataFrame,
    aliases: dict[str, str],
    published_models: list[str] = (),
    tokens: pd.DataFrame | None = None,
    claims: pd.DataFrame | None = None,
    text_claims: pd.DataFrame | None = None,
    efficiency: pd.DataFrame | None = None,
) -> str:
    lines = ["# Reproduced versus published scores", ""]
    if aliases:
        lines += ["Compared as: " + ", ".join(f"`{a}` as the paper's `{b}`" for a, b in aliases.items()), ""]
    absent = sorted(set(published_models) - set(aliases.values()))
    if absent:
        lines += [f"Not in this grid (no model is compared as it): {', '.join(absent)}.", ""]
    cells = pd.concat([t for t in (table, tokens) if t is not None and not t.empty]) if not table.empty else table
    if cells.empty:
        return "\n".join(lines + ["No published cell belongs to a compared model.", ""])
    missing = cells["reproduced"].isna()
    scored = table[table["reproduced"].notna()]
    lines += [
        f"Published cells: {len(cells)}; reproduced: {int((~missing).sum())}; missing: {int(missing.sum())}."
        + (f" Mean absolute delta of the scores {scored['delta'].abs().mean():.1f} points." if len(scored) else ""),
        "",
    ]
    for (model, name), part in table.groupby(["model", "setting"], sort=False):
        lines += [f"## {model}: {name}", "", "| benchmark | published | reproduced | delta |", "|---|---|---|---|"]
        for _, row in part.iterrows():
            ours = "missing" if pd.isna(row["reproduced"]) else f"{row['reproduced']:.1f}"
            delta = "" if pd.isna(row["delta"]) else f"{row['delta']:+.1f}"
            lines.append(f"| {CELL_LABELS[row['benchmark']]} | {row['published']:.1f} | {ours} | {delta} |")
        lines.append("")
    if tokens is not None and not tokens.empty:
        lines += [
            "## Training tokens (Table 2)",
            "",
            "| model | setting | published | reproduced | ratio |",
            "|---|---|---|---|---|",
        ]
        for _, row in tokens.iterrows():
            ours = "missing" if pd.isna(row["reproduced"]) else f"{row['reproduced']:,.0f}"
            ratio = "" if pd.isna(row["reproduced"]) else f"{row['reproduced'] / row['published']:.3g}"
            lines.append(f"| {row['model']} | {row['setting']} | {row['published']:,.0f} | {ours} | {ratio} |")
        lines.append("")
    if claims is not None and not claims.empty:
        lines += [
            "## Headline claims",
            "",
            "| claim | paper | from the published cells | reproduced |",
            "|---|---|---|---|",
        ]
        for _, row in claims.iterrows():
            values = [row[c] for c in ("printed", "published", "reproduced")]
            lines.append(
                f"| {row['claim']} | "
                + " | ".join("missing" if pd.isna(v) else f"{v:{row['format']}}" for v in values)
                + " |"
            )
        lines.append("")
    if text_claims is not None:
        lines += [
            "## Claims of the paper's text",
            "",
            "Each claim (config/paper_claims.yaml) against this grid's paired tests (tables/significance.md): "
            "reproduced, significant (every compared model and seed, p < 0.05), reproduced, not significant "
            "(the mean difference has the claimed sign), not reproduced, or missing (the grid has no such pair).",
            "",
            "| claim | where | stated | reproduced | status |",
            "|---|---|---|---|---|",
        ]
        for _, row in text_claims.iterrows():
            stated = "" if row["stated"] is None or pd.isna(row["stated"]) else f"{row['stated']:g}"
            ours = "" if pd.isna(row["reproduced"]) else f"{row['reproduced']:+.1f}"
            if row["id"].endswith("peak") and ours:
                ours = f"{row['reproduced']:g} %"
            lines.append(f"| {row['text']} | {row['where']} | {stated} | {ours} | {row['status']} |")
        lines.append("")
    if efficiency is not None:
        lines += [
            "## Efficiency in measured device-hours",
            "",
            "Finetuning cost of the first method over the second's (tables/cost.md): the paper's factor, "
            "Table 2's token-based one, and this grid's measured device-hours (world size x wall time).",
            "",
            "| model | claim | paper | tokens | device-hours |",
            "|---|---|---|---|---|",
        ]
        for _, row in efficiency.iterrows():
            values = ["missing" if pd.isna(v) else f"{v:.1f}x" for v in (row["tokens"], row["device_hours"])]
            lines.append(f"| {row['model']} | {row['claim']} | {row['paper']}x | " + " | ".join(values) + " |")
        lines.append("")
    return "\n".join(lines)
