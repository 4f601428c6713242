"""bf16 parameters with fp32 master weights in the optimizer (the plain-PyTorch path's bf16)."""

import copy
import io
import json

import pytest
import torch
from conftest import FAST
from safetensors.torch import load_file

from mlan.errors import MlanError
from mlan.training.master_weights import MasterWeightAdamW, full_precision_weights
from mlan.training.settings import Settings, precision
from mlan.training.train import train


def small_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    model[0].bias.requires_grad_(False)  # a frozen parameter
    return model


def trainable(model):
    return [p for p in model.parameters() if p.requires_grad]


def bf16_gradients(model, seed):
    torch.manual_seed(seed)
    loss = model(torch.randn(5, 6, dtype=torch.bfloat16)).float().pow(2).sum()
    loss.backward()
    return [p.grad.clone() for p in trainable(model)]


def test_masters_step_exactly_like_fp32_adamw_on_the_bf16_gradients():
    model = small_model(0)
    reference = [p.detach().clone().requires_grad_() for p in trainable(model)]
    frozen_before = model[0].bias.detach().clone()
    built = torch.optim.AdamW(trainable(model), lr=0.05, weight_decay=0.1)
    optimizer = MasterWeightAdamW(built, model)
    expected = torch.optim.AdamW(reference, lr=0.05, weight_decay=0.1)

    assert all(p.dtype == torch.bfloat16 for p in model.parameters())  # frozen ones too
    assert all(m.dtype == torch.float32 for m in optimizer.masters)
    assert all(torch.equal(m, r) for m, r in zip(optimizer.masters, reference, strict=True))  # the exact fp32 start
    assert torch.equal(model[0].bias.float(), frozen_before.to(torch.bfloat16).float())

    for step in range(4):
        grads = bf16_gradients(model, step)
        for r, g in zip(reference, grads, strict=True):
            r.grad = g.float()
        norm = optimizer.clip_grad_norm_(0.5)
        expected_norm = torch.nn.utils.clip_grad_norm_(reference, 0.5)
        assert norm.dtype == torch.float32 and torch.equal(norm, expected_norm)
        assert expected_norm > 0.5  # clipping did something
        optimizer.step()
        expected.step()
        assert all(p.grad is None for p in model.parameters())
        for p, m, r in zip(trainable(model), optimizer.masters, reference, strict=True):
            assert torch.equal(m, r)
            assert torch.equal(p, m.to(torch.bfloat16))  # working copy: the master rounded to nearest
    assert not all(torch.equal(m, m.to(torch.bfloat16).float()) for m in optimizer.masters)


def test_a_parameter_without_gradient_is_not_stepped():
    model = small_model(0)
    optimizer = MasterWeightAdamW(torch.optim.AdamW(trainable(model), lr=0.1, weight_decay=0.1), model)
    bf16_gradients(model, 0)
    model[2].weight.grad = None  # e.g. the projector in a text-only step
    before = [m.clone() for m in optimizer.masters]  # trainable: weight 0, weight 2, bias 2
    optimizer.step()
    assert torch.equal(optimizer.masters[1], before[1])
    assert not torch.equal(optimizer.masters[0], before[0]) and not torch.equal(optimizer.masters[2], before[2])


def test_state_dict_restores_the_exact_masters_and_continues_identically():
    model = small_model(0)
    optimizer = MasterWeightAdamW(torch.optim.AdamW(trainable(model), lr=0.05), model)
    for step in range(3):
        bf16_gradients(model, step)
        optimizer.step()
    saved = io.BytesIO()
    torch.save(optimizer.state_dict(), saved)
    saved.seek(0)

    other = small_model(1)  # other weights: everything must come from the state
    restored = MasterWeightAdamW(torch.optim.AdamW(trainable(other), lr=0.05), other)
    other.load_state_dict({k: v.to(torch.bfloat16) for k, v in model.state_dict().items()})  # the Trainer's part
    restored.load_state_dict(torch.load(saved, weights_only=True))
    assert all(torch.equal(a, b) for a, b in zip(restored.masters, optimizer.masters, strict=True))
    bf16_gradients(model, 9)
    bf16_gradients(other, 9)
    optimizer.step()
    restored.step()
    assert all(torch.equal(a, b) for a, b in zip(restored.masters, optimizer.masters, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(other.parameters(), model.parameters(), strict=True))


def test_bad_optimizer_or_state_is_refused():
    model = small_model(0)
    with pytest.raises(MlanError, match="AdamW"):
        MasterWeightAdamW(torch.optim.SGD(trainable(model), lr=0.1), model)
    optimizer = MasterWeightAdamW(torch.optim.AdamW(trainable(small_model(0)), lr=0.1), small_model(0))
    state = torch.optim.AdamW(trainable(small_model(0)), lr=0.1).state_dict()
    with pytest.raises(MlanError, match="no fp32 master weights"):
        optimizer.load_state_dict(state)


def test_full_precision_weights_are_the_masters_and_the_base_values():
    base = small_model(0)
    model = copy.deepcopy(base)
    optimizer = MasterWeightAdamW(torch.optim.AdamW(trainable(model), lr=0.05), model)
    bf16_gradients(model, 0)
    optimizer.step()
    full_precision_weights(model, optimizer, base)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert torch.equal(model[0].bias, base[0].bias)  # frozen: the base's fp32 value, not its bf16 rounding
    assert all(torch.equal(p, m) for p, m in zip(trainable(model), optimizer.masters, strict=True))


@pytest.mark.parametrize(
    "settings,expected",
    [
        ({"bf16": False}, "fp32"),
        ({"bf16": True}, "bf16 master weights"),
        ({"bf16": True, "master_weights": False}, "bf16 autocast"),
        ({"bf16": True, "deepspeed": "config/deepspeed/zero3.json"}, "deepspeed bf16"),
    ],
)
def test_precision_follows_the_settings(settings, expected):
    assert precision(Settings(**{**FAST, **settings})) == expected


def test_finetuning_with_master_weights_saves_fp32_masters_and_untouched_frozen_weights(world, tmp_path):
    runs = {}
    for name, extra in {"masters": {}, "autocast": {"master_weights": False}}.items():
        train(
            "finetune",
            world / "base",
            world / "mix50.json",
            world / "images",
            tmp_path / name,
            tmp_path / f"{name}.ckpt",
            Settings(**{**FAST, "bf16": True, **extra}),
        )
        runs[name] = load_file(str(tmp_path / name / "model.safetensors"))
    summary = json.loads((tmp_path / "masters/train_summary.json").read_text())
    assert summary["precision"] == "bf16 master weights"
    base = load_file(str(world / "base/model.safetensors"))
    saved = runs["masters"]
    assert all(tensor.dtype == torch.float32 for tensor in saved.values())
    vision = [key for key in base if "vision_tower" in key]
    assert vision and all(torch.equal(saved[key], base[key]) for key in vision)
    language = [key for key in base if "language_model" in key and "norm" not in key]
    assert all(not torch.equal(saved[key], base[key]) for key in language)  # trained
    assert any(not torch.equal(saved[k], saved[k].to(torch.bfloat16).float()) for k in language)  # fp32 masters
    for key in language:  # the same arithmetic as autocast up to bf16 rounding of the working weights
        drift = (saved[key] - runs["autocast"][key]).norm() / (saved[key] - base[key]).norm()
        assert drift < 0.1, key
