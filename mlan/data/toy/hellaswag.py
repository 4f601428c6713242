"""Toy HellaSwag: someone carries an object to a place; the right ending puts it down in
that place, the three others in other places. WikiHow-style rows carry the "[header]",
"[title]" and "[step]" tags of the real data, and ``label`` is a string as on the hub."""

import random
from pathlib import Path

import datasets

from mlan.data.toy.common import COLORS, NAMES, OBJECTS, PLACES, pick_options, write_parquet

_TEXT = datasets.Value("string")
FEATURES = datasets.Features(
    {
        "ind": datasets.Value("int32"),
        "activity_label": _TEXT,
        "ctx_a": _TEXT,
        "ctx_b": _TEXT,
        "ctx": _TEXT,
        "endings": datasets.List(_TEXT),
        "source_id": _TEXT,
        "split": _TEXT,
        "split_type": _TEXT,
        "label": _TEXT,
    }
)


def generate(root: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = {name: [] for name in FEATURES}
    for index in range(rows):
        name, thing, color, place = rng.choice(NAMES), rng.choice(OBJECTS), rng.choice(COLORS), rng.choice(PLACES)
        places, label = pick_options(rng, place, PLACES, 4)
        wikihow = rng.random() < 0.3
        if wikihow:
            ctx_a, ctx_b = f"[header] How to move a {thing} [title] Carry the {color} {thing} to the {place}.", "[step]"
            endings = [f"[substeps] Put the {thing} down in the {p}." for p in places]
        else:
            ctx_a, ctx_b = f"{name} carries the {color} {thing} to the {place}.", "then they"
            endings = [f"put the {thing} down in the {p}." for p in places]
        columns["ind"].append(4 * index + 24)
        columns["activity_label"].append(f"Moving a {thing}")
        columns["ctx_a"].append(ctx_a)
        columns["ctx_b"].append(ctx_b)
        columns["ctx"].append(f"{ctx_a} {ctx_b}")
        columns["endings"].append(endings)
        columns["source_id"].append(
            f"wikihow~{rng.randint(10000, 99999)}" if wikihow else f"activitynet~v_{index:011d}"
        )
        columns["split"].append("val")
        columns["split_type"].append(rng.choice(("indomain", "zeroshot")))
        columns["label"].append(str(label))
    # the hub repo is script-based: its parquet is the refs/convert/parquet layout
    write_parquet(Path(root) / "default" / "validation" / "0000.parquet", columns, FEATURES)
