"""Finetuning throughput: the project's finetune path against a naive baseline, in one run,
on the same model, mixture and recipe.

Both arms run ``python -m mlan.training.train --stage finetune`` (the rule's command) on one GPU with
``config/paper.yaml``'s ``training.finetune`` settings: global batch 64 samples per optimizer
step, bf16 with fp32 master weights, AdamW, learning rate and schedule. On one
GPU, for both arms: no DeepSpeed (ZeRO shards nothing over one GPU) and no gradient
checkpointing (a 1.1B model fits without it). Then:

- baseline: the stock Trainer as the issue defines it: random sampling (no modality
  grouping), micro-batch 8 padded to its longest row, x 8 accumulation, SDPA attention,
  its own bf16 (autocast over fp32 parameters, which are the master weights), logits of
  every position;
- ours: the paper settings as they are (``group_by_modality``, ``pack_tokens``) and what
  ``mlan.training.train`` does: bf16 parameters with fp32 master weights in the optimizer
  (``mlan.training.master_weights``), logits of answer positions only (``mlan.training.answer_loss``), and
  ``compile_layers: true``, the setting for runs without DeepSpeed (``--no-compile``: off).

Figures over the optimizer steps after ``--warmup``: real (non-padding) tokens/s, samples/s,
MFU = 6 x LM parameters x real tokens/s / the GPU's dense bf16 peak; over the whole run:
padding fraction and peak GPU memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import report, world

GOALS = {"speedup": 4.0, "mfu": 0.35, "padding_fraction": 0.05}
ONE_GPU = {"deepspeed": None, "gradient_checkpointing": False, "epochs": 1, "save_steps": 100000}
BASELINE = {"master_weights": False, "group_by_modality": False}  # the Trainer's bf16: autocast
BASELINE |= {"pack_tokens": None, "max_per_device_batch_size": 8, "dataloader_workers": 0}
OURS = {"compile_layers": True}  # one GPU runs without DeepSpeed, so its layers can be compiled


def run_arm(name: str, base: Path, data: Path, work: Path, settings: dict) -> tuple[list[dict], dict]:
    output = work / f"run-{name}"
    command = [sys.executable, "-m", "mlan.training.train", "--stage", "finetune"]
    command += ["--base", str(base), "--data", str(data)]
    command += ["--images", str(work / "images"), "--output", str(output), "--checkpoints", str(output) + ".ckpt"]
    command += ["--settings", json.dumps(settings)]
    subprocess.run(["rm", "-rf", str(output), str(output) + ".ckpt"], check=True)
    print(f"[{name}] {json.dumps(settings)}", flush=True)
    done = subprocess.run(command, cwd=world.ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"[{name}] failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    steps = [json.loads(line) for line in (output / "train_log.jsonl").read_text().splitlines()]
    return steps, json.loads((output / "train_summary.json").read_text())


def figures(steps: list[dict], summary: dict, warmup: int, lm_parameters: int, peak: float | None) -> dict:
    start, end = steps[warmup - 1], steps[-1]
    seconds = end["elapsed_seconds"] - start["elapsed_seconds"]
    tokens = end["tokens_seen"] - start["tokens_seen"]
    rate = tokens / seconds
    return {
        "measured_steps": end["step"] - start["step"],
        "seconds": round(seconds, 3),
        "real_tokens_per_second": round(rate, 1),
        "samples_per_second": round((end["samples_seen"] - start["samples_seen"]) / seconds, 2),
        "mfu": round(6 * lm_parameters * rate / (peak * 1e12), 4) if peak else None,
        "padding_fraction": round(summary["padding_fraction"], 4),
        "peak_memory_gib": round(summary["peak_memory_bytes"] / 2**30, 2),
        "final_loss": summary["final_loss"],
        "steps": summary["steps"],
        "samples_seen": summary["samples_seen"],
        "per_device_batch_size": summary["per_device_batch_size"],
        "gradient_accumulation_steps": summary["gradient_accumulation_steps"],
        "bf16": summary["bf16"],
        "precision": summary["precision"],
        "compiled_layers": summary["compiled_layers"],
    }


def numerics(base: Path, data: Path, work: Path, max_length: int) -> dict:
    """Loss and gradient of the trainable weights on 16 instances of each modality: the
    padded micro-batch in bf16 autocast over fp32 weights (the baseline's arithmetic)
    against (a) packed rows, (b) the padded batch on bf16 weights (the training's
    arithmetic: fp32 masters live in the optimizer) and (c) the padded batch merely split
    in two (bf16's own noise); relative differences."""
    import torch
    from transformers import AutoProcessor

    from mlan.training.model import prepare_model, use_packed_attention
    from mlan.training.stages import FINETUNE
    from mlan.training.training_data import IGNORE_INDEX, Collator, ConversationDataset, PackCollator

    device = "cuda" if torch.cuda.is_available() else "cpu"
    processor = AutoProcessor.from_pretrained(base)
    model = prepare_model(base, FINETUNE).model.to(device)
    bf16_model = prepare_model(base, FINETUNE).model.to(device)
    for parameter in bf16_model.parameters():  # as MasterWeightAdamW casts: parameters, not buffers
        parameter.data = parameter.data.to(torch.bfloat16)

    def loss_and_gradient(network, batches, answers, packed, autocast):
        use_packed_attention(network, packed)
        network.zero_grad()
        loss = 0.0
        for batch in batches:
            batch = {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}
            with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast and device == "cuda"):
                part = network(**batch, num_items_in_batch=answers).loss
            part.backward()
            loss += part.item()
        return loss, torch.cat([p.grad.flatten().float() for p in network.parameters() if p.grad is not None])

    found = {}
    for modality in (False, True):
        chosen = [i for i in FINETUNE.read_instances(data) if bool(i.get("image")) == modality][:16]
        dataset = ConversationDataset(chosen, processor, work / "images", FINETUNE.template, max_length)
        items = [dataset[i] for i in range(len(chosen))]
        answers = sum(int((item["labels"][1:] != IGNORE_INDEX).sum()) for item in items)
        padded = Collator(processor.tokenizer.pad_token_id)
        rows = PackCollator()([{**item, "row": i % 2} for i, item in enumerate(items)])["rows"]
        loss, grad = loss_and_gradient(model, [padded(items)], answers, False, True)
        results = {
            "packed": loss_and_gradient(model, rows, answers, True, True),
            "bf16_weights": loss_and_gradient(bf16_model, [padded(items)], answers, False, False),
            "padded_in_two": loss_and_gradient(model, [padded(items[:8]), padded(items[8:])], answers, False, True),
        }
        figures = {"loss_padded": round(loss, 5)}
        for layout, (other_loss, other_grad) in results.items():
            figures[f"loss_{layout}"] = round(other_loss, 5)
            figures[f"{layout}_loss_relative_difference"] = abs(other_loss - loss) / abs(loss)
            figures[f"{layout}_gradient_relative_difference"] = float((other_grad - grad).norm() / grad.norm())
        found["image" if modality else "text"] = figures
        del results, grad
    del model, bf16_model
    gc.collect()
    torch.cuda.empty_cache()  # the arms run in their own processes and need the memory
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON of figures")
    parser.add_argument("--doc", type=Path, help="append a row to this docs/benchmarks.md")
    parser.add_argument("--work", type=Path, help="scratch folder (data, model, runs); default: a temporary one")
    parser.add_argument("--steps", type=int, default=24, help="optimizer steps per arm (x 64 instances)")
    parser.add_argument("--warmup", type=int, default=2, help="first steps left out of the rates")
    parser.add_argument("--passage-words", default="40:280", help="words added to each language instance (a:b)")
    parser.add_argument("--tiny", action="store_true", help="tiny model shapes (a CPU check of the script)")
    parser.add_argument("--no-compile", action="store_true", help="ours without compile_layers")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="mlan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    paper = world.paper_config()
    recipe = {**paper["training"]["finetune"], **ONE_GPU}
    percent = paper["models"]["llama2"]["methods"]["mlan_v"]
    words = tuple(int(w) for w in args.passage_words.split(":"))
    data = world.mixture(work, args.steps * recipe["global_batch_size"], percent, words)
    base = world.base_model(work, tiny=args.tiny)
    lm_parameters = world.lm_parameters(base)
    gpu = report.machine().get("gpu")
    peak = report.peak_tflops(gpu)

    arms = {"baseline": {**recipe, **BASELINE}, "ours": recipe if args.no_compile else {**recipe, **OURS}}
    result = {"lm_parameters": lm_parameters, "peak_tflops": peak, "language_percent": percent}
    result |= {"instances": args.steps * recipe["global_batch_size"], "passage_words": list(words), "arms": {}}
    result["numerics"] = numerics(base, data, work, recipe["max_length"])
    print(json.dumps(result["numerics"]), flush=True)
    for name, settings in arms.items():
        steps, summary = run_arm(name, base, data, work, settings)
        result["arms"][name] = {"settings": settings, **figures(steps, summary, args.warmup, lm_parameters, peak)}
    baseline, ours = result["arms"]["baseline"], result["arms"]["ours"]
    speedup = ours["real_tokens_per_second"] / baseline["real_tokens_per_second"]
    result["speedup"] = round(speedup, 2)
    result["goals"] = {
        "speedup >= 4": speedup >= GOALS["speedup"],
        "mfu >= 0.35": ours["mfu"] is not None and ours["mfu"] >= GOALS["mfu"],
        "padding <= 0.05": ours["padding_fraction"] <= GOALS["padding_fraction"],
    }
    result = report.record(result)

    def pair(key, scale=1, digits=0):
        return " / ".join("-" if arm[key] is None else f"{arm[key] * scale:,.{digits}f}" for arm in (baseline, ours))

    row = [
        result["date"],
        report.gpu_summary(result),
        f"`{result['command']}`",
        pair("real_tokens_per_second"),
        f"{speedup:.2f}x",
        pair("samples_per_second", digits=1),
        pair("mfu", 100, 1) + " %",
        pair("padding_fraction", 100, 1) + " %",
        pair("peak_memory_gib", digits=1) + " GiB",
    ]
    report.write(result, args.out, args.doc, "train_throughput", row)


if __name__ == "__main__":
    main()
