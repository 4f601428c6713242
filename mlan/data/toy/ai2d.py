"""Toy AI2D: multiple-choice questions about a diagram of shapes; ``answer`` is the option
index as a string, as on lmms-lab/ai2d."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, image_cell, pick_options, random_scene, render, write_parquet

FEATURES = datasets.Features(
    {
        "question": datasets.Value("string"),
        "options": datasets.List(datasets.Value("string")),
        "answer": datasets.Value("string"),
        "image": datasets.Image(),
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        items = random_scene(rng)
        if index % 2 == 0:
            item = rng.choice(items)
            question = f"What color is the {item.shape} drawn in position {items.index(item) + 1} of the diagram?"
            options, correct = pick_options(rng, item.color, COLORS, 4)
        else:
            question = "How many shapes does the diagram show?"
            options, correct = pick_options(rng, str(len(items)), ("1", "2", "3", "4"), 4)
        columns["question"].append(question)
        columns["options"].append(options)
        columns["answer"].append(str(correct))
        columns["image"].append(image_cell(render(items)))
    write_parquet(Path(root) / "data" / "test-00000-of-00001.parquet", columns, FEATURES)
