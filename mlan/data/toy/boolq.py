"""Toy BoolQ: a passage says what colour someone's object is and where it is kept; the
lower-case question (as in BoolQ) asks about one of the two, answer a boolean."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, NAMES, OBJECTS, PLACES, write_parquet

FEATURES = datasets.Features(
    {"question": datasets.Value("string"), "answer": datasets.Value("bool"), "passage": datasets.Value("string")}
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for _ in range(rows):
        name, thing, color, place = rng.choice(NAMES), rng.choice(OBJECTS), rng.choice(COLORS), rng.choice(PLACES)
        answer = rng.random() < 0.5
        if rng.random() < 0.5:
            asked = color if answer else rng.choice([c for c in COLORS if c != color])
            question = f"is {name.lower()}'s {thing} {asked}"
        else:
            asked = place if answer else rng.choice([p for p in PLACES if p != place])
            question = f"is {name.lower()}'s {thing} kept in the {asked}"
        columns["question"].append(question)
        columns["answer"].append(answer)
        columns["passage"].append(
            f"{name} owns a {thing}. The {thing} is {color} and is kept in the {place} most of the year."
        )
    write_parquet(Path(root) / "data" / "validation-00000-of-00001.parquet", columns, FEATURES)
