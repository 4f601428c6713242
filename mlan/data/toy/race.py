"""Toy RACE-high: a short article about a few people and their things, with 1 to 3
questions each (some cloze style with "_"), stored like ``EleutherAI/race``: one row per
article and ``problems`` as a Python-literal string of ``{answer, options, question}``."""

import random
from pathlib import Path

import datasets

from mlan.data.records import letter
from mlan.data.toy.common import COLORS, NAMES, OBJECTS, PLACES, pick_options, write_parquet

FEATURES = datasets.Features({"article": datasets.Value("string"), "problems": datasets.Value("string")})


def _problem(rng: random.Random, name: str, thing: str, color: str, place: str) -> dict:
    kind = rng.randrange(3)
    if kind == 0:
        question, correct, pool = f"What color is {name}'s {thing}?", color, COLORS
    elif kind == 1:
        question, correct, pool = (
            f"Where did {name} go after school?",
            f"To the {place}.",
            [f"To the {p}." for p in PLACES],
        )
    else:
        question, correct, pool = f"{name}'s {thing} is _ .", color, COLORS
    options, answer = pick_options(rng, correct, pool, 4)
    return {"answer": letter(answer), "options": options, "question": question}


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for _ in range(rows):
        people = rng.sample(NAMES, rng.randint(1, 3))
        facts = [(name, rng.choice(OBJECTS), rng.choice(COLORS), rng.choice(PLACES)) for name in people]
        article = " ".join(
            f"{name}'s {thing} is {color}. After school {name} went to the {place}."
            for name, thing, color, place in facts
        )
        columns["article"].append(article)
        columns["problems"].append(str([_problem(rng, *rng.choice(facts)) for _ in range(rng.randint(1, 3))]))
    # the hub repo is script-based: its parquet is the refs/convert/parquet layout
    write_parquet(Path(root) / "high" / "test" / "0000.parquet", columns, FEATURES)
