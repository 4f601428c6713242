"""The package shows the pipeline's stages as folders, and imports only go downwards:
shared modules < data < training < evaluation < results < workflow (grid, stand-in)."""

import ast
import re

import pytest
from conftest import ROOT

LAYERS = {
    "shared": ["mlan", "mlan.errors", "mlan.atomic", "mlan.config", "mlan.scriptlog", "mlan.cpu_math", "mlan.names"],
    "data": ["mlan.data"],
    "training": ["mlan.training"],
    "evaluation": ["mlan.evaluation"],
    "results": ["mlan.results"],
    "workflow": ["mlan.grid", "mlan.standin", "mlan.preflight"],
}
RANK = {prefix: rank for rank, prefixes in enumerate(LAYERS.values()) for prefix in prefixes}
MODULES = sorted((ROOT / "mlan").rglob("*.py"))
MAX_LINES = 300


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> int:
    """The rank of the longest prefix of ``name`` that names a layer."""
    parts = name.split(".")
    for depth in range(len(parts), 0, -1):
        if ".".join(parts[:depth]) in RANK:
            return RANK[".".join(parts[:depth])]
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS")


def imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] == "mlan"}


def test_the_four_stages_are_folders():
    for stage in ("data", "training", "evaluation", "results"):
        assert (ROOT / "mlan" / stage / "__init__.py").is_file()


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_a_module_imports_only_its_own_layer_or_lower(path):
    upward = sorted(name for name in imports(path) if layer(name) > layer(module_name(path)))
    assert not upward, f"{module_name(path)} imports from a higher layer: {', '.join(upward)}"


def test_no_module_is_over_300_lines():
    long = {module_name(p): n for p in MODULES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long


def test_every_test_the_docs_name_exists():
    """docs/*.md and the READMEs cite tests as evidence; a renamed or removed test must not
    stay cited (``test_disk_full_*`` names a family by its prefix)."""
    defined = set()
    for path in (ROOT / "tests").rglob("*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(), re.M)) | {path.stem}
    documents = [
        *(ROOT / "docs").glob("*.md"),
        *ROOT.glob("*/README.md"),
        ROOT / "README.md",
        *ROOT.glob("*/*/README.md"),
    ]
    cited = {(path.name, name) for path in documents for name in re.findall(r"\b(test_\w+)", path.read_text())}
    unknown = sorted(
        (document, name)
        for document, name in cited
        if name not in defined and not (name.endswith("_") and any(d.startswith(name) for d in defined))
    )
    assert unknown == []
