"""Start training on every GPU the job has.

One node: ``torchrun --standalone`` with one process per visible GPU (the count comes from
the allocation via CUDA_VISIBLE_DEVICES, never from the config), or a single process on a
machine without GPUs. Several nodes: the rule runs ``srun ... python -m mlan.training.launch``, one
task per node; each task starts one ``torchrun`` that meets the others at a rendezvous on
the first node of the step (static rendezvous, node rank = Slurm task rank). The global
batch is unchanged either way: ``batch_layout`` divides it over all processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

RENDEZVOUS_PORT_BASE = 29500
# torchrun, run by this interpreter: no reliance on PATH inside a job step
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count()


def first_host(nodelist: str) -> str:
    """The first host name of a Slurm node list such as ``gpu[03-04,07]``."""
    if not any(mark in nodelist for mark in "[,"):
        return nodelist
    hosts = subprocess.run(
        ["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, check=True
    ).stdout.split()
    if not hosts:
        raise SystemExit(f"error: scontrol gave no host for node list '{nodelist}'")
    return hosts[0]


def slurm_tasks(env: Mapping[str, str]) -> int:
    """How many ``srun`` tasks (one per node) share this training run; 1 outside srun."""
    if "SLURM_PROCID" not in env:
        return 1
    return int(env.get("SLURM_STEP_NUM_TASKS") or env.get("SLURM_NTASKS") or 1)


def command(argv: list[str], gpus: int, env: Mapping[str, str] | None = None, head: str = "") -> list[str] | None:
    """The torchrun command line, or None to train in this process."""
    env = os.environ if env is None else env
    tasks = slurm_tasks(env)
    if tasks > 1:
        port = RENDEZVOUS_PORT_BASE + int(env.get("SLURM_JOB_ID", "0")) % 1000
        return [
            *TORCHRUN,
            f"--nnodes={tasks}",
            f"--node_rank={env['SLURM_PROCID']}",
            f"--nproc_per_node={max(gpus, 1)}",
            f"--master_addr={head}",
            f"--master_port={port}",
            "-m",
            "mlan.training.train",
            *argv,
        ]
    if gpus < 1:
        return None
    return [*TORCHRUN, "--standalone", f"--nproc_per_node={gpus}", "-m", "mlan.training.train", *argv]


def main() -> None:
    argv = sys.argv[1:]
    env = os.environ
    head = first_host(env.get("SLURM_STEP_NODELIST") or env["SLURM_NODELIST"]) if slurm_tasks(env) > 1 else ""
    line = command(argv, gpu_count(), env, head)
    if line is None:
        from mlan.training.train import main as train

        train(argv)
    else:
        print("launching:", " ".join(line), flush=True)
        os.execv(line[0], line)


if __name__ == "__main__":
    main()
