"""``compile_layers``: decoder layers under torch.compile train as eager ones do, and the
saved model is the same kind of folder."""

import json

import pytest
import torch
from conftest import FAST
from safetensors.torch import load_file

from mlan.errors import MlanError
from mlan.model import compile_decoder_layers, load_model
from mlan.train import Settings, train

PACKED = {**FAST, "pack_tokens": 512}


def step_log(folder):
    return [json.loads(line) for line in (folder / "train_log.jsonl").read_text().splitlines()]


def test_compiling_keeps_parameter_names(world):
    model = load_model(world / "base")
    names = list(model.state_dict())
    assert compile_decoder_layers(model) == model.config.text_config.num_hidden_layers
    assert list(model.state_dict()) == names


def test_compiled_layers_train_as_eager_ones(world, tmp_path):
    """Packed rows of text and image steps (per-instance attention stays eager on a CPU)."""
    from torch._dynamo.utils import counters

    def run(name, **extra):
        folder = tmp_path / name
        train(
            "finetune", world / "base", world / "mix50.json", world / "images", folder, tmp_path / f"{name}.ckpt",
            Settings(**PACKED, **extra),
        )  # fmt: skip
        return folder

    eager = run("eager")
    torch._dynamo.reset()
    counters.clear()
    compiled = run("compiled", compile_layers=True)
    graphs = counters["stats"]["unique_graphs"]
    assert 0 < graphs < len(step_log(eager))  # compiled, and rows of new lengths did not recompile each step

    assert [s["samples_seen"] for s in step_log(compiled)] == [s["samples_seen"] for s in step_log(eager)]
    for a, b in zip(step_log(eager), step_log(compiled), strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4)
    summary = json.loads((compiled / "train_summary.json").read_text())
    layers = json.loads((world / "base/config.json").read_text())["text_config"]["num_hidden_layers"]
    assert summary["compiled_layers"] == layers and summary["settings"]["compile_layers"] is True
    eager_weights, compiled_weights = (load_file(str(f / "model.safetensors")) for f in (eager, compiled))
    assert compiled_weights.keys() == eager_weights.keys()
    for key, value in eager_weights.items():
        torch.testing.assert_close(compiled_weights[key], value, rtol=1e-3, atol=1e-4)
    torch._dynamo.reset()


def test_compiled_layers_with_deepspeed_are_refused_before_loading(world, tmp_path):
    settings = Settings(**FAST, compile_layers=True, deepspeed="config/deepspeed/zero3.json")
    data, images = world / "mix50.json", world / "images"
    with pytest.raises(MlanError, match="compile_layers"):
        train("finetune", world / "base", data, images, tmp_path / "o", tmp_path / "c", settings)
    assert not (tmp_path / "c").exists()  # refused before any checkpoint folder or model load
