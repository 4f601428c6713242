"""Evaluate one trained model on every benchmark and write, per benchmark,
``{benchmark}.json`` (score, metric, n, extraction failures, protocol, versions) and
``{benchmark}.predictions.jsonl`` (one line per item)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from mlan.atomic import atomic_open
from mlan.data.mixture import write_json
from mlan.errors import MlanError
from mlan.evaluation.harness import materialize, read_benchmarks, run_lm_eval, run_lmms_eval, tasks_by_harness
from mlan.evaluation.metrics import score
from mlan.evaluation.protocol import Protocol
from mlan.evaluation.scoring import score_item
from mlan.provenance import provenance


def evaluate(
    model_dir: Path,
    prompt_files: list[Path],
    images: Path,
    output_dir: Path,
    work_dir: Path,
    protocol: Protocol,
    labels: dict,
    scoring: dict[str, dict[str, str]],
) -> dict[str, float]:
    from transformers import AutoProcessor

    from mlan.training.model import load_model

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model(model_dir).to(device)
    if device == "cuda":
        model = model.to(getattr(torch, protocol.precision))
    processor = AutoProcessor.from_pretrained(model_dir)
    benchmarks = read_benchmarks(prompt_files)
    by_harness = tasks_by_harness(benchmarks)
    outputs: dict = {}
    for harness, tasks in by_harness.items():
        if not tasks:
            write_json({"harness": harness, "results": None, "tasks": []}, output_dir / f"{harness}.results.json")
            continue
        folder = work_dir / harness
        materialize(harness, folder, tasks, protocol, images)
        if harness == "lm_eval":
            found, results = run_lm_eval(model, processor.tokenizer, folder, list(tasks), protocol, device)
        else:
            found, results = run_lmms_eval(model, processor, folder, list(tasks), protocol, device)
        outputs.update(found)
        write_json(
            {"harness": harness, "results": results, "tasks": list(tasks)}, output_dir / f"{harness}.results.json"
        )

    headline = {}
    for benchmark, items in benchmarks.items():
        samples = []
        for item in items:
            if item["id"] not in outputs:
                raise MlanError(f"{benchmark}: the harness returned no output for item '{item['id']}'")
            samples.append(score_item(item, outputs[item["id"]], protocol))
        if benchmark not in scoring:
            raise MlanError(f"{benchmark}: no scoring given for it (mlan.benchmarks.scoring)")
        metric, value, metrics = score(benchmark, samples, scoring[benchmark])
        result = {
            **labels,
            "benchmark": benchmark,
            "metric": metric,
            "score": value,
            "n": len(samples),
            "extraction_failures": sum(not s["readable"] for s in samples),
            "metrics": metrics,
            "protocol": asdict(protocol),
            "provenance": provenance(),
        }
        # predictions first: a score file never exists without the predictions behind it
        with atomic_open(output_dir / f"{benchmark}.predictions.jsonl") as handle:
            for sample in samples:
                handle.write(json.dumps(sample, ensure_ascii=False) + "\n")
        write_json(result, output_dir / f"{benchmark}.json")
        headline[benchmark] = value
    return headline
