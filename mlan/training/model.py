"""Assembling the LLaVA-1.5 architecture the paper trains: a vision tower (CLIP in the paper:
penultimate layer, CLS dropped; or SigLIP, ``mlan.training.backbone``), a Linear-GELU-Linear
projector and an LLM (Llama 2 in the paper; Mistral, Qwen2, Llama 3), as a Hugging Face
``LlavaForConditionalGeneration``, and getting it ready for a training stage
(``prepare_model``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from mlan.cpu_math import initialize_vector_math
from mlan.errors import SourceError
from mlan.training.backbone import (
    DEFAULT_FEATURE_LAYER,
    TOWERS,
    Tower,
    check_backbone,
    feature_layer,
    projector_depth,
    tower,
    vision_config,
)
from mlan.training.backbone import text_config as backbone_text_config
from mlan.training.weights import load_weights

if TYPE_CHECKING:
    from mlan.training.stages import Stage


def llava_config(
    vision_config,
    text_config,
    tokenizer,
    family: Tower = TOWERS["clip"],
    feature_layer: int = DEFAULT_FEATURE_LAYER,
    projector_depth: int = 2,
):
    from transformers import LlavaConfig

    from mlan.training.projector import DEPTH_KEY, STOCK_DEPTH

    config = LlavaConfig(
        vision_config=vision_config,
        text_config=text_config,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_layer=feature_layer,
        vision_feature_select_strategy=family.select_strategy,  # CLIP: drop CLS, 576 tokens at 336 px
        projector_hidden_act="gelu",
        image_seq_length=(vision_config.image_size // vision_config.patch_size) ** 2,
    )
    config.text_config.pad_token_id = tokenizer.pad_token_id
    config.pad_token_id = tokenizer.pad_token_id
    if projector_depth != STOCK_DEPTH:  # LLaVA-1.5's depth keeps the stock config, as before
        setattr(config, DEPTH_KEY, projector_depth)
    return config


def build_base_model(model: str, spec: dict, tokenizer, seed: int, language_model: str | Path | None = None):
    """The untrained assembly: pretrained (or, for tiny configs, seeded random) LLM and
    vision tower, a freshly initialized projector, embeddings sized for the added tokens.
    ``language_model``: a config-built LLM's own pretraining (rule pretrain_llm) to start from."""
    from transformers import AutoModelForCausalLM

    from mlan.training.projector import llava_class

    llm, vision = spec["llm"], spec["vision"]
    check_backbone(model, spec)
    family = tower(model, vision)
    vision_settings = vision_config(model, vision, family)
    initialize_vector_math()  # weight initialisation may use VML (erfinv)
    torch.manual_seed(seed)
    language = None
    if "config" in llm and language_model:
        language = AutoModelForCausalLM.from_pretrained(language_model, dtype=torch.float32)
        text_config = language.config
    elif "config" in llm:
        text_config = backbone_text_config(model, llm, len(tokenizer))
    else:
        language = load_weights("language model", AutoModelForCausalLM, llm, model, "llm")
        # rows for the added <pad> and <image> (mean-initialized) before the pad id is set:
        # the pretrained vocabulary has no row with that id yet (a padded one may: kept)
        if language.get_input_embeddings().weight.shape[0] < len(tokenizer):
            language.resize_token_embeddings(len(tokenizer))
        text_config = language.config
    config = llava_config(
        vision_settings, text_config, tokenizer, family, feature_layer(vision), projector_depth(model, spec)
    )
    assembled = llava_class(config)(config)
    if language is not None:
        assembled.model.language_model.load_state_dict(language.model.state_dict())
        assembled.lm_head.load_state_dict(language.lm_head.state_dict())
    if "config" not in vision:
        pretrained = load_weights("vision tower", family.classes()[1], vision, model, "vision")
        assembled.model.vision_tower.load_state_dict(pretrained.state_dict())
    return assembled


def set_trainable(model, prefixes: tuple[str, ...]) -> dict[str, int]:
    """Freeze every parameter whose name does not start with one of ``prefixes``; returns
    parameter counts."""
    counts = {"trainable": 0, "frozen": 0}
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith(prefixes)
        counts["trainable" if parameter.requires_grad else "frozen"] += parameter.numel()
    return counts


def load_model(folder: str | Path):
    """A saved LLaVA in fp32, in its class (the stock one, or ``DeepProjectorLlava`` for a
    projector of another depth: ``mlan.training.projector``)."""
    from transformers import LlavaConfig

    from mlan.training.projector import llava_class

    if not (Path(folder) / "config.json").is_file():
        raise SourceError(f"no model at '{folder}' (config.json missing)")
    initialize_vector_math()  # before training or evaluation splits a VML call between threads
    return llava_class(LlavaConfig.from_pretrained(folder)).from_pretrained(folder, dtype=torch.float32)


PACKED_ATTENTION = "mlan_packed"


def packed_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """Causal attention within each instance of a packed row (``cu_seq_lens_q`` from
    ``mlan.training.training_data.PackCollator``), never across instances. On a GPU: PyTorch's
    variable-length flash kernel, one launch for the whole row; elsewhere (or in fp32) one
    SDPA call per instance. Shapes as transformers passes them: (1, heads, tokens, dim)."""
    starts = kwargs["cu_seq_lens_q"]
    longest = int(kwargs["max_length_q"])
    q, k, v = (tensor[0].transpose(0, 1) for tensor in (query, key, value))  # (tokens, heads, dim)
    dtype = torch.get_autocast_dtype("cuda") if torch.is_autocast_enabled("cuda") else q.dtype
    if q.is_cuda and dtype in (torch.float16, torch.bfloat16):
        output = _varlen(q.to(dtype), k.to(dtype), v.to(dtype), starts, longest, scaling)
    else:
        output = _per_instance_sdpa(q, k, v, starts, scaling)
    return output[None], None


@torch.compiler.disable
def _per_instance_sdpa(q, k, v, starts, scaling):
    """One SDPA call per instance. Left out of compiled layers: its loop depends on the
    row's instance bounds, which torch.compile would specialize on and recompile for."""
    bounds = starts.tolist()
    return torch.cat([
        torch.nn.functional.scaled_dot_product_attention(
            q[a:b].transpose(0, 1), k[a:b].transpose(0, 1), v[a:b].transpose(0, 1),
            is_causal=True, scale=scaling, enable_gqa=True,
        ).transpose(0, 1)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ])  # fmt: skip


@functools.cache
def _varlen_options() -> frozenset:
    """The keyword arguments this torch's ``varlen_attn`` takes: read once, not per layer
    and row (``inspect`` in the step also stops torch.compile's tracing)."""
    import inspect

    from torch.nn.attention.varlen import varlen_attn

    return frozenset(inspect.signature(varlen_attn).parameters)


def _varlen(q, k, v, starts, longest: int, scaling):
    from torch.nn.attention.varlen import varlen_attn

    options = _varlen_options()
    kwargs = {"scale": scaling}
    kwargs |= {"window_size": (-1, 0)} if "window_size" in options else {"is_causal": True}
    if "enable_gqa" in options:
        kwargs["enable_gqa"] = True
    elif k.shape[1] != q.shape[1]:  # older torch: one K/V head per query head
        k, v = (t.repeat_interleave(q.shape[1] // t.shape[1], dim=1) for t in (k, v))
    return varlen_attn(q, k, v, starts, starts, longest, longest, **kwargs)


def use_packed_attention(model, on: bool = True) -> None:
    """Switch the LLM (not the vision tower, whose images are not packed) to
    ``packed_attention``, or back to SDPA: models are always saved with SDPA."""
    from transformers import AttentionInterface

    AttentionInterface.register(PACKED_ATTENTION, packed_attention)
    model.config.text_config._attn_implementation = PACKED_ATTENTION if on else "sdpa"


def use_kv_cache(model, on: bool) -> None:
    """Whether the LLM's forward builds a KV cache. Its config says yes (generation wants
    it), so by default every training forward would build one it never reads, and compiled
    layers would be recompiled once per layer index for it (torch.compile gives up after 8,
    and the remaining layers run eager). Off while training; saved models have it on."""
    model.config.text_config.use_cache = on


def compile_decoder_layers(model) -> int:
    """``torch.compile`` each decoder layer of the LLM in place (``dynamic=True``: rows of
    any length share one graph). Inductor fuses what eager PyTorch runs as separate
    memory-bound kernels (RMSNorm, SiLU x up-projection, RoPE, residual adds); parameter
    names, and so checkpoints and saved models, stay as they are. Returns the layer count."""
    layers = model.model.language_model.layers
    for layer in layers:
        layer.compile(dynamic=True)
    return len(layers)


@dataclass(frozen=True)
class PreparedModel:
    """A model ready to train, and what preparing it did (for the log and the summary)."""

    model: Any
    trainable_parameters: int
    frozen_parameters: int
    compiled_layers: int


def prepare_model(
    folder: str | Path,
    stage: Stage,
    *,
    packed: bool = False,
    gradient_checkpointing: bool = False,
    compile_layers: bool = False,
) -> PreparedModel:
    """The model in ``folder`` as ``stage`` trains it: the stage's modules trainable, the rest
    frozen, no KV cache, packed attention for packed rows, optionally gradient checkpointing
    and compiled decoder layers. Training and the GPU benchmarks both start here, so the
    benchmarks measure the model that trains."""
    model = load_model(folder)
    counts = set_trainable(model, stage.trainable)
    use_kv_cache(model, False)
    if packed:
        use_packed_attention(model)
    if gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    compiled = compile_decoder_layers(model) if compile_layers else 0
    return PreparedModel(model, counts["trainable"], counts["frozen"], compiled)
