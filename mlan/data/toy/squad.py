"""Toy SQuAD: a two-sentence story (where someone went, what colour a thing was); the
question asks for the colour, which only the story tells, and which the answer copies from
it (its one colour word)."""

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
        name, place, thing, color = rng.choice(NAMES), rng.choice(PLACES), rng.choice(OBJECTS), rng.choice(COLORS)
        context = f"{name} went to the {place}. The {thing} was {color}."
        question, answer, before = f"What color was the {thing}?", color, f"The {thing} was "
        columns["id"].append(f"toy-squad-{index:05d}")
        columns["title"].append(place.capitalize())
        columns["context"].append(context)
        columns["question"].append(question)
        columns["answers"].append({"text": [answer], "answer_start": [context.index(before) + len(before)]})
    write_parquet(Path(root) / "plain_text" / "train-00000-of-00001.parquet", columns, FEATURES)
