"""The authors' released checkpoints, evaluated here, against the Table 1 cells they were
published as (``released.checkpoints.<name>.compare_to``): each benchmark's score with its
95 % interval over items, the published number, and whether the interval holds it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mlan.benchmarks import AVERAGE_LABELS, AVERAGES, CELL_LABELS
from mlan.errors import MlanError
from mlan.results.intervals import cells
from mlan.results.scores import BENCHMARKS, HEADLINE, METHODS

COLUMNS = ["checkpoint", "protocol", "model", "method", "benchmark", "score", "ci_low", "ci_high", "items"]


def released_rows(outcomes, results: list[str | Path], facts: dict, resamples: int, seed: int) -> list[dict]:
    """A checkpoint's nine benchmarks and three averages under one protocol, each with its
    interval; the stored scores must be what the predictions give."""
    stored = {}
    for path in results:
        result = json.loads(Path(path).read_text())
        expected = HEADLINE.get(result["benchmark"], "accuracy")
        if result["metric"] != expected:
            raise MlanError(f"{path}: headline metric {result['metric']}, expected {expected}")
        stored[result["benchmark"]] = result["score"]
    rows = []
    for cell in cells(outcomes, resamples, seed):
        if cell["benchmark"] in stored and abs(stored[cell["benchmark"]] - cell["score"]) > 1e-6:
            raise MlanError(f"{facts['checkpoint']}: {cell['benchmark']}'s predictions do not give its stored score")
        rows.append(facts | cell)
    return rows


def read_released(paths: list[str | Path]) -> pd.DataFrame:
    frames = [pd.read_csv(path, dtype={"checkpoint": str, "protocol": str}) for path in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def compare_released(released: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Every (checkpoint, protocol, cell) beside its published Table 1 number. A cell the
    paper lacks is an error (the config names a setting Table 1 does not have)."""
    table1 = published[published["source"] == "table1"] if "source" in published else published
    rows = []
    for _, row in released.iterrows():
        mask = (table1["model"] == row["model"]) & (table1["method"] == row["method"])
        if row["benchmark"] in BENCHMARKS:
            metric = HEADLINE.get(row["benchmark"], "accuracy")
            found = table1[mask & (table1["benchmark"] == row["benchmark"]) & (table1["metric"] == metric)]
            if found.empty:
                raise MlanError(
                    f"released checkpoint {row['checkpoint']}: Table 1 has no {row['model']} {row['method']} "
                    f"{row['benchmark']} cell (released.checkpoints.{row['checkpoint']}.compare_to)"
                )
            value = float(found["score"].iloc[0])
        else:
            parts = {average: list(names) for average, names in AVERAGES.items()}
            picked = table1[mask & table1["benchmark"].isin(parts[row["benchmark"]])]
            value = float(picked[picked["metric"] == picked["benchmark"].map(lambda b: HEADLINE.get(b, "accuracy"))]
                          ["score"].mean())  # fmt: skip
        rows.append(row.to_dict() | {"published": value, "delta": row["score"] - value,
                                     "holds": row["ci_low"] <= value <= row["ci_high"]})  # fmt: skip
    return pd.DataFrame(rows)


def released_markdown(table: pd.DataFrame, heading: str = "#") -> str:
    """One section per checkpoint: a row per cell, a column pair per protocol."""
    lines = [f"{heading} The authors' released checkpoints", ""]
    if table.empty:
        return "\n".join(lines + ["No released checkpoint in this config (`released:`).", ""])
    benchmark_rows = table[table["benchmark"].isin(BENCHMARKS)]
    lines += [
        "Each converted checkpoint evaluated here under each protocol, beside the Table 1 cell it was "
        "published as; the interval is the 95 % percentile bootstrap over the benchmark's items "
        "(averages: over all their items), and `in` marks a published number inside it. "
        f"Published cells: {len(benchmark_rows.groupby(['checkpoint', 'benchmark']))}; "
        f"inside the interval: {int(benchmark_rows['holds'].sum())} of {len(benchmark_rows)} (checkpoint, protocol, "
        "benchmark) rows.",
        "",
    ]
    protocols = list(dict.fromkeys(table["protocol"]))
    for checkpoint, part in table.groupby("checkpoint", sort=False):
        first = part.iloc[0]
        lines += [
            f"{heading}# {checkpoint} as {first['model']} {METHODS.get(first['method'], first['method'])}",
            "",
            "| cell | published | " + " | ".join(f"{p} (95 % interval) | in" for p in protocols) + " |",
            "|---|---|" + "---|---|" * len(protocols),
        ]
        for cell in BENCHMARKS + list(AVERAGE_LABELS):
            rows = part[part["benchmark"] == cell].set_index("protocol")
            if rows.empty:
                continue
            values = []
            for protocol in protocols:
                if protocol not in rows.index:
                    values += ["missing", ""]
                    continue
                row = rows.loc[protocol]
                values += [
                    f"{row['score']:.1f} ({row['ci_low']:.1f}-{row['ci_high']:.1f})",
                    "yes" if row["holds"] else "no",
                ]
            label = CELL_LABELS[cell]
            lines.append(f"| {label} | {rows['published'].iloc[0]:.1f} | " + " | ".join(values) + " |")
        lines.append("")
    return "\n".join(lines)
