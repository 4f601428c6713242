"""Evaluation throughput: examples/s of the project's evaluation path
(``mlan.evaluation.run.evaluate``: lm-eval for language rows, lmms-eval with
``PreparedLlava`` for image rows) at batch size 1 against the configured batch
(``config/paper.yaml: evaluation.batch_size``), on one language benchmark (BoolQ) and one
vision benchmark (POPE), with the paper's protocol (greedy, at most 20 new tokens).

The model is the training benchmark's random-init 1.1B LLaVA (``benchmarks/world.py``);
items are the toy copies' rows, rendered by the project's prompt builder. The time of a
benchmark is the harness call's (task set-up and generation; the model is already loaded),
after one small warm-up evaluation.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks import report, world

GOAL = 5.0
BENCHMARKS = {"boolq": "lm_eval", "pope": "lmms_eval"}


def prompt_file(work: Path, benchmark: str, items: int, protocol) -> Path:
    from mlan.data.records import read_records
    from mlan.data.templates import Instructions
    from mlan.evaluation.prompts import eval_items

    records = read_records(world.sources(work, (benchmark,), items)[benchmark])
    instructions = Instructions.load(world.ROOT / "config" / "instructions.yaml")
    path = work / "prompts" / f"{benchmark}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for item in eval_items(benchmark, records, instructions, protocol)[:items]:
            handle.write(json.dumps(item) + "\n")
    return path


def timed_evaluation(base: Path, prompts: Path, work: Path, protocol) -> tuple[float, int]:
    """(seconds in the harness, items) for one benchmark at the protocol's batch size."""
    from mlan.evaluation import run

    spent = []

    def timing(function):
        def wrapped(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - start)

        return wrapped

    from mlan.benchmarks import scoring

    originals = run.run_lm_eval, run.run_lmms_eval
    run.run_lm_eval, run.run_lmms_eval = (timing(function) for function in originals)
    try:
        folder = work / f"eval-{prompts.parent.name}-{prompts.stem}-bs{protocol.batch_size}"
        run.evaluate(
            base,
            [prompts],
            work / "images",
            folder,
            folder / "work",
            protocol,
            {"run": "bench"},
            scoring([prompts.stem]),
        )
    finally:
        run.run_lm_eval, run.run_lmms_eval = originals
    return sum(spent), sum(1 for _ in open(prompts, encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    from mlan.evaluation.protocol import Protocol

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON of figures")
    parser.add_argument("--doc", type=Path, help="append a row to this docs/benchmarks.md")
    parser.add_argument("--work", type=Path, help="scratch folder (shared with train_throughput); default: temporary")
    parser.add_argument("--items", type=int, default=128, help="items per benchmark")
    parser.add_argument("--tiny", action="store_true", help="tiny model shapes (a CPU check of the script)")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="mlan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    base = world.base_model(work, tiny=args.tiny)
    settings = {k: v for k, v in world.paper_config()["evaluation"].items() if k != "benchmarks"}
    configured = Protocol(**settings)
    prompts = {name: prompt_file(work, name, args.items, configured) for name in BENCHMARKS}

    for name, path in prompts.items():  # CUDA, kernels and harness imports warm up on 4 items each
        warm = work / "warmup" / f"{name}.jsonl"
        warm.parent.mkdir(exist_ok=True)
        warm.write_text("\n".join(path.read_text().splitlines()[:4]) + "\n")
        timed_evaluation(base, warm, work, configured)

    result = {"items": args.items, "configured_batch_size": configured.batch_size, "benchmarks": {}}
    for name, harness in BENCHMARKS.items():
        figures = {"harness": harness}
        for batch in (1, configured.batch_size):
            protocol = Protocol(**{**settings, "batch_size": batch})
            seconds, items = timed_evaluation(base, prompts[name], work, protocol)
            figures[f"bs{batch}"] = {"seconds": round(seconds, 2), "examples_per_second": round(items / seconds, 2)}
        speedup = figures[f"bs{configured.batch_size}"]["examples_per_second"] / figures["bs1"]["examples_per_second"]
        figures |= {"speedup": round(speedup, 2), "goal >= 5x": speedup >= GOAL}
        result["benchmarks"][name] = figures
    result = report.record(result)

    def cell(name):
        figures = result["benchmarks"][name]
        batched = figures[f"bs{configured.batch_size}"]["examples_per_second"]
        return f"{figures['bs1']['examples_per_second']} / {batched} ({figures['speedup']}x)"

    row = [result["date"], report.gpu_summary(result), f"`{result['command']}`", cell("boolq"), cell("pope")]
    report.write(result, args.out, args.doc, "eval_throughput", row)


if __name__ == "__main__":
    main()
