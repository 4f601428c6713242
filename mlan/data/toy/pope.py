"""Toy POPE: pairs of "Is there a <color> <shape> in the image?" on one scene, one yes and
one no. The absent object follows POPE's sampling: random (anything absent), popular
(a present colour on another shape) or adversarial (a present shape in another colour)."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, SHAPES, Item, image_cell, random_scene, render, write_parquet

FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "question_id": datasets.Value("string"),
        "question": datasets.Value("string"),
        "answer": datasets.Value("string"),
        "image_source": datasets.Value("string"),
        "image": datasets.Image(),
        "category": datasets.Value("string"),
    }
)
CATEGORIES = ("adversarial", "popular", "random")


def absent(rng: random.Random, items: list[Item], category: str) -> Item:
    anchor = rng.choice(items)
    missing = [Item(shape, color) for shape in SHAPES for color in COLORS if Item(shape, color) not in items]
    similar = [
        item
        for item in missing
        if (category != "adversarial" or item.shape == anchor.shape)
        and (category != "popular" or item.color == anchor.color)
    ]
    return rng.choice(similar or missing)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        if index % 2 == 0:  # a new scene for each yes/no pair
            scene = index // 2
            items, category = random_scene(rng), CATEGORIES[scene % 3]
            image = image_cell(render(items), f"toy_{scene:06d}.png")
        present = index % 2 == 0
        item = rng.choice(items) if present else absent(rng, items, category)
        columns["id"].append(str(index))
        columns["question_id"].append(str(index + 1))
        article = "an" if item.color[0] in "aeiou" else "a"
        columns["question"].append(f"Is there {article} {item.color} {item.shape} in the image?")
        columns["answer"].append("yes" if present else "no")
        columns["image_source"].append(f"toy_{scene:06d}")
        columns["image"].append(image)
        columns["category"].append(category)
    write_parquet(Path(root) / "data" / "test-00000-of-00001.parquet", columns, FEATURES)
