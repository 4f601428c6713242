"""Training-token counts (paper, Table 2 / Table 6): tokens the LLM processes per mixture.

Text tokens, by ``analysis.token_count``: ``content`` tokenizes each turn's text alone
(instruction, question, answer; no special tokens, no chat frame), which is what the
paper's numbers imply (10,110,681 tokens for 80k language instances: ~126 each; LLaVA's
mixture then leaves ~33 text tokens per vision instance, less than the Vicuna system prompt
alone); ``conversation`` tokenizes the whole rendered training conversation with BOS.
Either way the ``<image>`` placeholder is excluded. Image tokens: the projector's outputs
per image (576 for CLIP-ViT-L/14 at 336 px, the CLS token dropped).
"""

from __future__ import annotations

from mlan.data.conversation import TEMPLATES
from mlan.data.templates import IMAGE_TOKEN
from mlan.training.backbone import end_of_turn

COUNTS = ("content", "conversation")
# Instances tokenized at once: the encodings of one chunk are dropped before the next, so
# memory stays flat whatever the mixture's size (80k instances: 1.7 GB at once).
CHUNK = 2048


def text_lengths(instances: list[dict], tokenizer, count: str, template: str) -> list[int]:
    if count not in COUNTS:
        raise ValueError(f"analysis.token_count: '{count}' is none of {', '.join(COUNTS)}")
    lengths = []
    for start in range(0, len(instances), CHUNK):
        lengths += _chunk_lengths(instances[start : start + CHUNK], tokenizer, count, template)
    return lengths


def _chunk_lengths(instances: list[dict], tokenizer, count: str, template: str) -> list[int]:
    if count == "conversation":
        render = TEMPLATES[template]
        closing = end_of_turn(tokenizer)
        texts = [render(instance["conversations"], closing)[0].replace(IMAGE_TOKEN, "") for instance in instances]
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]] if texts else []
    turns = [
        turn["value"].replace(IMAGE_TOKEN, "").strip() for instance in instances for turn in instance["conversations"]
    ]
    ids = tokenizer(turns, add_special_tokens=False)["input_ids"] if turns else []
    lengths, start = [], 0
    for instance in instances:
        end = start + len(instance["conversations"])
        lengths.append(sum(len(part) for part in ids[start:end]))
        start = end
    return lengths


def count_tokens(
    instances: list[dict], tokenizer, tokens_per_image: int, count: str = "conversation", template: str = "vicuna_v1"
) -> dict:
    lengths = text_lengths(instances, tokenizer, count, template)
    images = sum(1 for instance in instances if instance.get("image"))
    per_modality = {"language": 0, "vision": 0}
    for instance, length in zip(instances, lengths, strict=True):
        per_modality["vision" if instance.get("image") else "language"] += length
    text_tokens = sum(lengths)
    return {
        "instances": len(instances),
        "images": images,
        "tokens_per_image": tokens_per_image,
        "text_tokens": text_tokens,
        "text_tokens_by_modality": per_modality,
        "image_tokens": images * tokens_per_image,
        "total_tokens": text_tokens + images * tokens_per_image,
        "count": count,
        "template": template,
    }
