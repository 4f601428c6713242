"""Toy GQA: questions on scenes (a one-shape scene's colour or kind, worded as toy VQAv2
asks them; an existence check; a left/right choice on a scene of several shapes), with
questions and images in two configs joined by ``imageId`` as on lmms-lab/GQA."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, SHAPES, Item, image_cell, look, one_shape, random_scene, render, write_parquet

QUESTION_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "imageId": datasets.Value("string"),
        "question": datasets.Value("string"),
        "answer": datasets.Value("string"),
        "fullAnswer": datasets.Value("string"),
        "isBalanced": datasets.Value("bool"),
        "types": {name: datasets.Value("string") for name in ("structural", "semantic", "detailed")},
    }
)
IMAGE_FEATURES = datasets.Features({"id": datasets.Value("string"), "image": datasets.Image()})


def ask(rng: random.Random, items: list[Item], kind: str) -> tuple[str, str, str, tuple[str, str, str]]:
    """(question, answer, full answer, (structural, semantic, detailed) types) for one scene."""
    if kind in ("color", "shape"):
        question, answer = look(kind, items)
        full = f"The shape is {answer}." if kind == "color" else f"It is a {answer}."
        return question, answer, full, ("query", "attr", f"{kind}Query")
    shapes = [item.shape for item in items]
    if kind == "choose" and len(set(shapes)) > 1:
        left = shapes[0]
        first, second = rng.sample([left, rng.choice([shape for shape in shapes if shape != left])], 2)
        full = f"The {left} is on the left."
        return f"Which is on the left, the {first} or the {second}?", left, full, ("choose", "rel", "positionChoose")
    missing = [Item(shape, color) for shape in SHAPES for color in COLORS if Item(shape, color) not in items]
    present = rng.random() < 0.5  # yes and no equally often
    item = rng.choice(items) if present else rng.choice(missing)
    thing = f"{'an' if item.color[0] in 'aeiou' else 'a'} {item.color} {item.shape}"
    if present:
        return f"Is there {thing}?", "yes", f"Yes, there is {thing}.", ("verify", "obj", "existAttr")
    return f"Is there {thing}?", "no", f"No, there is no {item.color} {item.shape}.", ("verify", "obj", "existAttr")


KINDS = ("color", "shape", "color", "exist", "color", "choose")  # one scene each; half colour queries


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    kinds = [KINDS[index % len(KINDS)] for index in range(rows)]
    scenes = [one_shape(rng) if kind in ("color", "shape") else random_scene(rng) for kind in kinds]
    image_ids = [f"n{seed % 1000:03d}{number:05d}" for number in range(rows)]
    images = {"id": image_ids, "image": [image_cell(render(items)) for items in scenes]}
    questions = {name: [] for name in QUESTION_FEATURES}
    for index, (kind, items) in enumerate(zip(kinds, scenes, strict=True)):
        question, answer, full, types = ask(rng, items, kind)
        questions["id"].append(str(20000000 + index))
        questions["imageId"].append(image_ids[index])
        questions["question"].append(question)
        questions["answer"].append(answer)
        questions["fullAnswer"].append(full)
        questions["isBalanced"].append(True)
        questions["types"].append(dict(zip(("structural", "semantic", "detailed"), types, strict=True)))
    root = Path(root)
    questions_file = root / "testdev_balanced_instructions" / "testdev-00000-of-00001.parquet"
    write_parquet(questions_file, questions, QUESTION_FEATURES)
    write_parquet(root / "testdev_balanced_images" / "testdev-00000-of-00001.parquet", images, IMAGE_FEATURES)
