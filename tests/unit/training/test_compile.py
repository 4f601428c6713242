"""``compile_layers``: decoder layers under torch.compile train as eager ones do, compile
once for all layers and row lengths, and the saved model is the same kind of folder."""

import copy
import json

import pytest
import torch
from conftest import FAST, TINY, step_log
from safetensors.torch import load_file

from mlan.errors import MlanError
from mlan.training.model import build_base_model, compile_decoder_layers, load_model
from mlan.training.settings import Settings
from mlan.training.train import train

PACKED = {**FAST, "pack_tokens": 512}
LAYERS = 3


@pytest.fixture(scope="module")
def deeper_base(world, tmp_path_factory):
    """The world's base model with three decoder layers: one compiled graph must serve them all."""
    from transformers import AutoProcessor

    spec = copy.deepcopy(TINY)
    spec["llm"]["config"]["num_hidden_layers"] = LAYERS
    processor = AutoProcessor.from_pretrained(world / "base")
    folder = tmp_path_factory.mktemp("deeper") / "base"
    build_base_model("tiny", spec, processor.tokenizer, seed=0).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def test_compiling_keeps_parameter_names(deeper_base):
    model = load_model(deeper_base)
    names = list(model.state_dict())
    assert compile_decoder_layers(model) == LAYERS
    assert list(model.state_dict()) == names


def test_compiled_layers_train_as_eager_ones(world, deeper_base, tmp_path):
    """Packed rows of text and image steps (per-instance attention stays eager on a CPU)."""
    from torch._dynamo.utils import counters

    def run(name, **extra):
        folder = tmp_path / name
        train(
            "finetune", deeper_base, world / "mix50.json", world / "images", folder, tmp_path / f"{name}.ckpt",
            Settings(**PACKED, **extra),
        )  # fmt: skip
        return folder

    eager = run("eager")
    torch._dynamo.reset()
    counters.clear()
    # A graph per layer (a KV cache in the training forward is one cause) or per row length
    # would recompile the layers' shared code over and over: stop at the second recompile.
    with torch._dynamo.config.patch(recompile_limit=2, fail_on_recompile_limit_hit=True):
        compiled = run("compiled", compile_layers=True)
    assert counters["stats"]["unique_graphs"] > 0  # the layers did run compiled
    torch._dynamo.reset()

    assert [s["samples_seen"] for s in step_log(compiled)] == [s["samples_seen"] for s in step_log(eager)]
    for a, b in zip(step_log(eager), step_log(compiled), strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4)
    summary = json.loads((compiled / "train_summary.json").read_text())
    assert summary["compiled_layers"] == LAYERS and summary["settings"]["compile_layers"] is True
    eager_weights, compiled_weights = (load_file(str(f / "model.safetensors")) for f in (eager, compiled))
    assert compiled_weights.keys() == eager_weights.keys()
    for key, value in eager_weights.items():
        torch.testing.assert_close(compiled_weights[key], value, rtol=1e-3, atol=1e-4)
    assert json.loads((compiled / "config.json").read_text())["text_config"]["use_cache"] is True  # for generation


def test_compiled_layers_with_deepspeed_are_refused_before_loading(world, tmp_path):
    settings = Settings(**FAST, compile_layers=True, deepspeed="config/deepspeed/zero3.json")
    data, images = world / "mix50.json", world / "images"
    with pytest.raises(MlanError, match="compile_layers"):
        train("finetune", world / "base", data, images, tmp_path / "o", tmp_path / "c", settings)
    assert not (tmp_path / "c").exists()  # refused before any checkpoint folder or model load
