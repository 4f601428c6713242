"""The stand-in config: ``config/paper.yaml`` with its dataset sources pointed at local
stand-ins, its weights (same hub ids) fetched from a hub cache of stand-ins, and its sizes
scaled to a CPU. Everything not named here is the paper config's own, so a
change to the paper's grid, recipe or protocol reaches the stand-in by construction."""

from __future__ import annotations

import copy
from pathlib import Path

from mlan.errors import ConfigError

# Dotted config keys and the stand-in's value. Budget 96 is the smallest that keeps every
# share of the grid whole and every training dataset in every mixture (6% -> 6 language
# instances, one per commonsense-reasoning set; budget scaling 25% -> 24); batches keep the
# paper's shapes: pretraining accumulates micro-batches, a finetuning step packs into rows.
SIZES = {
    "budget": 96,
    "training.pretrain.global_batch_size": 32,
    "training.pretrain.max_per_device_batch_size": 8,
    "training.pretrain.save_steps": 1,
    "training.finetune.global_batch_size": 16,
    "training.finetune.max_per_device_batch_size": 4,
    "training.finetune.save_steps": 2,
    "training.finetune.pack_tokens": 4096,
    "analysis.diversity_pairs": 1000,
}
# Raw rows per dataset. As on the paper's grid, StrategyQA, CommonsenseQA, ARC and A-OKVQA
# have fewer rows than their largest quota (bootstrapped), SQuAD, CosmosQA and VQAv2 more.
ROWS = {
    "squad": 40,
    "cosmosqa": 32,
    "strategyqa": 8,
    "commonsenseqa": 12,
    "arc": 10,
    "vqav2": 64,
    "aokvqa": 24,
    "scienceqa": 16,
    "llava_pretrain": 64,
}
BENCHMARK_ROWS = 12  # a held-out benchmark's rows unless ROWS says otherwise


def rows(dataset: str) -> int:
    return ROWS.get(dataset, BENCHMARK_ROWS)


# The paper config's weights and the hub layout each stand-in copies (mlan.standin.weights).
LAYOUT_OF = {
    "meta-llama/Llama-2-7b-hf": "llama2",
    "lmsys/vicuna-7b-v1.5": "vicuna",
    "openai/clip-vit-large-patch14-336": "clip",
}


def set_key(config: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = config
    for part in parents:
        node = node[part]
    if last not in node:
        raise ConfigError(f"stand-in: the paper config has no key '{dotted}' to scale")
    node[last] = value


def weight_folders(paper: dict, root: Path) -> dict[str, tuple[str, Path]]:
    """Hub id -> (layout, stand-in folder) for every LLM and vision source of the paper config."""
    found = {}
    for model, spec in paper["models"].items():
        for part in ("llm", "vision"):
            source = spec[part].get("source")
            if source not in LAYOUT_OF:
                raise ConfigError(
                    f"stand-in: models.{model}.{part}.source '{source}' has no stand-in layout "
                    f"(known: {', '.join(LAYOUT_OF)}); add it to mlan.standin.grid.LAYOUT_OF"
                )
            found[source] = (LAYOUT_OF[source], root / "models" / source.split("/")[-1])
    return found


def released_folders(paper: dict, root: Path) -> dict[str, tuple[Path, bool]]:
    """Hub id -> (stand-in folder, whether it holds its vision tower) for every released
    checkpoint of the paper config: the Llama 2 ones hold theirs, the Vicuna ones name it,
    so both ways a released checkpoint comes run on the stand-in."""
    found = {}
    for name, spec in (paper.get("released") or {}).get("checkpoints", {}).items():
        source = spec["source"]
        if "/" not in source or source.startswith(("/", ".", "~")):
            raise ConfigError(f"stand-in: released.checkpoints.{name}.source '{source}' is not a hub id")
        found[source] = (root / "released" / source.split("/")[-1], spec["compare_to"]["model"] == "llama2")
    return found


def standin_config(paper: dict, root: Path) -> dict:
    """The stand-in of ``paper`` whose inputs live under ``root`` (absolute paths)."""
    root = Path(root).resolve()
    config = copy.deepcopy(paper)
    for name, entry in config["datasets"].items():
        entry["source"] = {"local": str(root / "datasets" / name)}
    weight_folders(paper, root)  # every hub id has a stand-in
    released_folders(paper, root)
    config["hub_cache"] = str(root / "hub")  # models and released checkpoints keep their hub ids: fetched from there
    for dotted, value in SIZES.items():
        set_key(config, dotted, value)
    return config
