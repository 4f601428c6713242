"""Toy VQAv2: open questions a model can answer only by looking (a colour, a count, the
leftmost shape), in the schema of Multimodal-Fatima/VQAv2_train."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import image_cell, random_scene, render, write_parquet

FEATURES = datasets.Features(
    {
        "question_type": datasets.Value("string"),
        "multiple_choice_answer": datasets.Value("string"),
        "answers": datasets.List(datasets.Value("string")),
        "id_image": datasets.Value("int64"),
        "answer_type": datasets.Value("string"),
        "question_id": datasets.Value("int64"),
        "question": datasets.Value("string"),
        "image": datasets.Image(),
    }
)


def ask(rng: random.Random, items) -> tuple[str, str, str, str]:
    """(question_type, question, answer, answer_type) for one scene."""
    shapes = [item.shape for item in items]
    unique = [item for item in items if shapes.count(item.shape) == 1]
    kind = rng.choice(("color", "count", "left"))
    if kind == "color" and unique:
        item = rng.choice(unique)
        return "what color is the", f"What color is the {item.shape}?", item.color, "other"
    if kind == "left":
        return "what", "What shape is on the left?", items[0].shape, "other"
    return "how many", "How many shapes are there?", str(len(items)), "number"


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        items = random_scene(rng)
        question_type, question, answer, answer_type = ask(rng, items)
        columns["question_type"].append(question_type)
        columns["multiple_choice_answer"].append(answer)
        columns["answers"].append([answer] * 10)  # ten annotators, all agreeing
        columns["id_image"].append(100000 + index)
        columns["answer_type"].append(answer_type)
        columns["question_id"].append(1_000_000 + index)
        columns["question"].append(question)
        columns["image"].append(image_cell(render(items), f"toy_{100000 + index}.png"))
    write_parquet(Path(root) / "data" / "train-00000-of-00001.parquet", columns, FEATURES)
