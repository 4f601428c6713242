"""What each training run cost, measured: from its ``train_summary.json`` (wall time, world
size, samples and tokens seen, padding, peak memory) and its mixture's token count; and the
paper's efficiency claims recomputed in measured device-hours next to its token-based ones
(``results/tables/cost``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mlan.errors import MlanError
from mlan.names import Run
from mlan.results.scores import METHODS

COLUMNS = [
    "model", "run", "stage", "methods", "instances", "text_tokens", "image_tokens", "tokens_seen", "padding_fraction",
    "wall_time_s", "world_size", "device", "device_hours", "samples_per_s", "tokens_per_s", "peak_memory_gb",
]  # fmt: skip
# the paper's efficiency claims (Sec. 3.1): the first method's training is this many times cheaper
EFFICIENCY = [("llava", "mlan", 4.6), ("cambrian", "mlan", 3.9), ("llava", "mlan_v", 3.1), ("cambrian", "mlan_v", 2.6)]
SUMMARY_KEYS = ("instances", "samples_seen", "tokens_seen", "padding_fraction", "wall_time_seconds", "world_size")


def read_summary(folder: str | Path) -> dict:
    path = Path(folder) / "train_summary.json"
    if not path.is_file():
        raise MlanError(f"'{path}' is missing: the model folder was not written by a finished training")
    summary = json.loads(path.read_text())
    absent = [key for key in SUMMARY_KEYS if key not in summary]
    if absent:
        raise MlanError(f"'{path}' lacks {', '.join(absent)}")
    if summary["wall_time_seconds"] <= 0:
        raise MlanError(f"'{path}': wall_time_seconds {summary['wall_time_seconds']} (no time measured)")
    return summary


def cost_row(model: str, run: str, methods: list[str], summary: dict, tokens: dict | None) -> dict:
    """``tokens``: the run's token count file (None for pretraining: Table 2 counts only
    the instruction data)."""
    seconds = summary["wall_time_seconds"]
    return {
        "model": model,
        "run": run,
        "stage": summary.get("stage", ""),
        "methods": " / ".join(METHODS.get(m, m) for m in methods if m),
        "instances": summary["instances"],
        "text_tokens": tokens["text_tokens"] if tokens else None,
        "image_tokens": tokens["image_tokens"] if tokens else None,
        "tokens_seen": summary["tokens_seen"],
        "padding_fraction": summary["padding_fraction"],
        "wall_time_s": seconds,
        "world_size": summary["world_size"],
        "device": summary.get("device", ""),
        "device_hours": summary["world_size"] * seconds / 3600,
        "samples_per_s": summary["samples_seen"] / seconds,
        "tokens_per_s": summary["tokens_seen"] / seconds,
        "peak_memory_gb": summary.get("peak_memory_bytes", 0) / 1e9,
    }


def cost_table(
    folders: list[str], models: list[str], runs: list[str], methods: list[list[str]], token_files: list[str]
) -> tuple[pd.DataFrame, dict[str, dict[str, list[str]]]]:
    """One row per training run (its model folder, model, run name and methods), with its
    mixture's tokens from ``token_files``; and per model, run name -> methods."""
    tokens = {}
    for path in token_files:
        counted = json.loads(Path(path).read_text())
        run = Run.of(counted["model"], counted["percent"], counted["budget"], counted["seed"])
        tokens[(run.model, run.name)] = counted
    rows, by_model = [], {}
    for folder, model, run, names in zip(folders, models, runs, methods, strict=True):
        if run != "pretrain" and (model, run) not in tokens:
            raise MlanError(f"no token count file of {model}/{run} was given")
        rows.append(
            cost_row(model, run, names, read_summary(folder), None if run == "pretrain" else tokens[(model, run)])
        )
        by_model.setdefault(model, {})[run] = list(names)
    return pd.DataFrame(rows, columns=COLUMNS), by_model


def efficiency(frame: pd.DataFrame, methods: dict[str, dict[str, list[str]]]) -> pd.DataFrame:
    """Per model and claim: the paper's factor, the token-based one (Table 2's measure) and the
    measured one (finetuning device-hours, mean over seeds). ``methods``: per model, run name
    -> its methods. A claim whose methods the grid lacks is kept, marked missing."""
    rows = []
    finetune = frame[frame["stage"] == "finetune"]
    for model, part in finetune.groupby("model", sort=False):
        by_method = {}
        for _, row in part.iterrows():
            for method in methods[model].get(row["run"], []):
                by_method.setdefault(method, []).append(row)
        for costly, cheap, printed in EFFICIENCY:
            have = costly in by_method and cheap in by_method

            def mean(method, column, have=have, by_method=by_method):
                return sum(r[column] for r in by_method[method]) / len(by_method[method]) if have else float("nan")

            tokens = {m: mean(m, "text_tokens") + mean(m, "image_tokens") for m in (costly, cheap)}
            rows.append({
                "model": model, "claim": f"{METHODS[cheap]} vs {METHODS[costly]}", "paper": printed,
                "tokens": tokens[costly] / tokens[cheap] if have else float("nan"),
                "device_hours": mean(costly, "device_hours") / mean(cheap, "device_hours") if have else float("nan"),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "claim", "paper", "tokens", "device_hours"])


def markdown(frame: pd.DataFrame, claims: pd.DataFrame) -> str:
    lines = [
        "# Measured training cost",
        "",
        "From each run's train_summary.json. Device-hours: world size x wall time (GPU-hours on GPUs, "
        "CPU-process-hours on a CPU). Tokens seen: real tokens (image tokens included) of every sample the "
        "run trained on; padding: the share of padding in the rows it computed. Text and image tokens: the "
        "mixture's count (Table 2); pretraining has none (the paper counts the instruction data only).",
        "",
        "| model | run | methods | device | world | wall (s) | device-h | samples/s | tokens/s | padding | "
        "peak GB | text tokens | image tokens |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, row in frame.iterrows():
        text = "" if pd.isna(row["text_tokens"]) else f"{row['text_tokens']:,.0f}"
        image = "" if pd.isna(row["image_tokens"]) else f"{row['image_tokens']:,.0f}"
        lines.append(
            f"| {row['model']} | {row['run']} | {row['methods']} | {row['device']} | {row['world_size']} | "
            f"{row['wall_time_s']:.1f} | {row['device_hours']:.4g} | {row['samples_per_s']:.2f} | "
            f"{row['tokens_per_s']:,.0f} | {row['padding_fraction']:.1%} | {row['peak_memory_gb']:.2f} | "
            f"{text} | {image} |"
        )
    lines += [
        "",
        "## The paper's efficiency claims, in tokens and in measured device-hours",
        "",
        "Finetuning only (pretraining is shared by every method). A factor: the first method's cost over the second's.",
        "",
        "| model | claim | paper | from tokens | measured device-hours |",
        "|---|---|---|---|---|",
    ]
    if claims.empty:
        lines.append("| | no finetuned run | | | |")
    for _, row in claims.iterrows():
        values = ["missing" if pd.isna(v) else f"{v:.1f}x" for v in (row["tokens"], row["device_hours"])]
        lines.append(f"| {row['model']} | {row['claim']} | {row['paper']}x | " + " | ".join(values) + " |")
    lines.append("")
    return "\n".join(lines)
