"""Toy StrategyQA: the facts say which object someone keeps and its colour; the question
asks whether that object has some colour, so the yes/no answer follows from the facts."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, NAMES, OBJECTS, PLACES, write_parquet

_TEXT = datasets.Value("string")
FEATURES = datasets.Features(
    {
        "qid": _TEXT,
        "term": _TEXT,
        "description": _TEXT,
        "question": _TEXT,
        "answer": datasets.Value("bool"),
        "facts": datasets.List(_TEXT),
        "decomposition": datasets.List(_TEXT),
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for _ in range(rows):
        name, thing, place, color = rng.choice(NAMES), rng.choice(OBJECTS), rng.choice(PLACES), rng.choice(COLORS)
        answer = rng.random() < 0.5
        asked = color if answer else rng.choice([c for c in COLORS if c != color])
        columns["qid"].append(f"{rng.getrandbits(80):020x}")
        columns["term"].append(thing.capitalize())
        columns["description"].append(f"A {thing} that {name} keeps in the {place}")
        columns["question"].append(f"Is the {thing} that {name} keeps in the {place} {asked}?")
        columns["answer"].append(answer)
        columns["facts"].append([f"{name} keeps a {thing} in the {place}.", f"The {thing} of {name} is {color}."])
        columns["decomposition"].append([f"What color is the {thing} that {name} keeps?", f"Is #1 {asked}?"])
    write_parquet(Path(root) / "data" / "train-00000-of-00001.parquet", columns, FEATURES)
