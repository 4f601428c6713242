"""Toy CosmosQA: a two-sentence story; the question asks where someone went or what colour
the thing they brought was, with four answers (the story states the right one)."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, NAMES, OBJECTS, PLACES, pick_options, write_parquet

_TEXT = datasets.Value("string")
FEATURES = datasets.Features(
    {
        "id": _TEXT,
        "context": _TEXT,
        "question": _TEXT,
        "answer0": _TEXT,
        "answer1": _TEXT,
        "answer2": _TEXT,
        "answer3": _TEXT,
        "label": datasets.Value("int32"),
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        name, place, thing, color = rng.choice(NAMES), rng.choice(PLACES), rng.choice(OBJECTS), rng.choice(COLORS)
        context = f"Yesterday {name} went to the {place}. {name} brought the {color} {thing} to show everyone."
        if rng.random() < 0.5:
            question, answers = f"Where did {name} go yesterday?", [f"To the {p}." for p in PLACES]
            correct = f"To the {place}."
        else:
            question, answers = f"What color was the {thing} {name} brought?", [f"It was {c}." for c in COLORS]
            correct = f"It was {color}."
        options, label = pick_options(rng, correct, answers, 4)
        columns["id"].append(f"3TOY{index:06d}##Blog_{1000 + index}##q1_a1##{rng.getrandbits(40):010X}")
        columns["context"].append(context)
        columns["question"].append(question)
        for position, option in enumerate(options):
            columns[f"answer{position}"].append(option)
        columns["label"].append(label)
    # the hub repo is script-based: its parquet is the refs/convert/parquet layout
    write_parquet(Path(root) / "default" / "train" / "0000.parquet", columns, FEATURES)
