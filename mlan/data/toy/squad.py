"""Toy SQuAD: a short story; the question asks for the colour of one object in it."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, NAMES, OBJECTS, PLACES, write_parquet

FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "title": datasets.Value("string"),
        "context": datasets.Value("string"),
        "question": datasets.Value("string"),
        "answers": {
            "text": datasets.List(datasets.Value("string")),
            "answer_start": datasets.List(datasets.Value("int32")),
        },
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        name, place = rng.choice(NAMES), rng.choice(PLACES)
        things = rng.sample(OBJECTS, 3)
        colors = [rng.choice(COLORS) for _ in things]
        context = f"{name} went to the {place}. " + " ".join(
            f"The {thing} was {color}." for thing, color in zip(things, colors, strict=True)
        )
        target = rng.randrange(3)
        answer = colors[target]
        columns["id"].append(f"toy-squad-{index:05d}")
        columns["title"].append(place.capitalize())
        columns["context"].append(context)
        columns["question"].append(f"What color was the {things[target]}?")
        start = context.index(f"The {things[target]} was {answer}") + len(f"The {things[target]} was ")
        columns["answers"].append({"text": [answer], "answer_start": [start]})
    write_parquet(Path(root) / "plain_text" / "train-00000-of-00001.parquet", columns, FEATURES)
