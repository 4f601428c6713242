"""What every benchmark records beside its figures: the machine, the versions, the command;
the JSON it writes and the row it appends to ``docs/benchmarks.md``."""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# Dense bf16 peak of the GPU (no sparsity), TFLOP/s: the denominator of MFU.
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}


def machine() -> dict:
    import torch

    found = {"cpus": os.cpu_count(), "platform": platform.platform()}
    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0)
        found |= {"gpu": properties.name, "gpu_memory_gib": round(properties.total_memory / 2**30, 1)}
    return found


def peak_tflops(gpu: str | None) -> float | None:
    return next((peak for name, peak in PEAK_TFLOPS.items() if gpu and name in gpu), None)


def versions() -> dict:
    import torch

    found = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda}
    for name in ("transformers", "accelerate", "deepspeed", "lm_eval", "lmms_eval"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def command() -> str:
    return "python -m benchmarks." + Path(sys.argv[0]).stem + " " + shlex.join(sys.argv[1:])


def record(figures: dict) -> dict:
    stamp = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "versions": versions(), "command": command()}
    return stamp | figures


def write(result: dict, out: Path, doc: Path | None, name: str, row: list) -> None:
    """The JSON, and one table row put just above the doc's ``<!-- rows: NAME -->`` marker
    (the end of that benchmark's table)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2), flush=True)
    if doc is None:
        return
    marker = f"<!-- rows: {name} -->"
    text = doc.read_text()
    if marker not in text:
        raise SystemExit(f"{doc} has no '{marker}' line to append the row above")
    line = "| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |"
    doc.write_text(text.replace(marker, f"{line}\n{marker}", 1))


def gpu_summary(result: dict) -> str:
    found = result["machine"]
    versions = result["versions"]
    software = ", ".join(f"{k} {versions[k]}" for k in ("torch", "transformers") if k in versions)
    return f"{found.get('gpu', 'cpu')} ({software})"
