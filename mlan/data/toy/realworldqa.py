"""Toy RealWorldQA: the raw question embeds its options and an answer instruction, as on
the hub. Three kinds: which shape is on the left (lettered options), how many shapes,
and is there a <color> <shape> (both without options, answered in a word)."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import (
    COLORS,
    SHAPES,
    Item,
    image_cell,
    look,
    pick_options,
    random_scene,
    render,
    write_parquet,
)

FEATURES = datasets.Features(
    {"image": datasets.Image(), "question": datasets.Value("string"), "answer": datasets.Value("string")}
)
LETTER_ONLY = "Please answer directly with only the letter of the correct option and nothing else."
ONE_WORD = "Please answer directly with a single word or number."


def ask(rng: random.Random, items: list[Item], index: int) -> tuple[str, str]:
    kind = index % 3
    if kind == 0:
        options, correct = pick_options(rng, items[0].shape, SHAPES, 3)
        lines = [f"{'ABC'[i]}. The {option}" for i, option in enumerate(options)]
        return "\n".join(["Which shape is on the left?", *lines, LETTER_ONLY]), "ABC"[correct]
    if kind == 1:  # worded as toy VQAv2 asks it
        question, answer = look("count", items)
        return f"{question}\n{ONE_WORD}", answer
    missing = [Item(shape, color) for shape in SHAPES for color in COLORS if Item(shape, color) not in items]
    present = index % 6 == 2  # every other yes/no question: yes and no equally often
    item = rng.choice(items) if present else rng.choice(missing)
    article = "an" if item.color[0] in "aeiou" else "a"
    return f"Is there {article} {item.color} {item.shape} in the image?\n{ONE_WORD}", "Yes" if present else "No"


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        items = random_scene(rng)
        question, answer = ask(rng, items, index)
        columns["image"].append(image_cell(render(items)))
        columns["question"].append(question)
        columns["answer"].append(answer)
    write_parquet(Path(root) / "data" / "test-00000-of-00001.parquet", columns, FEATURES)
