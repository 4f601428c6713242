"""Figures 5-8 of the paper with matplotlib, each as .png and .pdf, drawn from exactly the
runs given (see mlan.results.aggregate)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mlan.benchmarks import AVERAGE_LABELS  # noqa: E402
from mlan.results.aggregate import method_summary, ratio_summary, scaling_summary  # noqa: E402
from mlan.results.scores import METHODS  # noqa: E402


def save(figure, stem: str | Path) -> list[Path]:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    figure.savefig(paths[0], dpi=150, bbox_inches="tight", metadata={"Software": None})
    figure.savefig(paths[1], bbox_inches="tight", metadata={"CreationDate": None, "Producer": None})
    plt.close(figure)
    return paths


def figure5(scores: pd.DataFrame, stem, intervals: pd.DataFrame | None = None) -> list[Path]:
    """Average language (left) and vision (right) scores per method; Pretrain dashed. Error
    bars: the seeds' standard deviation, or with ``intervals`` half the items' 95 % interval."""
    summary = method_summary(scores, intervals)
    models = list(dict.fromkeys(summary["model"]))
    methods = [m for m in dict.fromkeys(summary["method"]) if m != "pretrain"]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    width = 0.8 / max(len(methods), 1)
    for axis, column in zip(axes, ("language_avg", "vision_avg"), strict=True):
        for k, method in enumerate(methods):
            part = summary[summary["method"] == method].set_index("model").reindex(models)
            errors = part[f"{column}_std"] if part[f"{column}_std"].any() else None
            axis.bar(np.arange(len(models)) + (k - (len(methods) - 1) / 2) * width, part[column], width,
                     yerr=errors, label=METHODS.get(method, method), capsize=2)  # fmt: skip
        for position, model in enumerate(models):
            base = summary[(summary["model"] == model) & (summary["method"] == "pretrain")]
            if not base.empty:
                axis.hlines(base.iloc[0][column], position - 0.45, position + 0.45, colors="red", linestyles="dashed",
                            label="Pretrain" if position == 0 else None)  # fmt: skip
        axis.set_xticks(range(len(models)), models)
        axis.set_title(AVERAGE_LABELS[column])
        axis.set_ylabel("Average score")
    axes[1].tick_params(labelleft=True)
    axes[1].legend(fontsize=8)
    return save(figure, stem)


def _average_lines(summary: pd.DataFrame, x: str, xlabel: str, stem) -> list[Path]:
    """Language, vision and overall averages against ``x``, one set of lines per model."""
    figure, axis = plt.subplots(figsize=(6, 4))
    for model, part in summary.groupby("model", sort=False):
        prefix = f"{model} " if summary["model"].nunique() > 1 else ""
        for column, label in AVERAGE_LABELS.items():
            errors = part[f"{column}_std"] if part[f"{column}_std"].any() else None
            axis.errorbar(part[x], part[column], yerr=errors, marker="o", capsize=2, label=prefix + label)
    axis.set_xlabel(xlabel)
    axis.set_ylabel("Average score")
    axis.legend(fontsize=8)
    return save(figure, stem)


def figure6(scores: pd.DataFrame, stem, intervals: pd.DataFrame | None = None) -> list[Path]:
    """Average scores versus % language data (full budget)."""
    return _average_lines(ratio_summary(scores, intervals), "percent", "% language data", stem)


def figure7(scores: pd.DataFrame, full_budget: int, stem, intervals: pd.DataFrame | None = None) -> list[Path]:
    """Average scores versus the share of the data budget (language-only); 0% = Pretrain."""
    summary = scaling_summary(scores, full_budget, intervals)
    return _average_lines(summary, "share", "% of the data budget (language-only)", stem)


def figure8(diversity: dict, stem) -> list[Path]:
    """Distributions of question-pair cosine similarity, means and z-test stars."""
    figure, axis = plt.subplots(figsize=(6, 4))
    for setting, values in diversity["similarities"].items():
        mean = diversity["settings"][setting]["mean"]
        _, _, bars = axis.hist(values, bins=50, alpha=0.5, density=True, label=f"{setting} (mean {mean:.3f})")
        axis.axvline(mean, linestyle="dashed", linewidth=1, color=bars[0].get_facecolor()[:3])
    lines = [f"{t['a']} vs {t['b']}: {t['stars']}" for t in diversity["z_tests"]]
    axis.text(0.02, 0.98, "\n".join(lines), transform=axis.transAxes, va="top", fontsize=7)
    axis.set_xlabel("Cosine similarity of a random question pair")
    axis.set_ylabel("Density")
    axis.legend(fontsize=7, loc="upper right")
    return save(figure, stem)
