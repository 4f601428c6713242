"""Running the project's task definitions through lm-eval and lmms-eval, offline, on a
loaded model; returns the generations (or choice likelihoods) per item id."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mlan.evaluation.protocol import Protocol

TASKS = Path(__file__).parent / "tasks"


def task_name(benchmark: str, harness: str) -> str:
    if benchmark == "scienceqa":
        return "mlan_scienceqa_text" if harness == "lm_eval" else "mlan_scienceqa_image"
    return f"mlan_{benchmark}"


def benchmark_of(task: str) -> str:
    return task.removeprefix("mlan_").removesuffix("_text").removesuffix("_image")


def read_benchmarks(prompt_files: list[Path]) -> dict[str, list[dict]]:
    """benchmark -> its prompt items, from ``results/eval/prompts/{benchmark}.jsonl`` files."""
    found = {}
    for path in prompt_files:
        with open(path, encoding="utf-8") as handle:
            found[path.name.removesuffix(".jsonl")] = [json.loads(line) for line in handle]
    return found


def tasks_by_harness(benchmarks: dict[str, list[dict]]) -> dict[str, dict[str, list[dict]]]:
    """harness -> task -> items, from each benchmark's prompt items (ScienceQA splits)."""
    found: dict[str, dict[str, list[dict]]] = {"lm_eval": {}, "lmms_eval": {}}
    for benchmark, items in benchmarks.items():
        for item in items:
            found[item["harness"]].setdefault(task_name(benchmark, item["harness"]), []).append(item)
    return found


def materialize(harness: str, folder: Path, items_by_task: dict[str, list[dict]], protocol: Protocol, images: Path):
    """Copy the harness's task folder, fill in paths and protocol, write each task's data.
    A task is ``_task.yaml`` under its name unless the folder has a file of its own for it
    (POPE's, for its metrics); any benchmark's items can be run so."""
    shutil.copytree(TASKS / harness, folder, dirs_exist_ok=True)
    template = (folder / "_task.yaml").read_text()
    for task in items_by_task:
        if not (folder / f"{task}.yaml").exists():
            (folder / f"{task}.yaml").write_text(template.replace("@TASK@", task))
    generate = (folder / "_generate.yaml").read_text()
    likelihood = protocol.mode == "loglikelihood" and harness == "lm_eval"
    for path in folder.glob("mlan_*.yaml"):
        # each task includes its own copy of the generation settings: budgets differ by benchmark
        task = path.stem
        own = folder / f"_generate_{task}.yaml"
        own.write_text(generate.replace("@MAX_NEW_TOKENS@", str(protocol.new_tokens(benchmark_of(task)))))
        text = path.read_text().replace("@DATA@", str(folder))
        text = text.replace("include: _generate.yaml", f"include: {'_loglikelihood.yaml' if likelihood else own.name}")
        path.write_text(text)
    for path in folder.glob("_*.yaml"):
        path.write_text(path.read_text().replace("@STOP@", json.dumps(protocol.stop_strings(harness))))
    for name in ("_generate.yaml", "_task.yaml"):
        (folder / name).unlink()
    (folder / "protocol.json").write_text(json.dumps(protocol.settings()))
    for task, items in items_by_task.items():
        with open(folder / f"{task}.jsonl", "w", encoding="utf-8") as handle:
            for item in items:
                row = {**item, "image_path": str(images / item["image"]) if item["image"] else None}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _outputs(samples: dict) -> dict[str, object]:
    """item id -> the generation (str) or the list of choice log-likelihoods."""
    found = {}
    for task_samples in samples.values():
        for sample in task_samples:
            response = sample.get("filtered_resps", sample["resps"])
            if isinstance(response, list) and response and isinstance(response[0], (list, tuple)):
                found[sample["doc"]["id"]] = [float(choice[0]) for choice in response]  # (loglik, is_greedy)
            else:
                found[sample["doc"]["id"]] = response[0] if isinstance(response, list) else response
    return found


def summary(results: dict) -> dict:
    """The harness's own results (metrics, task configs and hashes, versions), without
    the per-item samples (those are in the predictions files), as JSON can hold them."""
    return json.loads(json.dumps({k: v for k, v in results.items() if k != "samples"}, default=str))


def run_lm_eval(model, tokenizer, folder: Path, tasks: list[str], protocol: Protocol, device: str) -> dict:
    import lm_eval
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(
        pretrained=model,
        tokenizer=tokenizer,
        batch_size=protocol.batch_size,
        add_bos_token=protocol.language_bos,
        device=device,
    )
    manager = TaskManager(include_path=str(folder), include_defaults=False)  # indexing lm-eval's own tasks: ~10 s
    results = lm_eval.simple_evaluate(
        model=lm, tasks=tasks, task_manager=manager, log_samples=True, random_seed=protocol.seed
    )
    return _outputs(results["samples"]), summary(results)


def run_lmms_eval(model, processor, folder: Path, tasks: list[str], protocol: Protocol, device: str) -> dict:
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.tasks import TaskManager

    from mlan.evaluation.lmms_model import PreparedLlava

    lm = PreparedLlava(model, processor, batch_size=protocol.batch_size, device=device)
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    results = simple_evaluate(model=lm, tasks=tasks, task_manager=manager, log_samples=True, random_seed=protocol.seed)
    return _outputs(results["samples"]), summary(results)
