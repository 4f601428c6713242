"""The workflow's own overhead, on the CPU: planning the paper's full grid (`snakemake -n`),
an up-to-date no-op run, and the embedded default end to end, each in a fresh copy of the
workflow as a clone would have it.

Goals (the issue's): dry run <= 5 s, no-op <= 5 s, default end to end <= 10 min.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from benchmarks import report

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ("Snakefile", "rules", "scripts", "config", "envs", "mlan", "report", "profiles")
GOALS = {"dry_run_seconds": 5.0, "noop_seconds": 5.0, "default_seconds": 600.0}
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def fresh_copy(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        source = ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, target / name)
    return target


def timed_snakemake(workdir: Path, *args: str) -> tuple[float, str]:
    """Wall seconds and output of one `snakemake --cores 2 ARGS` (the venv first on PATH, as
    `make run` has it)."""
    env = {**os.environ, **OFFLINE, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [str(Path(sys.executable).with_name("snakemake")), "--cores", "2", *args]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return seconds, done.stdout + done.stderr


def planned_jobs(output: str) -> int:
    found = re.search(r"^total\s+(\d+)$", output, flags=re.M)
    return int(found.group(1)) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the dry run and of the no-op (median)")
    parser.add_argument("--skip-default", action="store_true", help="only the dry run (no 6-minute default run)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pipeline_overhead.json")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md", help="'-' for no row")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mlan-pipeline-bench-") as scratch:
        workdir = fresh_copy(Path(scratch) / "workflow")
        dry = [timed_snakemake(workdir, "-n", "--configfile=config/paper.yaml", "all") for _ in range(args.repeats)]
        figures = {
            "paper_grid_jobs": planned_jobs(dry[0][1]),
            "dry_run_seconds": round(statistics.median(s for s, _ in dry), 2),
        }
        if not args.skip_default:
            seconds, output = timed_snakemake(workdir)
            figures |= {
                "default_jobs": int(re.findall(r"(\d+) of \1 steps \(100%\) done", output)[-1]),
                "default_seconds": round(seconds, 1),
                # the largest process of any job (ru_maxrss of waited descendants, KiB)
                "default_peak_rss_gib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2),
            }
            noop = [timed_snakemake(workdir) for _ in range(args.repeats)]
            assert all("Nothing to be done" in output for _, output in noop), "the no-op run had work to do"
            figures["noop_seconds"] = round(statistics.median(s for s, _ in noop), 2)
    figures["goals"] = {key: goal for key, goal in GOALS.items() if key in figures}
    figures["goals_met"] = all(figures[key] <= goal for key, goal in figures["goals"].items())
    result = report.record(figures)
    row = [
        result["date"],
        f"{result['machine']['cpus']} CPUs",
        f"snakemake {version('snakemake')}",
        f"`{result['command']}`",
        f"{figures['paper_grid_jobs']} jobs, {figures['dry_run_seconds']} s",
        f"{figures.get('noop_seconds', '-')} s",
        f"{figures.get('default_seconds', '-')} s ({figures.get('default_jobs', '-')} jobs)",
        "yes" if figures["goals_met"] else "no",
    ]
    report.write(result, args.out, None if str(args.doc) == "-" else args.doc, "pipeline", row)


if __name__ == "__main__":
    main()
