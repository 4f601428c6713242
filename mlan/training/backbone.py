"""The seam between the pipeline and the backbones it assembles: which LLM architecture and
vision tower a model's config names, and what each one decides.

- The LLM's tokenizer decides BOS (prepended or not), EOS and so the end of each assistant
  turn in the training frame and the chat template: Llama 2 / Vicuna / Mistral end a turn
  with ``</s>``, a Qwen2 base model with ``<|endoftext|>``, Llama 3 with ``<|end_of_text|>``.
  Nothing downstream writes a literal.
- The vision tower decides the CLS handling: CLIP has a CLS token, which LLaVA drops
  (``vision_feature_select_strategy: default``), SigLIP has none (``full``). Both take the
  features of ``vision.feature_layer`` (LLaVA-1.5's penultimate layer, -2, by default).
- ``projector: mlp<N>x_gelu``: N linear layers, GELU between (LLaVA-1.5: ``mlp2x_gelu``, the
  stock ``LlavaForConditionalGeneration``; another depth: ``mlan.training.projector``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlan.errors import MlanError
from mlan.training.weights import load_pretrained

DEFAULT_FEATURE_LAYER = -2  # LLaVA-1.5's mm_vision_select_layer


@dataclass(frozen=True)
class TokenizerSpecials:
    """A family's special tokens, for a tokenizer trained on the toy corpus (config-built
    LLMs): pretrained LLMs bring their own tokenizer, which decides."""

    bos: str | None
    eos: str
    unk: str | None

    def tokens(self) -> list[str]:
        return [token for token in (self.unk, self.bos, self.eos) if token]


# LLM architectures a config-built LLM may name (transformers model_type), with the special
# tokens of their pretrained tokenizers: Llama 2 and Mistral prepend <s>; Qwen2 has no BOS.
LLM_ARCHITECTURES = {
    "llama": TokenizerSpecials(bos="<s>", eos="</s>", unk="<unk>"),
    "mistral": TokenizerSpecials(bos="<s>", eos="</s>", unk="<unk>"),
    "qwen2": TokenizerSpecials(bos=None, eos="<|endoftext|>", unk=None),
}


@dataclass(frozen=True)
class Tower:
    """A vision tower family: its transformers classes and whether it has a CLS token."""

    name: str
    config_class: str
    model_class: str
    model_types: tuple[str, ...]  # config.json model_type of a whole model or the tower alone
    has_cls: bool

    @property
    def select_strategy(self) -> str:
        """LlavaConfig's ``vision_feature_select_strategy``: drop the CLS token, or keep all."""
        return "default" if self.has_cls else "full"

    @property
    def additional_tokens(self) -> int:
        """Tower outputs beyond one per patch (LlavaProcessor's ``num_additional_image_tokens``)."""
        return int(self.has_cls)

    def classes(self):
        import transformers

        return getattr(transformers, self.config_class), getattr(transformers, self.model_class)


TOWERS = {
    "clip": Tower("clip", "CLIPVisionConfig", "CLIPVisionModel", ("clip", "clip_vision_model"), has_cls=True),
    "siglip": Tower(
        "siglip", "SiglipVisionConfig", "SiglipVisionModel", ("siglip", "siglip_vision_model"), has_cls=False
    ),
}
PROJECTOR = re.compile(r"^mlp(\d+)x_gelu$")


def llm_architecture(model: str, llm: dict) -> str:
    """The transformers model_type of a config-built LLM (``llm.architecture``, default llama)."""
    name = llm.get("architecture", "llama")
    if name not in LLM_ARCHITECTURES:
        raise MlanError(
            f"models.{model}.llm.architecture: '{name}' is none of {', '.join(LLM_ARCHITECTURES)} "
            "(a pretrained LLM's architecture is read from its own config.json)"
        )
    return name


def text_config(model: str, llm: dict, vocab_size: int):
    """The config of a config-built LLM, in its architecture's transformers class."""
    from transformers import AutoConfig

    return AutoConfig.for_model(llm_architecture(model, llm), **llm["config"], vocab_size=vocab_size)


def tower(model: str, vision: dict) -> Tower:
    """The tower family: ``vision.architecture`` for a config-built tower (default clip), the
    folder's ``model_type`` for a pretrained one."""
    if "config" in vision:
        name = vision.get("architecture", "clip")
        if name not in TOWERS:
            raise MlanError(f"models.{model}.vision.architecture: '{name}' is none of {', '.join(TOWERS)}")
        return TOWERS[name]
    from transformers import AutoConfig

    model_type = load_pretrained("vision config", AutoConfig.from_pretrained, vision, model, "vision").model_type
    for family in TOWERS.values():
        if model_type in family.model_types:
            return family
    raise MlanError(
        f"models.{model}.vision.source: '{vision['source']}' is a '{model_type}' model; the vision "
        f"towers supported are {', '.join(TOWERS)}"
    )


def vision_config(model: str, vision: dict, family: Tower):
    """The tower's config (built, or read from the folder: a whole CLIP/SigLIP gives its
    vision half)."""
    config_class, _ = family.classes()
    if "config" in vision:
        return config_class(**vision["config"])
    return load_pretrained("vision config", config_class.from_pretrained, vision, model, "vision")


def feature_layer(vision: dict) -> int:
    return vision.get("feature_layer", DEFAULT_FEATURE_LAYER)


def projector_depth(model: str, spec: dict) -> int:
    name = spec.get("projector", "mlp2x_gelu")
    match = PROJECTOR.match(name)
    if not match:
        raise MlanError(f"models.{model}.projector: '{name}' is not of the form mlp<N>x_gelu (e.g. mlp2x_gelu)")
    depth = int(match.group(1))
    if depth < 1:
        raise MlanError(f"models.{model}.projector: '{name}' has no linear layer (mlp1x_gelu is one)")
    return depth


def check_backbone(model: str, spec: dict) -> None:
    """What the processor and the assembly refuse before any loading: a projector name not
    of the form mlp<N>x_gelu, an architecture named for pretrained weights (their
    config.json decides)."""
    projector_depth(model, spec)
    for part in ("llm", "vision"):
        if "source" in spec[part] and "architecture" in spec[part]:
            raise MlanError(
                f"models.{model}.{part}.architecture: set for pretrained weights ({spec[part]['source']}), "
                "whose own config.json decides; it applies to a config-built model only"
            )


def end_of_turn(tokenizer) -> str:
    """What closes an assistant turn in the training frame and the chat template: the
    tokenizer's EOS, so the model learns to stop with the token generation stops at."""
    if not tokenizer.eos_token:
        raise MlanError(f"the tokenizer ({type(tokenizer).__name__}) has no EOS token to end a turn with")
    return tokenizer.eos_token
