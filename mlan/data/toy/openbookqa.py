"""Toy OpenBookQA: an unfinished sentence (``question_stem``) states a fact and asks to
complete it; four options labelled A-D, the right one being the colour just named."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, NAMES, OBJECTS, pick_options, write_parquet

_TEXT = datasets.Value("string")
FEATURES = datasets.Features(
    {
        "id": _TEXT,
        "question_stem": _TEXT,
        "choices": {"text": datasets.List(_TEXT), "label": datasets.List(_TEXT)},
        "answerKey": _TEXT,
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        name, thing, color = rng.choice(NAMES), rng.choice(OBJECTS), rng.choice(COLORS)
        options, answer = pick_options(rng, color, COLORS, 4)
        labels = list("ABCD")
        columns["id"].append(f"{rng.randint(7, 9)}-{100 + index}")
        columns["question_stem"].append(f"{name} paints a {thing} {color}, so after drying the {thing} is")
        columns["choices"].append({"text": options, "label": labels})
        columns["answerKey"].append(labels[answer])
    write_parquet(Path(root) / "main" / "test-00000-of-00001.parquet", columns, FEATURES)
