"""The library code a rule runs, read from the source: its entry points (a script, a module
run with ``-m`` or loaded by name) and every ``mlan`` module they import, transitively. The
rules declare these files as inputs, so an edit to one of them reruns the rule and an edit
to any other module reruns nothing (rules/common.smk: ``library``).

Imports are found with ``ast`` anywhere in a file (inside functions too), absolute or
relative; ``from mlan.a import b`` counts ``mlan/a/b.py`` where ``b`` is a module. A module
loaded by a computed name (``importlib``) is not seen: the rule names it as an entry point."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = "mlan"


def _module_of(path: Path, root: Path) -> list[str]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(path: str | Path, root: str | Path) -> list[str]:
    """The ``mlan`` modules the file at ``path`` (relative to ``root``) may import; a
    ``from X import y`` gives ``X`` and ``X.y`` (``y`` a module or not: resolved later)."""
    return list(_imported_modules(str(path), str(root)))


@functools.cache  # every rule's closure shares most files: each is parsed once per start-up
def _imported_modules(path: str, root: str) -> tuple[str, ...]:
    root = Path(root)
    tree = ast.parse((root / path).read_text(), filename=str(path))
    package = _module_of(root / path, root)
    if not (root / path).name == "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the file's own package upwards
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module:
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
    return tuple(sorted(name for name in names if name.split(".")[0] == PACKAGE))


def module_files(name: str, root: str | Path) -> list[str]:
    """The files importing module ``name`` executes: its packages' ``__init__.py`` and its own."""
    root = Path(root)
    parts = name.split(".")
    found = []
    for depth in range(1, len(parts) + 1):
        stem = Path(*parts[:depth])
        for candidate in (stem / "__init__.py", stem.with_suffix(".py")):
            if (root / candidate).is_file():
                found.append(str(candidate))
    return found


def library(root: str | Path, *entries: str) -> list[str]:
    """The ``mlan`` files of the code that ``entries`` (paths relative to ``root``) run."""
    seen, todo = set(), list(entries)
    while todo:
        path = todo.pop()
        if path not in seen:
            if not (Path(root) / path).is_file():
                raise FileNotFoundError(f"rule code '{path}' does not exist under {root}")
            seen.add(path)
            todo += [f for name in imported_modules(path, root) for f in module_files(name, root)]
    return sorted(path for path in seen if path.startswith(f"{PACKAGE}/"))
