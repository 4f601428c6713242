"""One adapter module per dataset: ``SPEC`` (what the dataset is) and
``normalize(source, images)`` yielding normalized records from the REAL raw schema.

Which datasets exist is ``mlan.catalog``'s (and the benchmarks', ``mlan.benchmarks``'s):
not imported here, so an adapter's rules depend on its own code, not on that list."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).parent


def _load(package: str, name: str) -> ModuleType:
    folder = HERE.parent / package.rsplit(".", 1)[-1]
    if not name.isidentifier() or name.startswith("_") or not (folder / f"{name}.py").is_file():
        known = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_") and p.stem != "raw")
        raise KeyError(f"unknown dataset '{name}': no {package}.{name} (known: {', '.join(known)})")
    return importlib.import_module(f"{package}.{name}")


def adapter(name: str) -> ModuleType:
    return _load("mlan.data.sources", name)


def toy_generator(name: str) -> ModuleType:
    return _load("mlan.data.toy", name)
