"""Saved models load with transformers 4.x too (classic llava-hf tensor names, a tokenizer
class both know), and the language model exports alone with identical logits."""

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from conftest import needs_transformers_4, transformers_4_logits

from mlan.training.portable import export_language_model, make_portable

# The classic llava-hf layout (transformers 4.x, llava-hf/llava-1.5-7b-hf on the hub).
CLASSIC_PREFIXES = (
    "language_model.model.",
    "language_model.lm_head.",
    "vision_tower.vision_model.",
    "multi_modal_projector.",
)


def tensor_names(folder: Path) -> set[str]:
    from safetensors import safe_open

    names = set()
    for shard in folder.glob("*.safetensors"):
        with safe_open(shard, "pt") as handle:
            names |= set(handle.keys())
    return names


def logits(folder: Path, ids: torch.Tensor, pixels: torch.Tensor | None = None) -> torch.Tensor:
    from transformers import LlavaForConditionalGeneration

    model, info = LlavaForConditionalGeneration.from_pretrained(folder, dtype=torch.float32, output_loading_info=True)
    assert not any(info.values()), info  # nothing missing, unexpected or mismatched
    with torch.no_grad():
        return model(input_ids=ids, pixel_values=pixels).logits


@pytest.fixture
def saved(world, tmp_path):
    """A model as transformers 5 saves one it built (as assembly and training do; one it
    loaded it saves under the names it was loaded with)."""
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    folder = tmp_path / "saved"
    loaded = LlavaForConditionalGeneration.from_pretrained(world / "base")
    built = LlavaForConditionalGeneration(loaded.config)
    built.load_state_dict(loaded.state_dict())
    built.save_pretrained(folder)
    AutoProcessor.from_pretrained(world / "base").save_pretrained(folder)
    return folder


@pytest.fixture
def portable(saved, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(saved, folder)
    os.chmod(folder / "model.safetensors", 0o600)
    make_portable(folder)
    return folder


def inputs(folder: Path):
    from PIL import Image
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(folder)
    image = Image.new("RGB", (30, 20), (200, 10, 10))
    batch = processor(images=[image], text=["USER: <image>\nWhat? ASSISTANT:"], return_tensors="pt")
    return batch["input_ids"], batch["pixel_values"]


def test_saved_models_have_the_classic_names_and_the_same_logits(saved, portable):
    before = tensor_names(saved)
    assert any(
        name.startswith("vision_tower.") and not name.startswith("vision_tower.vision_model.") for name in before
    )
    after = tensor_names(portable)
    assert len(after) == len(before) and all(name.startswith(CLASSIC_PREFIXES) for name in after), sorted(after)[:5]
    ids, pixels = inputs(portable)
    assert torch.equal(logits(portable, ids, pixels), logits(saved, ids, pixels))
    config = json.loads((portable / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"  # TokenizersBackend is 5.x only
    assert (portable / "model.safetensors").stat().st_mode & 0o044 == 0o044  # group and others may read


def test_the_language_model_exports_alone_with_identical_logits(portable, tmp_path):
    from transformers import AutoTokenizer, LlamaForCausalLM

    export_language_model(portable, tmp_path / "llm")
    language = LlamaForCausalLM.from_pretrained(tmp_path / "llm", dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "llm")
    ids = tokenizer(["USER: Is the sky blue? ASSISTANT:"], return_tensors="pt").input_ids
    assert ids.shape[1] > 3 and tokenizer.pad_token == "<pad>"
    with torch.no_grad():
        alone = language(input_ids=ids).logits
    assert torch.equal(alone, logits(portable, ids))


@needs_transformers_4
def test_a_transformers_4_install_loads_the_model_with_identical_logits(portable, transformers_4, tmp_path):
    """MLAN_TEST_TRANSFORMERS4=1 pytest tests/unit/training/test_portable.py"""
    ids, pixels = inputs(portable)
    theirs = transformers_4_logits(transformers_4, portable, ids, pixels, "<pad>", tmp_path)
    assert torch.equal(theirs, logits(portable, ids, pixels))
