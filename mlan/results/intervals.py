"""Each run's 95 % intervals: its nine benchmarks and the language, vision and overall
averages, bootstrapped over the items of their benchmarks (``results/tables/intervals``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlan.benchmarks import AVERAGES
from mlan.errors import MlanError
from mlan.results.scores import BENCHMARKS
from mlan.results.uncertainty import Outcomes, bootstrap, interval, point, read_outcomes

AVERAGE_PARTS = {average: list(parts) for average, parts in AVERAGES.items()}


def predictions_file(folder: str | Path, benchmark: str) -> Path:
    return Path(folder) / f"{benchmark}.predictions.jsonl"


def by_run(paths: list[str | Path]) -> dict[str, list[Path]]:
    """Predictions files grouped by their run folder (``results/eval/{model}/{run}/``), as
    ``{model}/{run}``."""
    found = {}
    for path in map(Path, paths):
        found.setdefault(f"{path.parent.parent.name}/{path.parent.name}", []).append(path)
    return found


def run_outcomes(paths: list[str | Path]) -> dict[str, Outcomes]:
    """A run's predictions files (``{benchmark}.predictions.jsonl``), by benchmark."""
    found = {}
    for path in map(Path, paths):
        benchmark = path.name.removesuffix(".predictions.jsonl")
        if benchmark == path.name:
            raise MlanError(f"'{path}' is not a predictions file ({{benchmark}}.predictions.jsonl)")
        found[benchmark] = read_outcomes(path, benchmark)
    return found


def benchmark_intervals(outcomes: dict[str, Outcomes], resamples: int, seed: int) -> dict[str, tuple[float, float]]:
    return {benchmark: interval(bootstrap(found, resamples, seed)) for benchmark, found in outcomes.items()}


def check_scores(outcomes: dict[str, Outcomes], scores: dict[str, float], where: str) -> None:
    """The predictions recompute the stored score (else the interval would be another score's)."""
    for benchmark, found in outcomes.items():
        if abs(point(found) - scores[benchmark]) > 1e-6:
            raise MlanError(
                f"{where}: {benchmark}'s predictions give {point(found):.4f}, its score file {scores[benchmark]:.4f}"
            )


def cells(outcomes: dict[str, Outcomes], resamples: int, seed: int) -> list[dict]:
    """The run's 12 cells: score, interval and items (an average needs all its benchmarks)."""
    missing = [b for b in BENCHMARKS if b not in outcomes]
    if missing:
        raise MlanError(f"no predictions of {', '.join(missing)}: the averages need all nine benchmarks")
    distributions = {b: bootstrap(outcomes[b], resamples, seed) for b in BENCHMARKS}
    rows = []
    for benchmark in BENCHMARKS:
        low, high = interval(distributions[benchmark])
        rows.append(
            {"benchmark": benchmark, "score": point(outcomes[benchmark]), "ci_low": low, "ci_high": high,
             "items": len(outcomes[benchmark])}
        )  # fmt: skip
    for average, parts in AVERAGE_PARTS.items():
        low, high = interval(np.mean([distributions[b] for b in parts], axis=0))
        rows.append(
            {"benchmark": average, "score": float(np.mean([point(outcomes[b]) for b in parts])), "ci_low": low,
             "ci_high": high, "items": sum(len(outcomes[b]) for b in parts)}
        )  # fmt: skip
    return rows


def markdown(frame, resamples: int) -> str:
    """One row per run: each cell as score +- half its 95 % interval; with several seeds, the
    seed spread beside the item uncertainty."""
    columns = list(BENCHMARKS) + list(AVERAGE_PARTS)
    frame = frame.assign(half_width=(frame["ci_high"] - frame["ci_low"]) / 2)
    lines = [
        "# Scores with 95 % intervals over items",
        "",
        f"Each cell: score +- half the percentile-bootstrap interval ({resamples} resamples of the benchmark's "
        "items; averages resample every benchmark they average). Exact bounds: intervals.csv.",
        "",
        "| model | run | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for (model, run, label), part in frame.groupby(["model", "run", "label"], sort=False):
        cells = part.set_index("benchmark")
        values = [f"{cells.loc[c, 'score']:.1f} +- {cells.loc[c, 'half_width']:.1f}" for c in columns]
        lines.append(f"| {model} | {label} ({run}) | " + " | ".join(values) + " |")
    spread = frame.groupby(["model", "label", "benchmark"], sort=False).agg(
        seeds=("seed", "nunique"),
        mean=("score", "mean"),
        seed_sd=("score", "std"),
        item_half_width=("half_width", "mean"),
    )
    several = spread[spread["seeds"] > 1].reset_index()
    lines.append("")
    if several.empty:
        lines += ["One seed per setting: no seed spread to report (the intervals are the items' uncertainty).", ""]
        return "\n".join(lines)
    lines += [
        "## Seed spread and item uncertainty",
        "",
        "| model | setting | benchmark | seeds | mean | seed sd | mean item half-width |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, row in several.iterrows():
        lines.append(
            f"| {row['model']} | {row['label']} | {row['benchmark']} | {row['seeds']} | {row['mean']:.1f} | "
            f"{row['seed_sd']:.2f} | {row['item_half_width']:.2f} |"
        )
    lines.append("")
    return "\n".join(lines)
