"""Saved model folders that load with transformers 4.x as well as 5.x (vLLM, SGLang and
many lmms-eval installs pin 4.x), and the language model alone for lm-eval's ``hf`` model.

transformers 5 saves a LLaVA's vision tower as ``vision_tower.<layers>``, where 4.x (and the
classic llava-hf checkpoints) have ``vision_tower.vision_model.<layers>``: 4.x would start the
whole tower at random. 5.x reads the classic names as well, so the classic names are written.
The tokenizer class 5.x writes for a tokenizer without a model-specific class
(``TokenizersBackend``) is unknown to 4.x; ``PreTrainedTokenizerFast`` is known to both."""

from __future__ import annotations

import json
import os
from pathlib import Path

VISION = "vision_tower."
CLASSIC_VISION = "vision_tower.vision_model."
PORTABLE_TOKENIZER_CLASS = {"TokenizersBackend": "PreTrainedTokenizerFast"}


def classic_name(key: str) -> str:
    if key.startswith(VISION) and not key.startswith(CLASSIC_VISION):
        return CLASSIC_VISION + key[len(VISION) :]
    return key


def portable_tokenizer_config(data: dict) -> dict:
    """5.x writes extra special tokens as a list where 4.x expects a mapping of named
    tokens: as a list they are 4.x's ``additional_special_tokens`` (5.x reads those too)."""
    data = dict(data)
    data["tokenizer_class"] = PORTABLE_TOKENIZER_CLASS.get(data.get("tokenizer_class"), data.get("tokenizer_class"))
    if isinstance(data.get("extra_special_tokens"), list):
        extra = data.pop("extra_special_tokens")
        if extra:
            data["additional_special_tokens"] = extra
    return data


def make_portable(folder: str | Path) -> None:
    """Rewrite a saved LLaVA folder in place: classic tensor names, a tokenizer class both
    major versions know, files readable by the group (a cluster's shared folders)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    folder = Path(folder)
    for shard in sorted(folder.glob("*.safetensors")):
        with safe_open(shard, "pt") as handle:  # names only: a shard already classic is not read
            names = list(handle.keys())
        if any(classic_name(name) != name for name in names):
            tensors = load_file(shard)
            save_file({classic_name(key): value for key, value in tensors.items()}, shard, metadata={"format": "pt"})
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        data = json.loads(index.read_text())
        data["weight_map"] = {classic_name(key): shard for key, shard in data["weight_map"].items()}
        index.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tokenizer_config = folder / "tokenizer_config.json"
    if tokenizer_config.is_file():
        data = portable_tokenizer_config(json.loads(tokenizer_config.read_text()))
        tokenizer_config.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    for path in folder.rglob("*"):
        if path.is_file():
            os.chmod(path, path.stat().st_mode | 0o044)


def export_language_model(model_folder: str | Path, target: str | Path) -> None:
    """The LLM of a saved LLaVA as a causal LM folder of its own architecture (Llama's
    ``LlamaForCausalLM``, Qwen2's ``Qwen2ForCausalLM``, ...) with its tokenizer (the
    ``<image>`` token stays in the vocabulary: the embedding rows match the ids)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mlan.training.model import load_model

    llava = load_model(model_folder)
    language = AutoModelForCausalLM.from_config(llava.config.text_config)
    language.model.load_state_dict(llava.model.language_model.state_dict())
    language.lm_head.load_state_dict(llava.lm_head.state_dict())
    language.generation_config = llava.generation_config
    language.save_pretrained(target)
    AutoTokenizer.from_pretrained(model_folder).save_pretrained(target)
    make_portable(target)
