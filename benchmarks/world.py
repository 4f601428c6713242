"""What the GPU benchmarks run on, built offline from the project's own pieces: toy copies of
the datasets through the real adapters, a mixture from the real mixture builder, the
project's processor, and a random-init LLaVA of a realistic shape saved like the
pipeline's base model.

Shapes (the issue's): a CLIP-L/14@336 vision tower (576 image tokens) and a 1.1B Llama
(hidden 2048, 22 layers, 32 query / 4 key-value heads, vocabulary 32,000). ``--tiny``
swaps in the test suite's tiny shapes, to check the scripts on a CPU.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VOCABULARY = 32000
LLM = {
    "hidden_size": 2048,
    "intermediate_size": 5632,
    "num_hidden_layers": 22,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "max_position_embeddings": 4096,
}
VISION = {
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "image_size": 336,
    "patch_size": 14,
    "projection_dim": 768,
}
TINY_LLM = {**LLM, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}
TINY_VISION = {**VISION, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
TINY_VISION |= {"image_size": 56, "patch_size": 14}


def paper_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())


def sources(work: Path, names: tuple[str, ...], rows: int) -> dict[str, Path]:
    """Toy raw files in hub schema -> normalized records (images under work/images)."""
    from mlan.data.normalize import normalize_dataset
    from mlan.data.sources import toy_generator

    records = {}
    for name in names:
        path = work / "data" / f"{name}.jsonl"
        if not path.exists():
            toy_generator(name).generate(work / "sources" / name, rows, 0)
            normalize_dataset(name, work / "sources" / name, path, work / "images")
        records[name] = path
    return records


def lengthen(instances: list[dict], words: tuple[int, int], vocabulary: list[str], seed: int) -> None:
    """Give every language instance a passage of ``words`` (uniform range) toy words before
    its question, so text rows reach the lengths of the paper's reading-comprehension-heavy
    language data (SQuAD, CosmosQA contexts); the toy rows alone are ~100 tokens."""
    rng = random.Random(seed)
    for instance in instances:
        if instance.get("image") or words[1] == 0:
            continue
        passage = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(*words)))
        turn = instance["conversations"][0]
        turn["value"] = f"{passage}\n{turn['value']}"


def mixture(work: Path, instances: int, language_percent: float, words: tuple[int, int]) -> Path:
    """A mixture in LLaVA's format from the project's builder (seed 42), lengthened."""
    from mlan.catalog import TRAIN_DATASETS
    from mlan.data.mixture import build_mixture, write_json
    from mlan.data.records import read_records
    from mlan.data.templates import Instructions
    from mlan.grid import Grid

    path = work / f"mixture_{instances}_{language_percent}_{words[0]}-{words[1]}.json"
    if path.exists():
        return path
    files = sources(work, TRAIN_DATASETS, 240)
    records = {name: read_records(file) for name, file in files.items()}
    groups = Grid(yaml.safe_load((ROOT / "config" / "config.yaml").read_text())).groups()
    instructions = Instructions.load(ROOT / "config" / "instructions.yaml")
    built = build_mixture(records, groups, instances, language_percent, 42, instructions).instances
    vocabulary = sorted({w for r in records["squad"] for w in (r.context or r.question).split() if w.isalpha()})
    lengthen(built, words, vocabulary, 42)
    write_json(built, path)
    return path


def base_model(work: Path, tiny: bool = False) -> Path:
    """The untrained LLaVA (+ processor) in ``work/base``, as ``assemble_model`` saves one."""
    import torch
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaForConditionalGeneration

    from mlan.catalog import TRAIN_DATASETS
    from mlan.training.model import llava_config
    from mlan.training.processor import build_processor, save_processor

    folder = work / ("base-tiny" if tiny else "base")
    if (folder / "config.json").exists():
        return folder
    llm, vision = (TINY_LLM, TINY_VISION) if tiny else (LLM, VISION)
    files = sources(work, TRAIN_DATASETS, 240)
    spec = {"llm": {"config": llm, "tokenizer_vocab_size": VOCABULARY}, "vision": {"config": vision}}
    processor, facts = build_processor("bench", spec, list(files.values()))
    text = LlamaConfig(**llm, vocab_size=VOCABULARY)  # the tokenizer's ids are the first of them
    config = llava_config(CLIPVisionConfig(**vision), text, processor.tokenizer)
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlavaForConditionalGeneration(config)
    model.save_pretrained(folder)
    save_processor(processor, facts, folder)
    return folder


def lm_parameters(base: Path) -> int:
    """Parameters of the language model with its embeddings and head (the N of 6N)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = json.loads((base / "config.json").read_text())["text_config"]
    with torch.device("meta"):
        model = LlamaForCausalLM(LlamaConfig(**config))
    return sum(p.numel() for p in model.parameters())
