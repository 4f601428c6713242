"""Which differences between runs are real: the method pairs the paper discusses and the
neighbouring ratios of the grid, each tested on the same items per benchmark and for the
averages (``results/tables/significance``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mlan.benchmarks import CELL_LABELS
from mlan.results.intervals import AVERAGE_PARTS
from mlan.results.scores import BENCHMARKS, METHODS
from mlan.results.uncertainty import Outcomes, paired

COLUMNS = [
    "model", "comparison", "a_key", "b_key", "a", "b", "benchmark", "a_score", "b_score", "difference", "ci_low",
    "ci_high", "p_bootstrap", "p_mcnemar", "items", "significant",
]  # fmt: skip
ALPHA = 0.05


@dataclass(frozen=True)
class RunFacts:
    """A run as the significance table names it (the rule passes these, one per run)."""

    model: str
    name: str  # the run's name: pretrain or {mix}_seed{seed}
    methods: tuple[str, ...]  # run_methods: ("pretrain",), its methods, or ("",)
    percent: float | None
    seed: int | None
    ratio: bool  # a point of the model's ratio grid

    def label(self) -> str:
        names = [METHODS.get(m, m) for m in self.methods if m]
        return " / ".join(names) if names else f"{self.percent:g}% language"


def method_pairs(runs: list[RunFacts], comparisons: list[list[str]]) -> tuple[list[tuple], list[str]]:
    """(comparison, A run, B run) for each configured method pair of each model, seed by
    seed (a B with one run, Pretrain, meets every seed of A); a pair the grid cannot make is
    named in the notes, never left out without a word."""
    found, notes = [], []
    for model in sorted({run.model for run in runs}):
        of_model = [run for run in runs if run.model == model]
        for a_method, b_method in comparisons:
            a_runs = [run for run in of_model if a_method in run.methods]
            b_runs = [run for run in of_model if b_method in run.methods]
            name = f"{METHODS.get(a_method, a_method)} vs {METHODS.get(b_method, b_method)}"
            absent = [m for m, r in ((a_method, a_runs), (b_method, b_runs)) if not r]
            if absent:
                notes.append(f"{model}: {name} not compared: no {' and no '.join(absent)} run in this grid")
                continue
            if a_runs == b_runs:
                notes.append(f"{model}: {name} not compared: both methods train on the same run")
                continue
            for a in a_runs:
                same_seed = [b for b in b_runs if b.seed == a.seed]
                b = same_seed[0] if same_seed else (b_runs[0] if len(b_runs) == 1 else None)
                if b is None:
                    notes.append(f"{model}: {name} not compared at seed {a.seed}: no {b_method} run of that seed")
                    continue
                found.append((name, a_method, b_method, a, b))
    return found, notes


def ratio_pairs(runs: list[RunFacts]) -> list[tuple]:
    """Each ratio against the next lower one of the same model and seed (keys: the percents)."""
    found = []
    grid = sorted((run for run in runs if run.ratio), key=lambda r: (r.model, r.seed, r.percent))
    for lower, higher in zip(grid, grid[1:], strict=False):
        if (lower.model, lower.seed) == (higher.model, higher.seed):
            name = f"{higher.percent:g}% vs {lower.percent:g}% language"
            found.append((name, f"{higher.percent:g}", f"{lower.percent:g}", higher, lower))
    return found


def compare(
    name: str,
    a_key: str,
    b_key: str,
    a: RunFacts,
    b: RunFacts,
    outcomes: dict[str, dict[str, Outcomes]],
    resamples: int,
    seed: int,
) -> list[dict]:
    """A minus B on the nine benchmarks and the three averages (keys: the methods or the
    percents compared)."""
    a_found, b_found = outcomes[f"{a.model}/{a.name}"], outcomes[f"{b.model}/{b.name}"]
    names = (f"{a.model}/{a.name}", f"{b.model}/{b.name}")
    parts = {benchmark: [benchmark] for benchmark in BENCHMARKS} | AVERAGE_PARTS
    rows = []
    for cell, benchmarks in parts.items():
        result = paired([a_found[x] for x in benchmarks], [b_found[x] for x in benchmarks], resamples, seed, names)
        p_value = result.p_mcnemar if result.p_mcnemar is not None else result.p_bootstrap
        rows.append(
            {"model": a.model, "comparison": name, "a_key": a_key, "b_key": b_key, "a": a.name, "b": b.name,
             "benchmark": cell, "a_score": result.a, "b_score": result.b, "difference": result.difference,
             "ci_low": result.low, "ci_high": result.high, "p_bootstrap": result.p_bootstrap,
             "p_mcnemar": result.p_mcnemar, "items": result.items, "significant": bool(p_value < ALPHA)}
        )  # fmt: skip
    return rows


def table(
    runs: list[RunFacts],
    outcomes: dict[str, dict[str, Outcomes]],
    comparisons: list[list[str]],
    resamples: int,
    seed: int,
) -> tuple[pd.DataFrame, list[str]]:
    pairs, notes = method_pairs(runs, comparisons)
    rows = [row for pair in pairs + ratio_pairs(runs) for row in compare(*pair, outcomes, resamples, seed)]
    return pd.DataFrame(rows, columns=COLUMNS), notes


def markdown(frame: pd.DataFrame, notes: list[str], resamples: int) -> str:
    lines = [
        "# Paired comparisons on the same items",
        "",
        f"A minus B in points, with its 95 % paired-bootstrap interval ({resamples} resamples of the items); "
        "p: exact McNemar for an accuracy benchmark, the paired bootstrap for POPE's F1, ScienceQA's mean "
        f"and the averages. * : p < {ALPHA} (no correction for the number of tests; docs/results.md).",
        "",
    ]
    lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    if frame.empty:
        return "\n".join(lines + ["No pair of runs to compare in this grid.", ""])
    for (model, name, a, b), part in frame.groupby(["model", "comparison", "a", "b"], sort=False):
        lines += [f"## {model}: {name} ({a} vs {b})", "", "| benchmark | A | B | A - B | 95 % interval | p |"]
        lines.append("|---|---|---|---|---|---|")
        for _, row in part.iterrows():
            p_value = row["p_mcnemar"] if pd.notna(row["p_mcnemar"]) else row["p_bootstrap"]
            lines.append(
                f"| {CELL_LABELS[row['benchmark']]} | {row['a_score']:.1f} | {row['b_score']:.1f} | "
                f"{row['difference']:+.1f}{' *' if row['significant'] else ''} | "
                f"[{row['ci_low']:+.1f}, {row['ci_high']:+.1f}] | {p_value:.3g} |"
            )
        lines.append("")
    return "\n".join(lines)
