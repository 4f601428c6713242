"""Where an output came from: the workflow's git commit and config hash (fixed when
Snakemake parses the workflow, handed to every job in the environment) and the versions of
the packages that compute it. Recorded in training summaries, evaluation files and beside
scores.csv; never a rule parameter, so recording it reruns nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = ("torch", "transformers", "deepspeed", "datasets", "lm_eval", "lmms_eval", "snakemake")
COMMIT, DIRTY, CONFIG = "MLAN_GIT_COMMIT", "MLAN_GIT_DIRTY", "MLAN_CONFIG_SHA256"


def config_sha256(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def git_state(root: str | Path) -> tuple[str, str]:
    """(commit, "true"/"false" for uncommitted changes); ("", "") outside a git checkout."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "", ""
    return commit.stdout.strip(), str(bool(status.stdout.strip())).lower()


def export(root: str | Path, config: dict) -> None:
    """Set the variables every job inherits (called once, when the workflow is parsed)."""
    os.environ[COMMIT], os.environ[DIRTY] = git_state(root)
    os.environ[CONFIG] = config_sha256(config)


def package_versions() -> dict[str, str | None]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def provenance() -> dict:
    return {
        "git_commit": os.environ.get(COMMIT) or None,
        "git_dirty": {"true": True, "false": False}.get(os.environ.get(DIRTY, "")),
        "config_sha256": os.environ.get(CONFIG) or None,
        "packages": package_versions(),
    }
