"""Stand-ins of backbones beyond the paper's (``mlan.training.backbone``), in the layouts
their hub ids ship, at a width a CPU trains in seconds, for the backbone tests:

- ``qwen2`` (Qwen/Qwen2-0.5B's layout): ``Qwen2ForCausalLM`` with tied embeddings in bf16,
  a byte-level BPE ``tokenizer.json`` with ``<|endoftext|>`` as EOS and pad and no BOS;
- ``mistral`` (mistralai/Mistral-7B-v0.1's): ``MistralForCausalLM`` with grouped-query
  attention and a sliding window, Llama 2's tokenizer files;
- ``siglip`` (google/siglip-so400m-patch14-384's): a whole ``SiglipModel`` at 384 px in
  14-px patches (729 patches, no CLS token) and its ``preprocessor_config.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from mlan.standin.weights import (
    CLIP_TEXT_SIZES,
    CLIP_VISION_SIZES,
    LLAMA_SIZES,
    train_sentencepiece,
    write_tokenizer_files,
)

QWEN2_ENDOFTEXT = "<|endoftext|>"
QWEN2_SPECIAL = [QWEN2_ENDOFTEXT, "<|im_start|>", "<|im_end|>"]
SIGLIP_PREPROCESSOR = {  # google/siglip-so400m-patch14-384, as the hub has it
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_processor_type": "SiglipImageProcessor",
    "image_std": [0.5, 0.5, 0.5],
    "processor_class": "SiglipProcessor",
    "resample": 3,
    "rescale_factor": 1 / 255,
    "size": {"height": 384, "width": 384},
}


def save_qwen2(folder: str | Path, texts: list[str], vocab_size: int, seed: int) -> Path:
    """A Qwen2-architecture LLM with a byte-level BPE tokenizer in Qwen2's form (no BOS,
    ``<|endoftext|>`` ends a text and pads)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=QWEN2_SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=QWEN2_ENDOFTEXT, pad_token=QWEN2_ENDOFTEXT, bos_token=None
    ).save_pretrained(folder)
    vocab = len(AutoTokenizer.from_pretrained(folder))
    endoftext = tokenizer.token_to_id(QWEN2_ENDOFTEXT)
    torch.manual_seed(seed)
    config = Qwen2Config(
        **LLAMA_SIZES | {"num_key_value_heads": 2},
        vocab_size=vocab,
        tie_word_embeddings=True,
        bos_token_id=endoftext,
        eos_token_id=endoftext,
        max_position_embeddings=4096,
    )
    Qwen2ForCausalLM(config).to(torch.bfloat16).save_pretrained(folder)
    return folder


def save_mistral(folder: str | Path, texts: list[str], vocab_size: int, seed: int) -> Path:
    """A Mistral-architecture LLM (grouped-query attention, sliding window) with Llama 2's
    tokenizer files, as Mistral 7B v0.1 ships them."""
    from transformers import AutoTokenizer, GenerationConfig, MistralConfig, MistralForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_tokenizer_files(folder, "llama2", train_sentencepiece(texts, vocab_size))
    vocab = len(AutoTokenizer.from_pretrained(folder))
    torch.manual_seed(seed)
    config = MistralConfig(
        **LLAMA_SIZES | {"num_key_value_heads": 2},
        vocab_size=vocab,
        sliding_window=4096,
        bos_token_id=1,
        eos_token_id=2,
        max_position_embeddings=4096,
    )
    model = MistralForCausalLM(config)
    model.generation_config = GenerationConfig(bos_token_id=1, eos_token_id=2)
    model.to(torch.bfloat16).save_pretrained(folder)
    return folder


def save_siglip(folder: str | Path, seed: int, image_size: int = 384, patch_size: int = 14) -> Path:
    """A whole SigLIP model (text and vision towers, as the hub id holds) and its
    preprocessing; 384 px in 14-px patches unless told otherwise."""
    from transformers import SiglipConfig, SiglipModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = SiglipConfig(
        text_config={**CLIP_TEXT_SIZES, "max_position_embeddings": 64, "vocab_size": 256},
        vision_config={**CLIP_VISION_SIZES, "image_size": image_size, "patch_size": patch_size},
    )
    SiglipModel(config).save_pretrained(folder)
    size = {"height": image_size, "width": image_size}
    (folder / "preprocessor_config.json").write_text(json.dumps(SIGLIP_PREPROCESSOR | {"size": size}, indent=2) + "\n")
    return folder
