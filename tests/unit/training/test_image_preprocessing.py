"""image_aspect_ratio: LLaVA-1.5 pads an image to a square with the mean colour before
resizing (the whole image is seen); crop resizes the short side and centre-crops."""

import json

import numpy as np
import pytest
from PIL import Image
from transformers import AutoProcessor

from mlan.standin.weights import save_clip
from mlan.training.processor import build_processor, save_processor

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711])
RED, BLUE = (255, 0, 0), (0, 0, 255)


def wide_image(height: int) -> Image.Image:
    """Twice as wide as high, blue, with a red band on its left eighth."""
    pixels = np.zeros((height, 2 * height, 3), np.uint8)
    pixels[:] = BLUE
    pixels[:, : height // 4] = RED
    return Image.fromarray(pixels)


def normalized(rgb) -> np.ndarray:
    return (np.asarray(rgb) / 255 - CLIP_MEAN) / CLIP_STD


def spec(aspect: str) -> dict:
    tiny = {
        "llm": {"config": {}, "tokenizer_vocab_size": 300},
        "vision": {"config": {"image_size": 32, "patch_size": 8}},
    }
    return tiny | {"image_aspect_ratio": aspect}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "text.jsonl"
    row = {
        "question": "what colour is it",
        "answer": "red",
        "dataset": "x",
        "id": "1",
        "task": "qa",
        "modality": "text",
        "answer_type": "open",
    }
    path.write_text((json.dumps(row) + "\n") * 50)
    return [path]


def pixel_values(processor, image) -> np.ndarray:
    return processor.image_processor(image, return_tensors="np")["pixel_values"][0]  # (3, H, W)


def test_pad_keeps_the_whole_image_and_pads_with_the_mean_colour(corpus):
    processor, _ = build_processor("tiny", spec("pad"), corpus)
    values = pixel_values(processor, wide_image(32))
    # 64x32 padded to 64x64 (16 rows of mean colour above and below), then resized to 32x32
    mean_colour = normalized([int(m * 255) for m in CLIP_MEAN])  # LLaVA: tuple(int(x * 255) for x in mean)
    assert values[:, 0, 0] == pytest.approx(mean_colour, abs=1e-5)
    assert values[:, 31, 31] == pytest.approx(mean_colour, abs=1e-5)
    assert values[:, 16, 0] == pytest.approx(normalized(RED), abs=1e-5)  # the red band survives
    assert values[:, 16, 31] == pytest.approx(normalized(BLUE), abs=1e-5)


def test_crop_drops_the_sides(corpus):
    processor, _ = build_processor("tiny", spec("crop"), corpus)
    values = pixel_values(processor, wide_image(32))
    assert values[:, 0, 0] == pytest.approx(normalized(BLUE), abs=1e-5)  # the red band is cut off
    assert values[:, 16, 0] == pytest.approx(normalized(BLUE), abs=1e-5)


def test_a_saved_processor_pads_as_it_was_built(tmp_path, corpus):
    clip = save_clip(tmp_path / "clip", seed=0)  # 336 px, the hub's CLIP preprocessing file
    paper = spec("pad") | {"vision": {"source": str(clip)}}
    processor, facts = build_processor("paper", paper, corpus)
    save_processor(processor, facts, tmp_path / "processor")
    loaded = AutoProcessor.from_pretrained(tmp_path / "processor")
    values = pixel_values(loaded, wide_image(84))
    assert values.shape == (3, 336, 336) and facts["tokens_per_image"] == 576
    assert values[:, 0, 0] == pytest.approx(normalized([int(m * 255) for m in CLIP_MEAN]), abs=1e-5)
    assert values[:, 168, 0] == pytest.approx(normalized(RED), abs=1e-5)
