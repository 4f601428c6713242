"""Toy ScienceQA (ScienceQA-FULL test): half of the rows ask about a picture; the other
half are text-only (``image`` None), either answered from the ``hint`` or by knowing which
word names a shape. ``answer`` is the option index, as on lmms-lab/ScienceQA."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, OBJECTS, SHAPES, image_cell, pick_options, random_scene, render, write_parquet

TEXT_FIELDS = ("question", "hint", "task", "grade", "subject", "topic", "category", "skill", "lecture", "solution")
FEATURES = datasets.Features(
    {
        "image": datasets.Image(),
        "choices": datasets.List(datasets.Value("string")),
        "answer": datasets.Value("int8"),
        **{name: datasets.Value("string") for name in TEXT_FIELDS},
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        image, hint, count = None, "", rng.choice((2, 3, 4))
        if index % 2 == 0:
            items = random_scene(rng)
            image = image_cell(render(items))
            question, correct, pool = "What color is the shape on the left of the picture?", items[0].color, COLORS
            subject, topic = "natural science", "colors"
        elif index % 4 == 1:
            thing, color = rng.choice(OBJECTS), rng.choice(COLORS)
            hint = f"Read the text. The {thing} is {color}."
            question, correct, pool = f"What color is the {thing}?", color, COLORS
            subject, topic = "language science", "reading-comprehension"
        else:
            question, correct, pool = "Which word names a shape?", rng.choice(SHAPES), COLORS
            subject, topic = "language science", "vocabulary"
        choices, answer = pick_options(rng, correct, pool, count)
        values = {
            "question": question,
            "hint": hint,
            "task": "closed choice",
            "grade": f"grade{rng.randint(1, 8)}",
            "subject": subject,
            "topic": topic,
            "category": topic.capitalize(),
            "skill": f"Identify {topic}",
            "lecture": "",
            "solution": f"The answer is {correct}.",
        }
        columns["image"].append(image)
        columns["choices"].append(choices)
        columns["answer"].append(answer)
        for name in TEXT_FIELDS:
            columns[name].append(values[name])
    write_parquet(Path(root) / "ScienceQA-FULL" / "test-00000-of-00001.parquet", columns, FEATURES)
