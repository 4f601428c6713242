"""Shared building blocks of the toy generators: a small world, images, parquet writing."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import datasets
from PIL import Image, ImageDraw

# A tiny closed world shared by every toy dataset, so language and vision tasks talk
# about the same things (what MLAN's transfer needs) and one tokenizer covers them all.
COLORS = ("red", "blue", "green", "yellow", "purple", "orange", "black", "white")
SHAPES = ("circle", "square", "triangle")
NAMES = ("Anna", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas")
OBJECTS = ("ball", "kite", "book", "lamp", "cup", "hat", "box", "chair", "bike", "drum")
PLACES = ("park", "kitchen", "garden", "library", "school", "market", "beach", "station")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five")

RGB = {
    "red": (220, 30, 30),
    "blue": (30, 60, 220),
    "green": (30, 170, 60),
    "yellow": (240, 220, 40),
    "purple": (140, 50, 170),
    "orange": (245, 140, 20),
    "black": (15, 15, 15),
    "white": (245, 245, 245),
}
BACKGROUND = (128, 128, 128)


@dataclass(frozen=True)
class Item:
    shape: str
    color: str


def random_scene(rng: random.Random, max_items: int = 3) -> list[Item]:
    """1..max_items shapes with distinct (shape, color) pairs."""
    count = rng.randint(1, max_items)
    items: list[Item] = []
    while len(items) < count:
        item = Item(rng.choice(SHAPES), rng.choice(COLORS))
        if item not in items:
            items.append(item)
    return items


def one_shape(rng: random.Random) -> list[Item]:
    """A scene of a single shape: what it is and its colour are all there is to see."""
    return [Item(rng.choice(SHAPES), rng.choice(COLORS))]


# Open questions about a scene that only the image answers, worded alike in every toy set
# that asks them (VQAv2 teaches them, GQA and RealWorldQA test them): (question, answer).
def look(kind: str, items: list[Item]) -> tuple[str, str]:
    if kind == "color":  # a one-shape scene
        return "What color is the shape?", items[0].color
    if kind == "shape":
        return "What shape is in the image?", items[0].shape
    if kind == "count":
        return "How many shapes are there?", str(len(items))
    raise ValueError(f"no question of kind '{kind}'")


def render(items: list[Item], size: int = 48, image_format: str = "PNG") -> bytes:
    """Draw the items left to right on a grey canvas; deterministic bytes."""
    canvas = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    cell = size // max(len(items), 1)
    for position, item in enumerate(items):
        left, top = position * cell + 2, size // 2 - cell // 2 + 2
        box = (left, top, left + cell - 4, top + cell - 4)
        color = RGB[item.color]
        if item.shape == "circle":
            draw.ellipse(box, fill=color)
        elif item.shape == "square":
            draw.rectangle(box, fill=color)
        else:
            draw.polygon([(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) // 2, box[1])], fill=color)
    buffer = io.BytesIO()
    canvas.save(buffer, format=image_format)
    return buffer.getvalue()


def image_cell(data: bytes, path: str | None = None) -> dict:
    """An image as the hub's parquet stores it: a ``{bytes, path}`` struct."""
    return {"bytes": data, "path": path}


def pick_options(
    rng: random.Random, correct: str, pool: tuple[str, ...] | list[str], count: int
) -> tuple[list[str], int]:
    """``count`` distinct options containing ``correct``, shuffled; returns (options, index)."""
    distractors = [value for value in pool if value != correct]
    options = rng.sample(distractors, count - 1) + [correct]
    rng.shuffle(options)
    return options, options.index(correct)


def write_parquet(path: str | Path, columns: dict[str, list], features: datasets.Features) -> Path:
    """Write rows as a hub-style parquet file (with the ``datasets`` feature metadata)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(columns, features=features).to_parquet(str(path))
    return path
