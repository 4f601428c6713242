"""Toy A-OKVQA: four-way multiple choice about the colour of the leftmost or rightmost
shape, with direct answers and rationales as in HuggingFaceM4/A-OKVQA."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, image_cell, pick_options, random_scene, render, write_parquet

FEATURES = datasets.Features(
    {
        "image": datasets.Image(),
        "question_id": datasets.Value("string"),
        "question": datasets.Value("string"),
        "choices": datasets.List(datasets.Value("string")),
        "correct_choice_idx": datasets.Value("int8"),
        "direct_answers": datasets.List(datasets.Value("string")),
        "difficult_direct_answer": datasets.Value("bool"),
        "rationales": datasets.List(datasets.Value("string")),
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        items = random_scene(rng)
        side = rng.choice(("left", "right"))
        item = items[0] if side == "left" else items[-1]
        choices, correct = pick_options(rng, item.color, COLORS, 4)
        columns["image"].append(image_cell(render(items)))
        columns["question_id"].append(f"toyaok{seed}x{index:05d}")
        columns["question"].append(f"What color is the shape on the {side}?")
        columns["choices"].append(choices)
        columns["correct_choice_idx"].append(correct)
        columns["direct_answers"].append([item.color] * 10)
        columns["difficult_direct_answer"].append(False)
        columns["rationales"].append([f"The shape on the {side} is a {item.color} {item.shape}."] * 3)
    write_parquet(Path(root) / "data" / "train-00000-of-00001.parquet", columns, FEATURES)
