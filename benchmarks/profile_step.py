"""Where one optimizer step's time goes: a text step and an image step of the finetune
recipe (64 instances packed into rows of ``pack_tokens``, bf16 parameters with fp32 master
weights in a fused AdamW as ``mlan.training.train`` runs it, or with ``--autocast`` bf16 autocast over
fp32 parameters; gradient clipping at 1.0), on the train_throughput benchmark's model and
mixture, outside the Trainer so every phase can be timed.

Per step kind: CUDA-event times of the host-to-device copy, forward (with the frozen CLIP
tower, also timed alone), backward, gradient clipping and the optimizer; the GPU kernels'
own time by category (matrix products, attention, cross-entropy, optimizer, the rest) from
torch.profiler; then, with ``--compile``, forward+backward of the text step with every
decoder layer under ``torch.compile(dynamic=True)`` against eager on the same row.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import report, world

CATEGORIES = (  # first match wins, on the lower-cased kernel name
    ("attention", ("flash", "fmha", "attn", "varlen")),
    ("optimizer", ("adam", "multi_tensor", "foreach", "norm_kernel", "fused_optimizer")),
    ("cross_entropy", ("log_softmax", "nll_loss", "cross_entropy", "softmax")),
    ("matmul", ("gemm", "gemv", "cutlass", "xmma", "nvjet", "sm90", "cublas", "matmul")),
    ("copy_cast", ("copy", "to_copy", "cast", "memcpy", "memset", "fill")),
)


def category(name: str) -> str:
    lowered = name.lower()
    return next((label for label, keys in CATEGORIES if any(k in lowered for k in keys)), "elementwise_other")


def steps_of_each_kind(dataset, budget: int, global_batch: int, seed: int) -> dict:
    from mlan.training.sampler import ModalityGroupedSampler, PackedBatchSampler
    from mlan.training.training_data import PackCollator, Packed

    sampler = ModalityGroupedSampler(dataset.has_image, global_batch, seed)
    found, packed = {}, Packed(dataset)
    for batch in PackedBatchSampler(sampler, dataset.lengths(), budget, 1):
        kind = "image" if dataset.has_image[batch[0][0]] else "text"
        if kind not in found:
            found[kind] = PackCollator()([packed[key] for key in batch])["rows"]
        if len(found) == 2:
            break
    return found


def main(argv: list[str] | None = None) -> None:
    import torch

    from mlan.training.model import compile_decoder_layers, prepare_model
    from mlan.training.stages import FINETUNE
    from mlan.training.training_data import IGNORE_INDEX, ConversationDataset

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--repeats", type=int, default=3, help="timed steps of each kind (after 2 warm-ups)")
    parser.add_argument("--compile", action="store_true", help="also time the text step with compiled layers")
    parser.add_argument("--autocast", action="store_true", help="bf16 autocast over fp32 parameters instead")
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args(argv)

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    work = args.work or Path(tempfile.mkdtemp(prefix="mlan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    paper = world.paper_config()
    recipe = paper["training"]["finetune"]
    percent = paper["models"]["llama2"]["methods"]["mlan_v"]
    data = world.mixture(work, 24 * recipe["global_batch_size"], percent, (40, 280))
    base = world.base_model(work, tiny=args.tiny)
    lm_parameters = world.lm_parameters(base)
    peak = report.peak_tflops(report.machine().get("gpu")) or 989.0

    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(base)
    dataset = ConversationDataset(
        FINETUNE.read_instances(data), processor, work / "images", FINETUNE.template, recipe["max_length"]
    )
    steps = steps_of_each_kind(dataset, recipe["pack_tokens"], recipe["global_batch_size"], recipe.get("seed", 42))
    model = prepare_model(base, FINETUNE, packed=True).model.to(device)  # as mlan.training.train trains
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=recipe["learning_rate"], weight_decay=0.0, fused=cuda)
    masters = not args.autocast  # on a CPU too (bf16 there is slow: only for --tiny checks)
    if masters:
        from mlan.training.master_weights import MasterWeightAdamW

        optimizer = MasterWeightAdamW(optimizer, model)

    def event():
        if cuda:
            mark = torch.cuda.Event(enable_timing=True)
            mark.record()
            return mark
        return time.perf_counter()

    def between(a, b) -> float:
        return a.elapsed_time(b) if cuda else (b - a) * 1000

    def pinned(row):
        return {k: v.pin_memory() if cuda and torch.is_tensor(v) else v for k, v in row.items()}

    def one_step(rows, times=None, step_optimizer=True):
        answers = sum(int((row["labels"] != IGNORE_INDEX).sum()) for row in rows)
        losses = []
        for row in rows:
            t0 = event()
            row = {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in row.items()}
            t1 = event()
            with torch.autocast(device, dtype=torch.bfloat16, enabled=cuda and not masters):
                if "pixel_values" in row:
                    with torch.no_grad():
                        model.model.vision_tower(row["pixel_values"], output_hidden_states=True)
                t2 = event()
                loss = model(**row, num_items_in_batch=answers).loss
            t3 = event()
            loss.backward()
            t4 = event()
            losses.append(loss.detach())
            if times is not None:
                pairs = {"h2d": (t0, t1), "vision_tower_alone": (t1, t2), "forward": (t2, t3), "backward": (t3, t4)}
                times.setdefault("_pairs", []).append(pairs)
        t5 = event()
        norm = optimizer.clip_grad_norm_(1.0) if masters else torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        t6 = event()
        if step_optimizer:
            optimizer.step()
        t7 = event()
        optimizer.zero_grad(set_to_none=True)
        t8 = event()
        if times is not None:
            pairs = {"clip_grad_norm": (t5, t6), "optimizer_step": (t6, t7), "zero_grad": (t7, t8)}
            times.setdefault("_pairs", []).append(pairs)
        if cuda:
            torch.cuda.synchronize()
        del norm
        return float(sum(losses))

    def timed(rows, repeats, step_optimizer=True):
        for _ in range(2):
            one_step(rows, step_optimizer=step_optimizer)
        per_step = []
        for _ in range(repeats):
            times: dict = {}
            start = time.perf_counter()
            loss = one_step(rows, times, step_optimizer)
            wall = (time.perf_counter() - start) * 1000
            phases: dict[str, float] = {}
            for pairs in times["_pairs"]:
                for key, (a, b) in pairs.items():
                    phases[key] = phases.get(key, 0.0) + between(a, b)
            phases["wall"] = wall
            phases["loss"] = loss
            per_step.append(phases)
        keys = per_step[0].keys()
        return {k: round(statistics.median(s[k] for s in per_step), 3) for k in keys}

    result = {"lm_parameters": lm_parameters, "peak_tflops": peak, "pack_tokens": recipe["pack_tokens"]}
    result |= {"precision": "bf16 master weights" if masters else "bf16 autocast" if cuda else "fp32", "kinds": {}}
    for kind, rows in steps.items():
        tokens = sum(int(row["input_ids"].numel()) for row in rows)
        rows = [pinned(row) for row in rows]
        phases = timed(rows, args.repeats)
        seconds = phases["wall"] / 1000
        entry = {
            "rows": len(rows),
            "row_tokens": [int(row["input_ids"].numel()) for row in rows],
            "tokens": tokens,
            "images": sum(int(row["pixel_values"].shape[0]) for row in rows if "pixel_values" in row),
            "phases_ms": phases,
            "tokens_per_second": round(tokens / seconds, 1),
            "mfu": round(6 * lm_parameters * tokens / seconds / (peak * 1e12), 4),
        }
        if cuda:
            try:
                from torch.autograd import DeviceType
                from torch.profiler import ProfilerActivity, profile

                with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                    one_step(rows)
                kernels = [e for e in prof.key_averages() if e.device_type == DeviceType.CUDA]
                own = lambda e: getattr(e, "self_device_time_total", None) or getattr(e, "self_cuda_time_total", 0)  # noqa: E731
                total = sum(own(e) for e in kernels)
                split: dict[str, float] = {}
                for e in kernels:
                    split[category(e.key)] = split.get(category(e.key), 0.0) + own(e)
                entry["kernel_ms_total"] = round(total / 1000, 2)
                entry["kernel_ms_by_category"] = {
                    k: round(v / 1000, 2) for k, v in sorted(split.items(), key=lambda kv: -kv[1])
                }
                entry["top_kernels"] = [
                    {"name": e.key[:110], "ms": round(own(e) / 1000, 2), "calls": e.count}
                    for e in sorted(kernels, key=own, reverse=True)[:12]
                ]
            except Exception as error:  # noqa: BLE001 - a profile is a bonus, never the failure
                entry["profile_error"] = repr(error)[:500]
        result["kinds"][kind] = entry
        print(json.dumps({kind: entry}, indent=1), flush=True)

    if args.compile and "text" in steps:
        rows = [pinned(row) for row in steps["text"]]
        eager = timed(rows, args.repeats, step_optimizer=False)
        found = {
            "eager_forward_backward_ms": round(eager["forward"] + eager["backward"], 2),
            "eager_loss": eager["loss"],
        }
        try:
            start = time.perf_counter()
            compile_decoder_layers(model)
            one_step(rows, step_optimizer=False)
            found["first_compiled_step_seconds"] = round(time.perf_counter() - start, 1)
            compiled = timed(rows, args.repeats, step_optimizer=False)
            found["compiled_forward_backward_ms"] = round(compiled["forward"] + compiled["backward"], 2)
            found["compiled_loss"] = compiled["loss"]
            found["speedup_forward_backward"] = round(
                found["eager_forward_backward_ms"] / found["compiled_forward_backward_ms"], 3
            )
            if "image" in steps:  # another row length: recompiles or not
                start = time.perf_counter()
                one_step([pinned(row) for row in steps["image"]], step_optimizer=False)
                found["image_step_after_compile_seconds"] = round(time.perf_counter() - start, 1)
        except Exception as error:  # noqa: BLE001
            found["compile_error"] = repr(error)[:800]
        result["compile"] = found
        print(json.dumps({"compile": found}, indent=1), flush=True)

    result = report.record(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
