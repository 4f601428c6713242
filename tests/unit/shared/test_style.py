"""The project's own style gates: ruff, snakefmt and snakemake --lint stay clean."""

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

BIN = Path(sys.executable).parent


def run(*command):
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True)


def test_ruff_is_clean():
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout


def test_snakefmt_is_clean():
    result = run("snakefmt", "--check", "Snakefile", "rules")
    assert result.returncode == 0, result.stderr


def test_snakemake_lint_is_clean(workflow):
    result = subprocess.run([str(BIN / "snakemake"), "--lint"], cwd=workflow, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_test_can_fail_and_sits_where_its_kind_goes():
    """A test asserts, expects an exception, or calls an ``assert_*`` or ``check_*`` helper; tests
    live under unit/<package>, workflow/ or cluster/ (docs/tests.md)."""
    import ast

    silent, misplaced = [], []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        kind = path.relative_to(ROOT / "tests").parts[0]
        if kind not in ("unit", "workflow", "cluster"):
            misplaced.append(str(path))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                calls = {
                    call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call)
                }
                if not any(isinstance(n, ast.Assert) for n in ast.walk(node)) and not (
                    "raises" in calls or any(name.startswith(("check", "assert")) for name in calls)
                ):
                    silent.append(f"{path.name}::{node.name}")
    assert not misplaced and not silent, (misplaced, silent)
