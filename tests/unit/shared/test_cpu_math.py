"""MKL's vector math (cos, exp, erf, ...) set up by one serial call before any call that
PyTorch splits between threads: without it, about one fresh process in fifteen computes its
first multi-threaded cos with a low-accuracy variant (mlan/cpu_math.py)."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

# A fresh interpreter per try: the race happens once per process, at VML's first call.
FIRST_CALL = """
import torch
from mlan.cpu_math import initialize_vector_math
initialize_vector_math()
torch.set_num_threads(2)
x = torch.linspace(0.0, 20.0, 2 * 2048 + 96)  # over the 2048-element grain: both threads
first, second = x.cos(), x.cos()
print(torch.equal(first, second), (first - x.double().cos()).abs().max().item())
"""
PROCESSES = 40  # with no initialization, 40 tries all agree with probability about 0.05


def first_calls() -> list[tuple[bool, float]]:
    env = {**os.environ, "OMP_NUM_THREADS": "2", "PYTHONPATH": str(ROOT)}
    results = []
    for _ in range(PROCESSES):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        results.append((out[0] == "True", float(out[1])))
    return results


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the race needs two threads on two cores")
def test_first_multithreaded_vector_math_call_is_accurate_after_initialization():
    results = first_calls()
    assert all(equal for equal, _ in results), results
    assert max(error for _, error in results) < 1e-5  # float32 cos of [0, 20]; the bad variant errs ~1e-4


def test_loading_a_model_initializes_vector_math_first(tmp_path, monkeypatch):
    import transformers

    import mlan.training.model

    order = []
    monkeypatch.setattr(mlan.training.model, "initialize_vector_math", lambda: order.append("vector math"))
    loading = classmethod(lambda cls, *args, **kwargs: order.append("weights"))
    monkeypatch.setattr(transformers.LlavaForConditionalGeneration, "from_pretrained", loading)
    (tmp_path / "config.json").write_text("{}")
    mlan.training.model.load_model(tmp_path)
    assert order == ["vector math", "weights"]
