"""Two training processes sharing the cores, as the test suite's two workers do: each trains
the embedded default's tiny Llama (config/config.yaml) for some steps with 2 OpenMP threads,
side by side, once with OpenMP's default wait policy (waiting threads spin) and once with
``OMP_WAIT_POLICY=PASSIVE`` (they sleep, what tests/conftest.py sets); and alone, for scale.
Then the same with 1 thread per process, alone and side by side: what the tiny models' rules
ask for (``threads``), so that two of them share the 2 cores instead of taking turns.

On 2 cores, spinning threads hold a core the other process needs at every small kernel.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

from benchmarks import report

ROOT = Path(__file__).resolve().parents[1]
THREADS = 2  # OpenMP threads per process: the tests' jobs on 2 cores, the arms but the last two


def steps(count: int) -> None:
    """One process's work: ``count`` AdamW steps of the tiny LLM on a batch of 8 x 256 tokens."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    spec = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["models"]["tiny"]["llm"]
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(**spec["config"], vocab_size=spec["tokenizer_vocab_size"]))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, spec["tokenizer_vocab_size"], (8, 256))
    start = time.perf_counter()
    for _ in range(count):
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    print(f"{time.perf_counter() - start:.3f}", flush=True)


def side_by_side(processes: int, policy: str | None, count: int, threads: int = THREADS) -> list[float]:
    """Wall seconds of each of ``processes`` concurrent runs."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    env.pop("OMP_WAIT_POLICY", None)
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    command = [sys.executable, "-m", "benchmarks.shared_cores", "--worker", str(count)]
    running = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(processes)
    ]
    return [float(process.communicate()[0].split()[-1]) for process in running]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60, help="training steps per process")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "shared_cores.json")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md", help="'-' for no row")
    args = parser.parse_args()
    if args.worker:
        return steps(args.worker)

    settings = {
        "alone_spinning": (1, None, THREADS),
        "alone_passive": (1, "PASSIVE", THREADS),
        "two_spinning": (2, None, THREADS),
        "two_passive": (2, "PASSIVE", THREADS),
        "alone_one_thread": (1, None, 1),
        "two_one_thread": (2, None, 1),
    }
    seconds = {
        name: round(statistics.mean(side_by_side(processes, policy, args.steps, threads)), 2)
        for name, (processes, policy, threads) in settings.items()
    }
    # two runs' work on the 2 cores: in turn with 2 threads each (OpenMP's default wait, as a
    # Snakemake run has it), or side by side with 1 each
    in_turn, together = 2 * seconds["alone_spinning"], seconds["two_one_thread"]
    figures = {
        "steps": args.steps,
        "threads": THREADS,
        "seconds_per_process": seconds,
        "spinning_over_passive_side_by_side": round(seconds["two_spinning"] / seconds["two_passive"], 2),
        "two_runs_in_turn_over_side_by_side_one_thread": round(in_turn / together, 2),
    }
    result = report.record(figures)
    row = [
        result["date"],
        f"{result['machine']['cpus']} CPUs",
        f"`{result['command']}`",
        f"{seconds['alone_spinning']} s / {seconds['alone_passive']} s",
        f"{seconds['two_spinning']} s / {seconds['two_passive']} s",
        f"{figures['spinning_over_passive_side_by_side']}x",
        f"{seconds['alone_one_thread']} s / {seconds['two_one_thread']} s",
        f"{figures['two_runs_in_turn_over_side_by_side_one_thread']}x",
    ]
    report.write(result, args.out, None if str(args.doc) == "-" else args.doc, "shared_cores", row)


if __name__ == "__main__":
    main()
