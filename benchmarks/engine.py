"""The paper's engine on one GPU, through the pipeline's launcher: DeepSpeed ZeRO-3
finetuning and ZeRO-2 projector pretraining, a SIGTERM and the resume, and evaluation at
batch 1 against the configured batch.

Every training arm runs ``python -m mlan.training.launch`` exactly as the finetune and
pretrain rules do (on a GPU machine it starts ``torchrun`` with one process per visible GPU),
on the training benchmark's 1.1B LLaVA and mixture (``benchmarks/world.py``):

- ``zero3``: ``config/paper.yaml``'s ``training.finetune`` as it is (ZeRO-3, bf16,
  ``pack_tokens``, ``group_by_modality``, ``dataloader_workers``, gradient checkpointing);
- ``ours``: the same without DeepSpeed (the training benchmark's ``ours`` arm);
- ``zero3_resumed``: ``zero3`` again, sent SIGTERM (to the whole process group, as Slurm
  does) after a checkpoint, then rerun: it must resume and end on ``zero3``'s weights;
- ``pretrain_zero2``: ``training.pretrain`` as it is (ZeRO-2), a few steps on the captions.

The finetuned ``zero3`` model is then evaluated on BoolQ (lm-eval) and POPE (lmms-eval) at
batch 1 and at ``evaluation.batch_size``, in bf16: the share of identical predictions and
examples/s of each. ``--tiny``: the test suite's shapes, to check the script on a CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import eval_throughput, report, world
from benchmarks.train_throughput import OURS, figures

INTERRUPTED = 143  # mlan.training.train.INTERRUPTED_EXIT_CODE


def command(stage: str, base: Path, data: Path, work: Path, output: Path, settings: dict) -> list[str]:
    """The training rules' command line (rules/models.smk), on this machine's GPUs."""
    line = [sys.executable, "-m", "mlan.training.launch", "--stage", stage, "--base", str(base)]
    line += ["--data", str(data), "--images", str(work / "images"), "--output", str(output)]
    return line + ["--checkpoints", f"{output}.ckpt", "--settings", json.dumps(settings)]


def start(line: list[str], log: Path) -> subprocess.Popen:
    handle = open(log, "a", encoding="utf-8")  # noqa: SIM115 (the child holds it)
    return subprocess.Popen(line, cwd=world.ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def finish(process: subprocess.Popen, log: Path, name: str, expected: int = 0) -> None:
    if process.wait() != expected:
        raise SystemExit(f"[{name}] exit {process.returncode}, expected {expected}:\n{log.read_text()[-6000:]}")


def train(name: str, stage: str, base: Path, data: Path, work: Path, settings: dict) -> tuple[list[dict], dict]:
    output = work / f"run-{name}"
    subprocess.run(["rm", "-rf", str(output), f"{output}.ckpt", f"{output}.log"], check=True)
    print(f"[{name}] {json.dumps(settings)}", flush=True)
    log = Path(f"{output}.log")
    finish(start(command(stage, base, data, work, output, settings), log), log, name)
    return read_run(output)


def read_run(output: Path) -> tuple[list[dict], dict]:
    steps = [json.loads(line) for line in (output / "train_log.jsonl").read_text().splitlines()]
    return steps, json.loads((output / "train_summary.json").read_text())


def interrupted(base: Path, data: Path, work: Path, settings: dict, after_step: int) -> dict:
    """SIGTERM once a checkpoint exists and training is past ``after_step``; rerun to the end."""
    output = work / "run-zero3_resumed"
    subprocess.run(["rm", "-rf", str(output), f"{output}.ckpt", f"{output}.log"], check=True)
    log, line = Path(f"{output}.log"), command("finetune", base, data, work, output, settings)
    process = start(line, log)
    steps = Path(f"{output}.ckpt") / "train_log.jsonl"
    while process.poll() is None and not (steps.exists() and steps.read_text().count("\n") > after_step):
        time.sleep(0.2)
    sent_at = steps.read_text().count("\n") if steps.exists() else 0
    os.killpg(process.pid, signal.SIGTERM)
    finish(process, log, "zero3_resumed (first part)", INTERRUPTED)
    finish(start(line, log), log, "zero3_resumed (rerun)")
    text = log.read_text()
    resumed_from = text.rsplit("resume from: ", 1)[-1].split("\n", 1)[0]
    logged = [json.loads(entry)["step"] for entry in (output / "train_log.jsonl").read_text().splitlines()]
    return {
        "sigterm_after_step": sent_at,
        "resumed_from": resumed_from,
        "steps_logged_once": logged == sorted(set(logged)),
    }


def weight_difference(first: Path, second: Path) -> dict:
    from safetensors.torch import load_file

    a, b = load_file(str(first / "model.safetensors")), load_file(str(second / "model.safetensors"))
    if a.keys() != b.keys():
        return {"same_tensor_names": False}
    differing = [name for name in a if not a[name].equal(b[name])]
    largest = max((float((a[n].float() - b[n].float()).abs().max()) for n in differing), default=0.0)
    return {"same_tensor_names": True, "tensors": len(a), "bitwise_equal": not differing,
            "differing_tensors": len(differing), "max_abs_difference": largest}  # fmt: skip


def evaluation(model: Path, work: Path, items: int) -> dict:
    """Batch 1 against the configured batch on one benchmark of each harness."""
    from mlan.evaluation.protocol import Protocol

    settings = {k: v for k, v in world.paper_config()["evaluation"].items() if k != "benchmarks"}
    configured = settings["batch_size"]
    found = {"configured_batch_size": configured}
    for name, harness in eval_throughput.BENCHMARKS.items():
        prompts = eval_throughput.prompt_file(work, name, items, Protocol(**settings))
        predictions, rates = {}, {}
        for batch in (1, configured):
            protocol = Protocol(**{**settings, "batch_size": batch})
            seconds, count = eval_throughput.timed_evaluation(model, prompts, work, protocol)
            folder = work / f"eval-{prompts.parent.name}-{prompts.stem}-bs{batch}"
            rows = [json.loads(line) for line in (folder / f"{name}.predictions.jsonl").read_text().splitlines()]
            predictions[batch] = {row["id"]: row["prediction"] for row in rows}
            rates[f"bs{batch}_examples_per_second"] = round(count / seconds, 2)
        same = sum(predictions[1][i] == predictions[configured].get(i) for i in predictions[1])
        found[name] = {"harness": harness, "items": len(predictions[1]), **rates,
                       "identical_predictions": round(same / len(predictions[1]), 4)}  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON of figures")
    parser.add_argument("--doc", type=Path, help="append a row to this docs/benchmarks.md")
    parser.add_argument("--work", type=Path, help="scratch folder (shared with the other benchmarks)")
    parser.add_argument("--steps", type=int, default=8, help="finetuning optimizer steps per arm (x 64 instances)")
    parser.add_argument("--pretrain-steps", type=int, default=3, help="pretraining steps (x 256 captions)")
    parser.add_argument("--items", type=int, default=64, help="evaluation items per benchmark")
    parser.add_argument("--passage-words", default="40:280", help="words added to each language instance (a:b)")
    parser.add_argument("--tiny", action="store_true", help="tiny model shapes (a CPU check of the script)")
    parser.add_argument("--no-compile", action="store_true", help="the ours arm without compile_layers")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="mlan-engine-"))
    work.mkdir(parents=True, exist_ok=True)
    paper = world.paper_config()
    recipe = {**paper["training"]["finetune"], "epochs": 1, "save_steps": max(args.steps // 2, 1)}
    words = tuple(int(w) for w in args.passage_words.split(":"))
    percent = paper["models"]["llama2"]["methods"]["mlan_v"]
    data = world.mixture(work, args.steps * recipe["global_batch_size"], percent, words)
    base = world.base_model(work, tiny=args.tiny)
    lm_parameters, peak = world.lm_parameters(base), report.peak_tflops(report.machine().get("gpu"))
    result = {"lm_parameters": lm_parameters, "peak_tflops": peak, "steps": args.steps, "arms": {}}

    ours = {**recipe, "deepspeed": None, **({} if args.no_compile else OURS)}
    for name, settings in (("zero3", recipe), ("ours", ours)):
        steps, summary = train(name, "finetune", base, data, work, settings)
        measured = figures(steps, summary, 1, lm_parameters, peak)
        result["arms"][name] = {"settings": settings, "deepspeed": summary["deepspeed"],
                                "world_size": summary["world_size"], **measured}  # fmt: skip
    resume = interrupted(base, data, work, recipe, recipe["save_steps"])
    resume |= weight_difference(work / "run-zero3", work / "run-zero3_resumed")
    result["resume"] = resume

    captions = world.sources(
        work, ("llava_pretrain",), args.pretrain_steps * paper["training"]["pretrain"]["global_batch_size"]
    )
    pretrain = {**paper["training"]["pretrain"], "epochs": 1, "save_steps": 100000}
    steps, summary = train("pretrain_zero2", "pretrain", base, captions["llava_pretrain"], work, pretrain)
    result["arms"]["pretrain_zero2"] = {"settings": pretrain, "deepspeed": summary["deepspeed"],
                                        **figures(steps, summary, 1, lm_parameters, peak)}  # fmt: skip
    result["evaluation"] = evaluation(work / "run-zero3", work, args.items)
    result = report.record(result)

    zero3, plain = result["arms"]["zero3"], result["arms"]["ours"]
    row = [
        result["date"],
        report.gpu_summary(result),
        f"`{result['command']}`",
        f"{zero3['real_tokens_per_second']:,.0f} / {plain['real_tokens_per_second']:,.0f}",
        " / ".join("-" if a["mfu"] is None else f"{100 * a['mfu']:.1f} %" for a in (zero3, plain)),
        f"{zero3['peak_memory_gib']:.1f} / {plain['peak_memory_gib']:.1f} GiB",
        f"{result['arms']['pretrain_zero2']['real_tokens_per_second']:,.0f}",
        "bitwise" if resume.get("bitwise_equal") else f"max diff {resume.get('max_abs_difference')}",
        " / ".join(
            f"{100 * result['evaluation'][b]['identical_predictions']:.0f} %" for b in eval_throughput.BENCHMARKS
        ),
    ]
    report.write(result, args.out, args.doc, "engine", row)


if __name__ == "__main__":
    main()
