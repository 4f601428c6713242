"""Training-token counts (paper, Table 2 / Table 6): tokens the LLM processes per mixture.

Text tokens: the model's tokenizer over each formatted conversation (with BOS), the
``<image>`` placeholder excluded; image tokens: the projector's outputs per image (576 for
CLIP-ViT-L/14 at 336 px, the CLS token dropped).
"""

from __future__ import annotations

from mlan.data.conversation import TEMPLATES
from mlan.data.templates import IMAGE_TOKEN


def image_tokens_per_image(image_size: int, patch_size: int) -> int:
    return (image_size // patch_size) ** 2


def count_tokens(instances: list[dict], tokenizer, tokens_per_image: int, template: str = "vicuna_v1") -> dict:
    render = TEMPLATES[template]
    texts = [render(instance["conversations"])[0].replace(IMAGE_TOKEN, "") for instance in instances]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]] if texts else []
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
        "template": template,
    }
