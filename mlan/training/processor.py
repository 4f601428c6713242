"""The model's processor: tokenizer (+ ``<image>`` and pad tokens) and CLIP image processor.

Paper models load theirs from hub ids or local folders; the embedded default trains a
small BPE tokenizer on the toy corpus, so nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlan.data.conversation import VICUNA_SYSTEM
from mlan.data.records import read_records
from mlan.data.templates import IMAGE_TOKEN
from mlan.training.weights import load_pretrained

PAD_TOKEN = "<pad>"
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", PAD_TOKEN, IMAGE_TOKEN]
# Added to a pretrained tokenizer as transformers 5 takes them: at load time, `<image>` as a
# named special token (``tokenizer.image_token``, which LlavaProcessor reads) and `<pad>`
# replacing whatever pad the hub files set (none for Llama 2, `<unk>` for some copies).
ADDED_TOKENS = {"pad_token": PAD_TOKEN, "extra_special_tokens": {"image_token": IMAGE_TOKEN}}

# Vicuna-v1 as a chat template; accepts string content (lmms-eval) and typed-part lists.
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
    "{% elif message['role'] == 'assistant' %}{{ ' ASSISTANT: ' + text + '</s>' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ ' ASSISTANT:' }}{% endif %}"
)


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


def train_tokenizer(texts: list[str], vocab_size: int):
    """A byte-level BPE tokenizer with Llama's special tokens, BOS prepended."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts + [VICUNA_SYSTEM, "USER: ASSISTANT:"], trainer=trainer)
    bos = tokenizer.token_to_id("<s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token=PAD_TOKEN,
        extra_special_tokens={"image_token": IMAGE_TOKEN},
    )


def build_processor(model: str, spec: dict, corpus_files: list[str | Path]):
    """Return ``(processor, facts)`` for one configured model (see config/schema.yaml).

    The image processor is CLIP's settings in ``LlavaImageProcessorPil``, which with
    ``image_aspect_ratio: pad`` first pads an image to a square with the mean colour
    (LLaVA-1.5's ``expand2square``: the whole image is seen), with ``crop`` resizes the short
    side and centre-crops (CLIP's own preprocessing: a wide image loses its sides). It is
    saved with the processor, so training and both evaluation paths preprocess alike."""
    from transformers import AutoTokenizer, CLIPVisionConfig, LlavaImageProcessorPil, LlavaProcessor

    llm, vision = spec["llm"], spec["vision"]
    pad = {"do_pad": ASPECT_RATIOS[spec.get("image_aspect_ratio", "pad")]}
    if "config" in vision:
        image_size, patch_size = vision["config"]["image_size"], vision["config"]["patch_size"]
        size = {"height": image_size, "width": image_size}
        image_processor = LlavaImageProcessorPil(size={"shortest_edge": image_size}, crop_size=size, **pad)
    else:
        image_processor = load_pretrained(
            "image processor", LlavaImageProcessorPil.from_pretrained, vision, model, "vision", **pad
        )
        vision_config = load_pretrained("vision config", CLIPVisionConfig.from_pretrained, vision, model, "vision")
        image_size, patch_size = vision_config.image_size, vision_config.patch_size
    if "config" in llm:
        tokenizer = train_tokenizer(corpus(corpus_files), llm["tokenizer_vocab_size"])
    else:
        tokenizer = load_pretrained("tokenizer", AutoTokenizer.from_pretrained, llm, model, "llm", **ADDED_TOKENS)
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        chat_template=CHAT_TEMPLATE,
        num_additional_image_tokens=1,
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
