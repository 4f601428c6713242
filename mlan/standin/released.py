"""Stand-ins of the authors' released checkpoints in their original LLaVA layout, at a
width a CPU runs in seconds: what ``llava/train/train.py`` of their fork saves after
finetuning (``LlavaLlamaForCausalLM``, ``model_type: llava_llama``): the LLM's own tensor
names, the projector as ``model.mm_projector.{0,2}`` (``mlp2x_gelu``), optionally the CLIP
tower under ``model.vision_tower.vision_tower.vision_model.`` (transformers 4.x's names),
the ``mm_*`` fields of its config, and the slow tokenizer's files with pad = unk
(``tokenizer.model``, no ``tokenizer.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from mlan.standin.weights import GENERATION, LLAMA_CONFIG, write_tokenizer_files

RELEASED_FIELDS = {  # the fork's finetune.sh, as its config.json records them
    "architectures": ["LlavaLlamaForCausalLM"],
    "model_type": "llava_llama",
    "mm_projector_type": "mlp2x_gelu",
    "mm_vision_select_layer": -2,
    "mm_vision_select_feature": "patch",
    "mm_use_im_start_end": False,
    "mm_use_im_patch_token": False,
    "mm_patch_merge_type": "flat",
    "image_aspect_ratio": "pad",
    "tune_mm_mlp_adapter": False,
    "freeze_mm_mlp_adapter": False,
    "use_mm_proj": True,
    "tokenizer_padding_side": "right",
    "tokenizer_model_max_length": 2048,
}


def original_state(llm, projector: torch.nn.Sequential, tower=None) -> dict[str, torch.Tensor]:
    """The tensors under the original names (``tower``: a CLIPVisionModel, or None)."""
    state = dict(llm.state_dict())
    state |= {f"model.mm_projector.{k}": v for k, v in projector.state_dict().items()}
    if tower is not None:  # as the fork's transformers (4.x) named a CLIP tower's tensors
        state |= {f"model.vision_tower.vision_tower.vision_model.{k}": v for k, v in tower.state_dict().items()}
    return state


def save_released(
    folder: str | Path,
    sentencepiece_model: bytes,
    tower_folder: str | Path,
    tower_id: str,
    seed: int,
    sizes: dict,
    with_tower: bool,
) -> Path:
    """A released-layout checkpoint: a random Llama of ``sizes`` with the sentencepiece
    tokenizer, a random projector, the tower at ``tower_folder`` (named ``tower_id`` in the
    config, and held in the checkpoint when ``with_tower``), fp16, sharded safetensors."""
    from huggingface_hub import save_torch_state_dict
    from transformers import AutoTokenizer, CLIPVisionModel, GenerationConfig, LlamaConfig, LlamaForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_tokenizer_files(folder, "vicuna", sentencepiece_model)  # tokenizer.model only, pad = unk
    vocab = len(AutoTokenizer.from_pretrained(folder))
    torch.manual_seed(seed)
    text_config = LlamaConfig(**LLAMA_CONFIG, **sizes, vocab_size=vocab, pad_token_id=0)
    llm = LlamaForCausalLM(text_config)
    tower = CLIPVisionModel.from_pretrained(tower_folder)
    width = tower.config.hidden_size
    projector = torch.nn.Sequential(
        torch.nn.Linear(width, text_config.hidden_size),
        torch.nn.GELU(),
        torch.nn.Linear(*[text_config.hidden_size] * 2),
    )
    state = {k: v.half().contiguous() for k, v in original_state(llm, projector, tower if with_tower else None).items()}
    save_torch_state_dict(state, folder, max_shard_size="200KB")
    config = text_config.to_dict() | RELEASED_FIELDS | {"mm_vision_tower": tower_id, "mm_hidden_size": width}
    config["torch_dtype"] = "float16"
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    GenerationConfig(**GENERATION, bos_token_id=1, eos_token_id=2, pad_token_id=0).save_pretrained(folder)
    return folder


def toy_released(out: str | Path, seed: int, vocab_size: int = 300) -> Path:
    """The embedded default's released checkpoint: ``out/checkpoint`` (tiny, the tower held
    in it) and ``out/vision`` (the tiny CLIP it names), at the tiny model's image size. Like
    weights trained elsewhere it depends on nothing of the run: its tokenizer learns the
    chat frame and the official prompts' words (bytes cover the rest)."""
    from mlan.data.conversation import VICUNA_SYSTEM
    from mlan.evaluation import official_prompts as prompts
    from mlan.standin.weights import LLAMA_SIZES, save_clip, train_sentencepiece

    out = Path(out)
    tower = save_clip(out / "vision", seed, image_size=32, patch_size=8)
    texts = [VICUNA_SYSTEM, "USER: ASSISTANT: User: Assistant: Context: Question:", prompts.YES_NO, prompts.SHORT]
    texts += [prompts.MC, prompts.LANGUAGE_MC, prompts.IMAGE_PREFIX, prompts.SCIENCEQA_PREFIX]
    model = train_sentencepiece(texts * 4, vocab_size)
    save_released(out / "checkpoint", model, tower, "openai/clip-vit-large-patch14-336", seed, LLAMA_SIZES, True)
    return out
