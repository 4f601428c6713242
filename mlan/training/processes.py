"""The training job's processes (torchrun's environment): how many, which one writes the
outputs, and counts summed over all of them."""

from __future__ import annotations

import os

import torch


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def summed_over_processes(values: list[int]) -> list[int]:
    """Per-process counts summed over every rank of the job (one process: as they are)."""
    if not torch.distributed.is_initialized() or torch.distributed.get_world_size() == 1:
        return list(values)
    device = torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else "cpu"
    total = torch.tensor(values, dtype=torch.int64, device=device)
    torch.distributed.all_reduce(total)
    return [int(value) for value in total.tolist()]


def leave_process_group(wait: bool) -> None:
    """Close the job's process group before exiting (``wait``: once every rank got here, so
    the main process has written the model). A rank that exited with it open could abort in
    its communication threads ("terminate called without an active exception", SIGABRT)
    while the main process was still saving: a finished run reported as failed."""
    if not torch.distributed.is_initialized():
        return
    if wait:
        torch.distributed.barrier()
    torch.distributed.destroy_process_group()
