"""Toy CommonsenseQA: the question says where someone left an object and asks where to
look for it; five places as options labelled A-E, one of them the place named."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import NAMES, OBJECTS, PLACES, pick_options, write_parquet

_TEXT = datasets.Value("string")
FEATURES = datasets.Features(
    {
        "id": _TEXT,
        "question": _TEXT,
        "question_concept": _TEXT,
        "choices": {"label": datasets.List(_TEXT), "text": datasets.List(_TEXT)},
        "answerKey": _TEXT,
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for _ in range(rows):
        name, thing, place = rng.choice(NAMES), rng.choice(OBJECTS), rng.choice(PLACES)
        options, answer = pick_options(rng, place, PLACES, 5)
        labels = list("ABCDE")
        columns["id"].append(f"{rng.getrandbits(128):032x}")
        columns["question"].append(f"{name} left the {thing} at the {place}. Where should {name} look for it?")
        columns["question_concept"].append(thing)
        columns["choices"].append({"label": labels, "text": options})
        columns["answerKey"].append(labels[answer])
    write_parquet(Path(root) / "data" / "train-00000-of-00001.parquet", columns, FEATURES)
