"""Stand-in weights in the layouts the paper's hub ids ship, at a width a CPU trains in
seconds: the real classes (``LlamaForCausalLM``, ``CLIPModel``), saved with
``save_pretrained``, with the hub folders' tokenizer and preprocessing files.

- ``llama2`` (meta-llama/Llama-2-7b-hf): fp16 weights in shards with an index, a
  sentencepiece BPE ``tokenizer.model`` with byte fallback (``<unk>`` 0, ``<s>`` 1, ``</s>``
  2) and the fast ``tokenizer.json`` built from it in the hub file's form (Prepend/Replace
  normalizer, ByteFallback decoder, BOS template), no pad token, a sampling
  ``generation_config.json``;
- ``vicuna`` (lmsys/vicuna-7b-v1.5): the same weights layout but only ``tokenizer.model``
  (transformers converts it with sentencepiece and protobuf), pad set to ``<unk>``;
- ``clip`` (openai/clip-vit-large-patch14-336): a whole ``CLIPModel`` (text and vision
  towers, ``model_type: clip``) at 336 px with 14-px patches (576 patches, as the paper's
  tower), and the hub's legacy ``preprocessor_config.json`` (``size: 336``).
Backbones beyond the paper's are in ``mlan.standin.backbones``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch
import yaml

from mlan.data.conversation import VICUNA_SYSTEM

LAYOUTS = ("llama2", "vicuna")
SPECIAL = {"unk": "<unk>", "bos": "<s>", "eos": "</s>"}
# The paper models' own config fields; only the sizes below are the stand-in's.
LLAMA_CONFIG = {
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": False,
    "pretraining_tp": 1,
}
LLAMA_SIZES = {
    "hidden_size": 64,
    "intermediate_size": 172,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
}
# Llama 2 7B's generation defaults (sampling): evaluation must not inherit them.
GENERATION = {"do_sample": True, "temperature": 0.6, "top_p": 0.9, "max_length": 4096}
CLIP_VISION = {"image_size": 336, "patch_size": 14, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5}
CLIP_VISION_SIZES = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 2}
CLIP_TEXT_SIZES = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
}
CLIP_PREPROCESSOR = {  # openai/clip-vit-large-patch14-336, as the hub has it
    "crop_size": 336,
    "do_center_crop": True,
    "do_normalize": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3,
    "size": 336,
}
SHARD_SIZE = "200KB"  # several shards and an index, as a 7B checkpoint has


def train_sentencepiece(texts: list[str], vocab_size: int) -> bytes:
    """A sentencepiece BPE model trained with Llama's settings (byte fallback, digits split,
    whitespace kept, ids 0-2 for unk/bos/eos, no pad); one thread, so the bytes repeat."""
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        model_type="bpe",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        byte_fallback=True,
        split_digits=True,
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True,
        normalization_rule_name="identity",
        character_coverage=1.0,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def hub_tokenizer_json(model_file: Path):
    """The fast tokenizer of a Llama sentencepiece model in the form the Llama 2 hub file has."""
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE
    from transformers.convert_slow_tokenizer import SentencePieceExtractor

    extracted = SentencePieceExtractor(str(model_file)).extract(BPE)
    tokenizer = Tokenizer(
        BPE(
            vocab=extracted["vocab"],
            merges=extracted["merges"],
            unk_token=SPECIAL["unk"],
            fuse_unk=True,
            byte_fallback=True,
        )
    )
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    bos = SPECIAL["bos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos}:1 $B:1", special_tokens=[(bos, extracted["vocab"][bos])]
    )
    tokenizer.add_special_tokens([AddedToken(token, normalized=False, special=True) for token in SPECIAL.values()])
    return tokenizer


def _added(token: str) -> dict:
    return {"__type": "AddedToken", "content": token, "lstrip": False, "normalized": False, "rstrip": False}


def write_tokenizer_files(folder: Path, layout: str, sentencepiece_model: bytes) -> None:
    """``tokenizer.model``, ``tokenizer_config.json``, ``special_tokens_map.json`` (and for
    ``llama2`` the fast ``tokenizer.json``) as the layout's hub folder has them."""
    (folder / "tokenizer.model").write_bytes(sentencepiece_model)
    special = {f"{name}_token": _added(token) for name, token in SPECIAL.items()}
    config = {
        **special,
        "add_bos_token": True,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "legacy": False,
        "model_max_length": 4096 if layout == "vicuna" else 1000000000000000019884624838656,
        "pad_token": None,
        "padding_side": "right",
        "sp_model_kwargs": {},
        "tokenizer_class": "LlamaTokenizer",
    }
    special_map = dict(special)
    if layout == "vicuna":
        special_map["pad_token"] = SPECIAL["unk"]
    else:
        hub_tokenizer_json(folder / "tokenizer.model").save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (folder / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n")


def save_llm(folder: str | Path, layout: str, texts: list[str], vocab_size: int, seed: int) -> Path:
    """A Llama-architecture LLM with its tokenizer, in ``layout`` (``llama2`` or ``vicuna``)."""
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    if layout not in LAYOUTS:
        raise ValueError(f"unknown stand-in layout '{layout}'; known: {', '.join(LAYOUTS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_tokenizer_files(folder, layout, train_sentencepiece(texts, vocab_size))
    from transformers import AutoTokenizer

    vocab = len(AutoTokenizer.from_pretrained(folder))
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**LLAMA_CONFIG, **LLAMA_SIZES, vocab_size=vocab))
    model.generation_config = GenerationConfig(**GENERATION, bos_token_id=1, eos_token_id=2)
    model.half().save_pretrained(folder, max_shard_size=SHARD_SIZE)
    return folder


def save_clip(folder: str | Path, seed: int, image_size: int = 336, patch_size: int = 14) -> Path:
    """A whole CLIP model (the hub id holds text and vision towers) and its preprocessing;
    336 px in 14-px patches as the paper's tower unless told otherwise."""
    from transformers import CLIPConfig, CLIPModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    vision = {**CLIP_VISION, **CLIP_VISION_SIZES, "image_size": image_size, "patch_size": patch_size}
    config = CLIPConfig(
        text_config={**CLIP_TEXT_SIZES, "max_position_embeddings": 77, "hidden_act": "quick_gelu"},
        vision_config=vision,
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(folder)
    preprocessor = CLIP_PREPROCESSOR | {"crop_size": image_size, "size": image_size}
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    return folder


def prompt_texts(instructions: str | Path) -> list[str]:
    """The prompt tables and the chat frame: text every training conversation contains."""
    tables = yaml.safe_load(Path(instructions).read_text(encoding="utf-8"))
    lines = [VICUNA_SYSTEM, "USER: ASSISTANT:", 'The best answer is "']
    for value in tables.values():
        lines += value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
    return [line for line in lines if isinstance(line, str)]
