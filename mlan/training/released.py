"""The authors' released checkpoints (the original LLaVA layout: ``model_type: llava_llama``,
the LLM's own tensor names, ``model.mm_projector.{0,2}``, the CLIP tower under
``model.vision_tower.vision_tower.vision_model.`` when the checkpoint holds it) as this project's
``LlavaForConditionalGeneration`` folder, which the evaluation loads as it loads a model
trained here.

The tokenizer stays as the authors trained it: pad = unk, nothing added. The original code
puts the image where a placeholder id (-200) stands in the prompt's ids; a Hugging Face
LLaVA needs a vocabulary id there, as many as the image has patches. The converted model
uses the byte token ``<0xFF>``: a byte no UTF-8 text has, so no prompt ever tokenizes to it,
and its embedding row, the tokenizer and the output layer stay exactly the checkpoint's
(the logits equal the original model's). The evaluation makes the ids as the original code
does (``mlan.training.input_ids``) with this id in the image's place.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from mlan.errors import SourceError

# The projector's tensors: Hugging Face name (under model.multi_modal_projector.) -> original
PROJECTOR = {
    f"{name}.{part}": f"model.mm_projector.{index}.{part}"
    for name, index in (("linear_1", 0), ("linear_2", 2))
    for part in ("weight", "bias")
}
ORIGINAL_VISION = "model.vision_tower.vision_tower.vision_model."  # transformers 4.x's CLIP names
LLM_PREFIXES = ("model.embed_tokens.", "model.layers.", "model.norm.", "lm_head.")
PLACEHOLDER = "<0xFF>"
SELECT_FEATURE = {"patch": "default", "cls_patch": "full"}  # mm_vision_select_feature -> HF strategy
REPORT = "mlan_released.json"


def _error(folder: Path, message: str) -> SourceError:
    return SourceError(f"released checkpoint '{folder}': {message}")


def read_state(folder: Path) -> dict[str, torch.Tensor]:
    """Every tensor of the checkpoint: its safetensors shards, else its .bin shards."""
    from safetensors.torch import load_file

    shards = sorted(folder.glob("*.safetensors"))
    state: dict[str, torch.Tensor] = {}
    if shards:
        for shard in shards:
            state.update(load_file(shard))
    else:
        for shard in sorted(folder.glob("*.bin")):
            if shard.name.startswith(("training_args", "optimizer")):
                continue
            state.update(torch.load(shard, map_location="cpu", weights_only=True))
    if not state:
        raise _error(folder, "no .safetensors or .bin weights")
    return state


def check_config(config: dict, folder: Path) -> None:
    """The original config's fields this conversion relies on, each named when it differs."""
    expected = {"model_type": "llava_llama", "mm_projector_type": "mlp2x_gelu"}
    for key, value in expected.items():
        if config.get(key) != value:
            raise _error(folder, f"config.json {key} is {config.get(key)!r}, not {value!r} (the LLaVA-1.5 layout)")
    for key in ("mm_hidden_size", "mm_vision_select_layer", "hidden_size", "vocab_size"):
        if key not in config:
            raise _error(folder, f"config.json has no {key}")
    if config.get("mm_use_im_start_end"):
        raise _error(folder, "config.json mm_use_im_start_end is true: image start/end tokens are not supported")
    if config.get("mm_vision_select_feature", "patch") not in SELECT_FEATURE:
        raise _error(folder, f"config.json mm_vision_select_feature {config['mm_vision_select_feature']!r} is unknown")
    if config.get("image_aspect_ratio", "pad") not in ("pad", "square", None):
        raise _error(folder, f"config.json image_aspect_ratio {config['image_aspect_ratio']!r}: only pad or square")


def split_state(state: dict[str, torch.Tensor], folder: Path) -> tuple[dict, dict, dict]:
    """(LLM, projector, vision tower) tensors under the Hugging Face names; a tensor of none
    of them is an error, never dropped."""
    llm, projector, vision, unknown = {}, {}, {}, []
    sources = {original: name for name, original in PROJECTOR.items()}
    for key, tensor in state.items():
        if key.startswith(ORIGINAL_VISION):
            vision[key[len(ORIGINAL_VISION) :]] = tensor
        elif key in sources:
            projector[sources[key]] = tensor
        elif key.startswith(LLM_PREFIXES):
            llm[key] = tensor
        else:
            unknown.append(key)
    if unknown:
        raise _error(folder, f"{len(unknown)} tensors of no known part (e.g. {', '.join(sorted(unknown)[:3])})")
    for key in sources:
        if sources[key] not in projector:
            raise _error(folder, f"the projector tensor '{key}' is missing")
    return llm, projector, vision


def _check_shapes(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor], where: str, original) -> None:
    """Every tensor the model needs, in its shape; ``original`` names one as the source does."""
    for key, tensor in expected.items():
        if key not in found:
            raise SourceError(f"{where}: the tensor '{original(key)}' is missing")
        if tuple(found[key].shape) != tuple(tensor.shape):
            raise SourceError(
                f"{where}: '{original(key)}' has shape {tuple(found[key].shape)}, the model needs "
                f"{tuple(tensor.shape)} (a vision tower or LLM of another size?)"
            )
    extra = sorted(set(found) - set(expected))
    if extra:
        raise SourceError(f"{where}: tensors the model has no place for: {', '.join(original(k) for k in extra[:3])}")


def released_tokenizer(folder: Path):
    """The checkpoint's tokenizer as the authors trained with it: pad = unk, nothing added."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token
    placeholder = tokenizer.convert_tokens_to_ids(PLACEHOLDER)
    if placeholder is None or placeholder == tokenizer.unk_token_id:
        raise _error(folder, f"its tokenizer has no byte token {PLACEHOLDER} to stand for the image")
    return tokenizer, placeholder


def convert(checkpoint: str | Path, vision: str | Path, out: str | Path) -> dict:
    """Write the converted model, processor and a report (``mlan_released.json``) to ``out``."""
    from transformers import (
        CLIPVisionConfig,
        CLIPVisionModel,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaImageProcessorPil,
        LlavaProcessor,
    )

    checkpoint, vision, out = Path(checkpoint), Path(vision), Path(out)
    config = json.loads((checkpoint / "config.json").read_text())
    check_config(config, checkpoint)
    vision_config = CLIPVisionConfig.from_pretrained(vision)
    if config["mm_hidden_size"] != vision_config.hidden_size:
        raise _error(
            checkpoint,
            f"config.json mm_hidden_size is {config['mm_hidden_size']}, the vision tower at '{vision}' is "
            f"{vision_config.hidden_size} wide",
        )
    llm, projector, tower = split_state(read_state(checkpoint), checkpoint)
    tokenizer, placeholder = released_tokenizer(checkpoint)
    text_fields = {k: v for k, v in config.items() if not k.startswith(("mm_", "tune_mm", "freeze_mm", "use_mm"))}
    text_config = LlamaConfig(**{**text_fields, "model_type": "llama", "architectures": ["LlamaForCausalLM"]})
    strategy = SELECT_FEATURE[config.get("mm_vision_select_feature", "patch")]
    patches = (vision_config.image_size // vision_config.patch_size) ** 2
    llava_config = LlavaConfig(
        vision_config=vision_config,
        text_config=text_config,
        image_token_id=placeholder,
        vision_feature_layer=config["mm_vision_select_layer"],
        vision_feature_select_strategy=strategy,
        projector_hidden_act="gelu",
        image_seq_length=patches + (strategy == "full"),
    )
    llava_config.pad_token_id = text_config.pad_token_id = tokenizer.pad_token_id
    with torch.device("meta"):
        model = LlavaForConditionalGeneration(llava_config)
    source = "checkpoint" if tower else "tower"
    if not tower:  # the released checkpoint has no tower: the one it names
        tower = CLIPVisionModel.from_pretrained(vision, dtype=torch.float32).state_dict()
    parts = {  # HF prefix: (tensors, where they come from, the source's name of a tensor)
        "model.language_model.": (
            {k.removeprefix("model."): v for k, v in llm.items() if k.startswith("model.")},
            f"released checkpoint '{checkpoint}'",
            lambda k: f"model.{k}",
        ),
        "lm_head.": (
            {k.removeprefix("lm_head."): v for k, v in llm.items() if k.startswith("lm_head.")},
            f"released checkpoint '{checkpoint}'",
            lambda k: f"lm_head.{k}",
        ),
        "model.multi_modal_projector.": (projector, f"released checkpoint '{checkpoint}'", PROJECTOR.get),
        "model.vision_tower.": (
            tower,
            f"released checkpoint '{checkpoint}'" if source == "checkpoint" else f"vision tower '{vision}'",
            (lambda k: ORIGINAL_VISION + k) if source == "checkpoint" else (lambda k: k),
        ),
    }
    state = {}
    needed = model.state_dict()
    for prefix, (part, where, original) in parts.items():
        expected = {k[len(prefix) :]: v for k, v in needed.items() if k.startswith(prefix)}
        _check_shapes(expected, part, where, original)
        state |= {prefix + k: v for k, v in part.items()}
    dtype = next(iter(llm.values())).dtype
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=True, assign=True)
    model.config.text_config.dtype = dtype
    image_processor = LlavaImageProcessorPil.from_pretrained(
        vision, do_pad=config.get("image_aspect_ratio", "pad") == "pad"
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=vision_config.patch_size,
        vision_feature_select_strategy=strategy,
        num_additional_image_tokens=1,
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    report = {
        "checkpoint": str(checkpoint),
        "vision_tower_from": source,
        "vision": str(vision),
        "image_token": PLACEHOLDER,
        "image_token_id": placeholder,
        "image_tokens": llava_config.image_seq_length,
        "image_aspect_ratio": config.get("image_aspect_ratio", "pad"),
        "tensors": {"llm": len(llm), "projector": len(projector), "vision": len(tower)},
        "dtype": str(dtype).removeprefix("torch."),
    }
    (out / REPORT).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report
