"""The install pins: one constraints file, mirrored by the conda environment."""

import os
import re
from pathlib import Path

import pytest
import torch
import yaml
from conftest import ROOT


def pins(lines):
    found = {}
    for line in lines:
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            name, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


CONSTRAINTS = pins((ROOT / "constraints.txt").read_text().splitlines())


def test_torch_is_pinned_and_installed_at_the_pin():
    assert CONSTRAINTS["torch"] == "2.13.0"
    assert torch.__version__.split("+")[0] == "2.13.0"


def test_packages_that_break_cpu_torch_are_kept_out():
    import importlib.util

    assert "torchvision" not in CONSTRAINTS and "timm" not in CONSTRAINTS
    assert importlib.util.find_spec("torchvision") is None and importlib.util.find_spec("timm") is None
    assert CONSTRAINTS["lmms-eval"] == "0.7.3" and importlib.util.find_spec("lmms_eval") is not None
    major = int(CONSTRAINTS["filelock"].split(".")[0])
    assert major < 4  # lmms-eval 0.7.3 does not import with filelock 4


def test_conda_environment_pins_the_same_versions():
    environment = yaml.safe_load((ROOT / "envs" / "pipeline.yaml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    conda_pins = pins(pip_section)
    assert conda_pins, "envs/pipeline.yaml pins nothing"
    assert {name: CONSTRAINTS.get(name) for name in conda_pins} == conda_pins


def conda_pip_section() -> list[str]:
    environment = yaml.safe_load((ROOT / "envs" / "pipeline.yaml").read_text())
    return next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))


def test_the_conda_environment_has_every_dependency_and_no_path():
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ ]", entry)[0]).lower() for entry in declared}
    assert set(pins(conda_pip_section())) == names | {"lmms-eval"}
    # Snakemake creates the environment from a copy under .snakemake/conda/: a relative
    # path there (`-e ..`) would point into .snakemake/, so the project is on PYTHONPATH instead
    assert not [entry for entry in conda_pip_section() if entry.startswith("-") or "/" in entry or entry == ".."]


RESOLVE_ALL = pytest.mark.skipif(
    os.environ.get("MLAN_TEST_CONDA_RESOLVE") != "1", reason="resolves every dependency (~3 min)"
)


@pytest.mark.parametrize("resolve", ["pins", pytest.param("dependencies", marks=RESOLVE_ALL)])
def test_the_pip_section_resolves_from_where_snakemake_puts_it(tmp_path, resolve):
    import subprocess
    import sys

    folder = tmp_path / ".snakemake" / "conda"
    folder.mkdir(parents=True)
    (folder / "requirements.txt").write_text("\n".join(conda_pip_section()) + "\n")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "-q",
        "-r",
        "requirements.txt",
    ]
    command += ["--no-deps"] if resolve == "pins" else []
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def test_jobs_import_mlan_from_the_workflow_tree(tmp_path):
    import subprocess
    import sys

    from conftest import copy_workflow

    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "probe").mkdir()  # not beside mlan/: the script's folder is first on sys.path
    (workdir / "probe" / "probe.py").write_text("import mlan\nprint(mlan.__file__)\n")
    rule = 'rule probe:\n    output:\n        "probe.txt",\n    shell:\n        "python probe/probe.py > {output}"\n'
    (workdir / "probe.smk").write_text(f'include: "Snakefile"\n\n\n{rule}')
    command = [str(Path(sys.executable).with_name("snakemake")), "-s", "probe.smk", "--cores", "1", "probe.txt"]
    subprocess.run(command, cwd=workdir, check=True, capture_output=True)
    assert (workdir / "probe.txt").read_text().strip() == str(workdir / "mlan" / "__init__.py")
