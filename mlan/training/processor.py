"""The model's processor: tokenizer (+ ``<image>`` and pad tokens) and the tower's image processor.

Paper models load theirs from hub ids or local folders; the embedded default trains a
small BPE tokenizer on the toy corpus, so nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlan.data.conversation import VICUNA_SYSTEM
from mlan.data.records import read_records
from mlan.data.templates import IMAGE_TOKEN
from mlan.training.backbone import LLM_ARCHITECTURES, check_backbone, llm_architecture, tower, vision_config
from mlan.training.weights import load_pretrained

PAD_TOKEN = "<pad>"
# Added to a pretrained tokenizer as transformers 5 takes them: at load time, `<image>` as a
# named special token (``tokenizer.image_token``, which LlavaProcessor reads) and `<pad>`
# replacing whatever pad the hub files set (none for Llama 2, `<unk>` for some copies).
ADDED_TOKENS = {"pad_token": PAD_TOKEN, "extra_special_tokens": {"image_token": IMAGE_TOKEN}}

# Vicuna-v1 as a chat template; accepts string content (lmms-eval) and typed-part lists. An
# assistant turn ends with the tokenizer's EOS (transformers passes the special tokens to
# the template), as in training (``mlan.training.backbone.end_of_turn``).
CHAT_TEMPLATE = (
    '{{ "' + VICUNA_SYSTEM + '" }}'
    "{% for message in messages %}"
    "{% if message['content'] is string %}{% set text = message['content'] %}"
    "{% else %}{% set text = namespace(v='') %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{% set text.v = text.v + '<image>\n' %}"
    "{% elif part['type'] == 'text' %}{% set text.v = text.v + part['text'] %}{% endif %}"
    "{% endfor %}{% set text = text.v %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ ' USER: ' + text }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ASSISTANT: ' + text + eos_token }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ ' ASSISTANT:' }}{% endif %}"
)


# A config-built tower's pixel normalization: CLIP's statistics, SigLIP's 0.5 (their
# pretrained image processors' own).
TINY_NORMALIZATION = {
    "clip": {},
    "siglip": {"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]},
}
ASPECT_RATIOS = {"pad": True, "crop": False}  # image_aspect_ratio -> do_pad


def image_tokens_per_image(image_size: int, patch_size: int) -> int:
    """The projector's outputs per image: one per patch (576 for CLIP-ViT-L/14 at 336 px)."""
    return (image_size // patch_size) ** 2


def corpus(paths: list[str | Path]) -> list[str]:
    """Every text field of the normalized records (what the toy tokenizer learns from)."""
    texts = []
    for path in paths:
        for record in read_records(path):
            texts.extend(part for part in (record.context, record.question, record.answer) if part)
            texts.extend(record.choices or [])
    return texts


def train_tokenizer(texts: list[str], vocab_size: int, architecture: str = "llama"):
    """A byte-level BPE tokenizer with the special tokens of ``architecture``'s pretrained
    tokenizers (``mlan.training.backbone.LLM_ARCHITECTURES``): Llama's and Mistral's
    ``<unk> <s> </s>``, BOS prepended; Qwen2's ``<|endoftext|>`` only, no BOS."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = LLM_ARCHITECTURES[architecture]
    tokenizer = Tokenizer(models.BPE(unk_token=specials.unk))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[*specials.tokens(), PAD_TOKEN, IMAGE_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts + [VICUNA_SYSTEM, "USER: ASSISTANT:"], trainer=trainer)
    if specials.bos:
        bos = specials.bos
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tokenizer.token_to_id(bos))]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=specials.bos,
        eos_token=specials.eos,
        unk_token=specials.unk,
        pad_token=PAD_TOKEN,
        extra_special_tokens={"image_token": IMAGE_TOKEN},
    )


def build_processor(model: str, spec: dict, corpus_files: list[str | Path], texts: list[str] = ()):
    """Return ``(processor, facts)`` for one configured model (see config/schema.yaml). A
    tokenizer trained here learns from the records of ``corpus_files`` and from ``texts``,
    running text such as the LLM's own pretraining corpus (the answers in it follow a space,
    as in every prompt and target, so " yes" is one token, as in Llama's vocabulary; the
    records alone give "yes" and " " + "yes", and the tiny LLM then does not learn yes/no:
    docs/benchmarks.md).

    The image processor is the tower's settings in ``LlavaImageProcessorPil``, which with
    ``image_aspect_ratio: pad`` first pads an image to a square with the mean colour
    (LLaVA-1.5's ``expand2square``: the whole image is seen), with ``crop`` resizes the short
    side and centre-crops (CLIP's own preprocessing: a wide image loses its sides). It is
    saved with the processor, so training and both evaluation paths preprocess alike."""
    from transformers import AutoTokenizer, LlavaImageProcessorPil, LlavaProcessor

    llm, vision = spec["llm"], spec["vision"]
    check_backbone(model, spec)
    family = tower(model, vision)
    pad = {"do_pad": ASPECT_RATIOS[spec.get("image_aspect_ratio", "pad")]}
    vision_settings = vision_config(model, vision, family)
    image_size, patch_size = vision_settings.image_size, vision_settings.patch_size
    square = {"height": image_size, "width": image_size}
    if "config" in vision:
        image_processor = LlavaImageProcessorPil(
            size={"shortest_edge": image_size}, crop_size=square, **pad, **TINY_NORMALIZATION[family.name]
        )
    else:
        image_processor = load_pretrained(
            "image processor", LlavaImageProcessorPil.from_pretrained, vision, model, "vision", **pad
        )
        if not family.has_cls:  # SigLIP resizes to its square, no crop: the crop keeps it whole
            image_processor.size, image_processor.crop_size = dict(square), dict(square)
            image_processor.do_center_crop = True
    if "config" in llm:
        texts = corpus(corpus_files) + list(texts)
        tokenizer = train_tokenizer(texts, llm["tokenizer_vocab_size"], llm_architecture(model, llm))
    else:
        tokenizer = load_pretrained("tokenizer", AutoTokenizer.from_pretrained, llm, model, "llm", **ADDED_TOKENS)
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy=family.select_strategy,
        chat_template=CHAT_TEMPLATE,
        num_additional_image_tokens=family.additional_tokens,
    )
    facts = {
        "image_size": image_size,
        "patch_size": patch_size,
        "tokens_per_image": image_tokens_per_image(image_size, patch_size),
        "vocab_size": len(tokenizer),
    }
    return processor, facts


def save_processor(processor, facts: dict, folder: str | Path) -> None:
    folder = Path(folder)
    processor.save_pretrained(folder)
    (folder / "mlan_model_facts.json").write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
