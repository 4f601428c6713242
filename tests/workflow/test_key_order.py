"""A config that says the same thing in another key order reruns nothing: every mapping's
keys reversed, or the file re-saved by a YAML library (which sorts them), give the same jobs
with the same params (rules/common.smk makes the config canonical, mlan.config.canonical)."""

import json
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, copy_workflow, snakemake
from test_pipeline import planned_jobs

from mlan.config import canonical

pytestmark = [pytest.mark.pipeline, pytest.mark.xdist_group("default_run")]


def reversed_keys(value):
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def rewrites(name: str, folder) -> dict[str, str]:
    """``config/<name>`` as written, with every mapping's keys reversed, and re-saved by
    ``yaml.safe_dump``: three files in ``folder``, by how they were made."""
    config = yaml.safe_load((ROOT / "config" / name).read_text())
    files = {"as written": str(ROOT / "config" / name)}
    for how, text in {
        "keys reversed": yaml.safe_dump(reversed_keys(config), sort_keys=False),
        "yaml.safe_dump": yaml.safe_dump(config),
    }.items():
        path = folder / f"{how.replace(' ', '_').replace('.', '_')}-{name}"
        path.write_text(text)
        files[how] = str(path)
    assert list(yaml.safe_load(open(files["keys reversed"]))) == list(reversed(list(config)))
    return files


def params_digests(workdir, configfile: str) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests/workflow/planned_params.py"), f"--configfile={configfile}"],
        cwd=workdir, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_canonical_sorts_every_mapping_and_keeps_lists():
    value = {"b": [{"z": 1, "a": 2}], "a": {"y": 1.0, "x": None}}
    assert repr(canonical(value)) == repr({"a": {"x": None, "y": 1.0}, "b": [{"a": 2, "z": 1}]})
    assert repr(canonical(reversed_keys(value))) == repr(canonical(value))


def test_the_default_in_another_key_order_reruns_nothing(default_run, tmp_path):
    for how, path in rewrites("config.yaml", tmp_path).items():
        assert planned_jobs(default_run, f"--configfile={path}") == {}, how


def test_the_paper_grid_in_another_key_order_has_the_same_jobs_and_params(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    found = {how: params_digests(workdir, path) for how, path in rewrites("paper.yaml", tmp_path).items()}
    written = found.pop("as written")
    assert len(written) > 150 and len(set(written.values())) > 20  # the grid's jobs, params of many kinds
    for how, digests in found.items():
        assert digests == written, (how, sorted(k for k in written if digests.get(k) != written[k])[:5])
    assert snakemake(workdir, "-n", "--configfile=config/paper.yaml").returncode == 0
