"""One serial call into MKL's vector math before any multi-threaded one.

On x86 CPUs PyTorch computes cos, sin, exp, erf, tanh, ... of float tensors with MKL's
vector math library (VML), splitting a tensor of more than 2048 elements between OpenMP
threads. VML sets itself up at its first call in a process, and when two threads make that
first call together, one of them can compute its share with a low-accuracy variant: the
rotary embedding's cos then errs by 1.5e-4 instead of 1.5e-6, the first step's gradients
change, and a run's weights differ from a rerun's (measured: 19 of 300 fresh processes on a
2-core machine; none of 400 after a serial call). Loading a model makes this call.
"""

from __future__ import annotations

import functools

import torch


@functools.cache
def initialize_vector_math() -> None:
    """Make VML's first call on this thread, on a tensor too small to be split between threads."""
    for dtype in (torch.float32, torch.float64):
        torch.cos(torch.linspace(0.1, 0.9, 16, dtype=dtype))
