"""Toy VQAv2: open questions a model can answer only by looking (the colour or the kind of
a scene's one shape, how many shapes a scene has), in the schema of
Multimodal-Fatima/VQAv2_train; GQA and RealWorldQA's toys ask the same (``common.look``)."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import image_cell, look, one_shape, random_scene, render, write_parquet

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


QUESTION_TYPES = {"color": ("what color is the", "other"), "shape": ("what", "other"), "count": ("how many", "number")}


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        kind = ("color", "shape", "count")[index % 3]
        items = random_scene(rng) if kind == "count" else one_shape(rng)
        question, answer = look(kind, items)
        question_type, answer_type = QUESTION_TYPES[kind]
        columns["question_type"].append(question_type)
        columns["multiple_choice_answer"].append(answer)
        columns["answers"].append([answer] * 10)  # ten annotators, all agreeing
        columns["id_image"].append(100000 + index)
        columns["answer_type"].append(answer_type)
        columns["question_id"].append(1_000_000 + index)
        columns["question"].append(question)
        columns["image"].append(image_cell(render(items), f"toy_{100000 + index}.png"))
    write_parquet(Path(root) / "data" / "train-00000-of-00001.parquet", columns, FEATURES)
