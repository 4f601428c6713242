"""Toy ARC: the question names two coloured objects and asks which one has a colour.

Like the hub copy it has two configs (half the rows each), 3 to 5 options, and a fifth of
the rows labelled "1".."n" instead of "A".."E", with ``answerKey`` a digit then.
"""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, OBJECTS, pick_options, write_parquet

_TEXT = datasets.Value("string")
FEATURES = datasets.Features(
    {
        "id": _TEXT,
        "question": _TEXT,
        "choices": {"text": datasets.List(_TEXT), "label": datasets.List(_TEXT)},
        "answerKey": _TEXT,
    }
)


def _columns(rng: random.Random, rows: int, id_format: str) -> dict:
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        first, second = rng.sample(OBJECTS, 2)
        color, other = rng.sample(COLORS, 2)
        count = rng.choice((3, 4, 4, 4, 5))
        options, answer = pick_options(rng, first, OBJECTS, count)
        labels = [str(n) for n in range(1, count + 1)] if rng.random() < 0.2 else list("ABCDE"[:count])
        columns["id"].append(id_format.format(index))
        columns["question"].append(
            f"On a table lie the {color} {first} and the {other} {second}. Which object is {color}?"
        )
        columns["choices"].append({"text": options, "label": labels})
        columns["answerKey"].append(labels[answer])
    return columns


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    challenge = rows // 2
    parts = (("ARC-Challenge", challenge, "Mercury_SC_4{:05d}"), ("ARC-Easy", rows - challenge, "MCAS_2004_8_{}"))
    for config, count, id_format in parts:
        write_parquet(Path(root) / config / "train-00000-of-00001.parquet", _columns(rng, count, id_format), FEATURES)
