"""The import walker that makes library code a rule's input (mlan/rule_code.py), on a small
package written here, and on the workflow's own scripts."""

import pytest
from conftest import ROOT

from mlan.rule_code import imported_modules, library, module_files

FILES = {
    "scripts/run.py": "import json\nfrom mlan.a import helper\n",
    "mlan/__init__.py": "",
    "mlan/a/__init__.py": "",
    "mlan/a/helper.py": "def f():\n    from mlan.b import thing  # inside a function: still found\n    return thing\n",
    "mlan/b.py": "from . import c\nfrom .a.helper import f\nimport numpy\nthing = 1\n",
    "mlan/c.py": "from mlan.a import NAME_NOT_A_MODULE\n",
    "mlan/unused.py": "import mlan.b\n",
}


@pytest.fixture
def tree(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_imports_anywhere_absolute_and_relative_are_found(tree):
    assert imported_modules("mlan/a/helper.py", tree) == ["mlan.b", "mlan.b.thing"]
    assert imported_modules("mlan/b.py", tree) == ["mlan", "mlan.a.helper", "mlan.a.helper.f", "mlan.c"]
    assert module_files("mlan.a.helper.f", tree) == ["mlan/__init__.py", "mlan/a/__init__.py", "mlan/a/helper.py"]


def test_the_closure_holds_what_runs_and_nothing_else(tree):
    assert library(tree, "scripts/run.py") == [
        "mlan/__init__.py", "mlan/a/__init__.py", "mlan/a/helper.py", "mlan/b.py", "mlan/c.py",
    ]  # fmt: skip
    assert "mlan/unused.py" not in library(tree, "scripts/run.py")
    assert library(tree, "scripts/run.py", "mlan/unused.py")[-1] == "mlan/unused.py"  # an entry point by name


def test_a_missing_entry_point_is_named(tree):
    with pytest.raises(FileNotFoundError, match="rule code 'scripts/gone.py' does not exist"):
        library(tree, "scripts/gone.py")


def test_the_evaluation_code_reaches_the_scorers_but_not_the_labels():
    """What a benchmark's declaration reaches: the tables read mlan/benchmarks.py, the
    evaluation and the data rules do not (their scoring comes as params)."""
    assert "mlan/benchmarks.py" in library(ROOT, "scripts/score_table.py")
    assert "mlan/benchmarks.py" not in library(ROOT, "scripts/evaluate.py")
    assert "mlan/evaluation/metrics.py" in library(ROOT, "scripts/evaluate.py")
    normalize = library(ROOT, "scripts/normalize.py", "mlan/data/sources/race.py")
    assert "mlan/benchmarks.py" not in normalize and "mlan/catalog.py" not in normalize
