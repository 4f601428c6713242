"""Tables 1, 2, 5 and 6 of the paper, as .csv (numbers), .md, .html and .tex (as printed), each
drawn from exactly the runs it is given (see mlan.results.aggregate)."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pandas as pd

from mlan.benchmarks import CELL_LABELS, MIXED
from mlan.names import format_percent
from mlan.results.aggregate import SUMMARY_COLUMNS, method_summary, ratio_summary, token_summary
from mlan.results.scores import METHODS

COLUMN_LABELS = CELL_LABELS
CAPTIONS = {
    "table1": "Table 1: zero-shot results on the held-out benchmarks; in brackets the change versus Pretrain.",
    "table2": "Table 2: training tokens per setting; in brackets the increase over language-only.",
    "table5": "Table 5: the ratio grid (% language data) on every benchmark.",
    "table6": "Table 6: training tokens and average scores per % language data.",
}


SPREAD = {
    "seeds": " ± : standard deviation over seeds (none shown with one seed).",
    "items": " ± : half the 95 % bootstrap interval over the benchmark's items (mean over seeds).",
}


def cell(value: float, std: float | None = None, change: float | None = None) -> str:
    text = f"{value:.1f}"
    if std:
        text += f" ± {std:.1f}"
    if change is not None:
        text += f" ({change:+.1f})"
    return text


def percent_label(percent: float) -> str:
    return f"{format_percent(percent)}%"


def table1(scores: pd.DataFrame, intervals: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per model: each method given x 9 benchmarks, averages, change versus Pretrain; the ±
    is the seeds' standard deviation, or with ``intervals`` half the items' 95 % interval."""
    summary = method_summary(scores, intervals)
    numbers, shown = [], []
    for _, row in summary.iterrows():
        base = summary[(summary["model"] == row["model"]) & (summary["method"] == "pretrain")]
        number = {"model": row["model"], "method": row["method"], "seeds": row["seeds"]}
        text = {"Model": row["model"], "Method": METHODS.get(row["method"], row["method"])}
        for column in SUMMARY_COLUMNS:
            change = None if row["method"] == "pretrain" or base.empty else row[column] - base.iloc[0][column]
            number |= {column: row[column], f"{column}_std": row[f"{column}_std"], f"{column}_change": change}
            text[COLUMN_LABELS[column]] = cell(row[column], row[f"{column}_std"], change)
        numbers.append(number)
        shown.append(text)
    return pd.DataFrame(numbers), pd.DataFrame(shown)


def table5(scores: pd.DataFrame, intervals: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    numbers = ratio_summary(scores, intervals)
    shown = pd.DataFrame(
        {"Model": numbers["model"], "% Language": numbers["percent"].map(percent_label)}
        | {
            COLUMN_LABELS[c]: [cell(v, s) for v, s in zip(numbers[c], numbers[f"{c}_std"], strict=True)]
            for c in SUMMARY_COLUMNS
        }  # fmt: skip
    )
    return numbers, shown


SCORE_TABLES = {"table1": table1, "table5": table5}  # the score tables by name (rule score_table)


def setting(methods: list[str], percent: float) -> str:
    if methods:
        return " / ".join(METHODS.get(m, m) for m in methods)
    return {0: "Vision only", 100: "Language only"}.get(percent, f"{format_percent(percent)}% language")


def table2(tokens: pd.DataFrame, recipes: dict[str, dict[str, list[str]]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training tokens of each mixture given and the increase versus language-only;
    ``recipes`` names the methods of a model's mixture (``{model: {mix: [method, ...]}}``)."""
    summary = token_summary(tokens)
    summary["methods"] = [
        "/".join(recipes.get(m, {}).get(x, [])) for m, x in zip(summary["model"], summary["mix"], strict=True)
    ]
    shown = pd.DataFrame({
        "Model": summary["model"],
        "Setting": [setting(m.split("/") if m else [], p)
                    for m, p in zip(summary["methods"], summary["percent"], strict=True)],
        "% Language": summary["percent"].map(percent_label),
        "Number of tokens": [f"{t:,.0f}" + (f" ({i:+.2f}%)" if i else "")
                             for t, i in zip(summary["tokens"], summary["increase_vs_language_only"], strict=True)],
    })  # fmt: skip
    return summary, shown


def table6(scores: pd.DataFrame, tokens: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per % language data: training tokens and the average scores."""
    grid = ratio_summary(scores)
    counted = token_summary(tokens)[["model", "percent", "tokens"]]
    numbers = grid.merge(counted, on=["model", "percent"], how="left", validate="one_to_one")
    absent = numbers[numbers["tokens"].isna()]
    if not absent.empty:
        raise ValueError(f"no token count for {absent.iloc[0]['model']} at {percent_label(absent.iloc[0]['percent'])}")
    shown = pd.DataFrame({
        "Model": numbers["model"],
        "% Language": numbers["percent"].map(percent_label),
        "Tokens": numbers["tokens"].map(lambda t: f"{t:,.0f}"),
    } | {COLUMN_LABELS[c]: [cell(v, s) for v, s in zip(numbers[c], numbers[f"{c}_std"], strict=True)]
         for c in ("language_avg", "vision_avg", *MIXED, "overall_avg")})  # fmt: skip
    return numbers, shown


def write_table(numbers: pd.DataFrame, shown: pd.DataFrame, stem: str | Path, caption: str) -> list[Path]:
    """``stem.csv`` (numbers), ``stem.md``, ``stem.html`` (the report's) and ``stem.tex``
    (as printed). LaTeX numbers its tables itself: the .tex caption drops "Table N: "."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    numbers.to_csv(stem.with_suffix(".csv"), index=False, float_format="%.4f")
    stem.with_suffix(".md").write_text(f"{caption}\n\n{shown.to_markdown(index=False)}\n")
    html = shown.to_html(index=False, border=0, escape=True)
    stem.with_suffix(".html").write_text(f"<p><b>{escape(caption)}</b></p>\n{html}\n")
    unnumbered = re.sub(r"^Table \d+: ", "", caption)
    latex = shown.to_latex(index=False, caption=unnumbered, escape=True).replace("±", r"$\pm$")
    stem.with_suffix(".tex").write_text(latex)
    return [stem.with_suffix(s) for s in (".csv", ".md", ".html", ".tex")]
