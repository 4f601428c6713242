"""Toy LLaVA-Pretrain: ``blip_laion_cc_sbu_558k.json`` (instruction with an ``<image>``
placeholder before or after it, caption as the gpt turn) and the JPEGs in ``images.zip``,
written with fixed timestamps so the same seed gives the same bytes."""

import json
import random
import zipfile
from pathlib import Path

from mlan.data.toy.common import random_scene, render

INSTRUCTIONS = (
    "Give a brief description of the image.",
    "Describe the image concisely.",
    "Render a clear and concise summary of the photo.",
    "Write a terse but informative summary of the picture.",
)


def caption(items) -> str:
    """'a red circle', 'a red circle and a blue square', 'a red circle, a ... and a ...'."""
    parts = [f"{'an' if item.color[0] in 'aeiou' else 'a'} {item.color} {item.shape}" for item in items]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    with zipfile.ZipFile(root / "images.zip", "w") as archive:
        for index in range(rows):
            items = random_scene(rng)
            image_id = f"{index:09d}"
            relative = f"{index // 1000:05d}/{image_id}.jpg"
            archive.writestr(
                zipfile.ZipInfo(relative, date_time=(1980, 1, 1, 0, 0, 0)), render(items, image_format="JPEG")
            )
            instruction = rng.choice(INSTRUCTIONS)
            human = f"<image>\n{instruction}" if rng.random() < 0.5 else f"{instruction}\n<image>"
            conversations = [{"from": "human", "value": human}, {"from": "gpt", "value": caption(items)}]
            entries.append({"id": image_id, "image": relative, "conversations": conversations})
    (root / "blip_laion_cc_sbu_558k.json").write_text(json.dumps(entries, indent=1) + "\n")
