"""The stand-in of the paper's grid is config/paper.yaml with only sources and sizes changed,
so a CPU run of it takes every code path the paper config takes."""

import copy
import fnmatch
from fractions import Fraction

import pytest
import yaml
from conftest import ROOT

from mlan.config import check_config
from mlan.errors import ConfigError
from mlan.grid import Grid
from mlan.standin.grid import standin_config

PAPER = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
# What the stand-in may change, written down here independently of mlan.standin.grid.
MAY_DIFFER = (
    "budget",
    "datasets.*.source",
    "hub_cache",
    "training.*.global_batch_size",
    "training.*.max_per_device_batch_size",
    "training.*.save_steps",
    "training.*.pack_tokens",
    "analysis.diversity_pairs",
)


def leaves(node, prefix=""):
    """Dotted key -> value for every leaf (lists are leaves: methods, grids, stop strings)."""
    if not isinstance(node, dict):
        return {prefix: node}
    found = {}
    for key, value in node.items():
        found |= leaves(value, f"{prefix}.{key}" if prefix else key)
    return found


def allowed(key):
    return any(fnmatch.fnmatchcase(key, pattern) or fnmatch.fnmatchcase(key, pattern + ".*") for pattern in MAY_DIFFER)


def test_the_standin_differs_from_the_paper_config_only_in_sources_and_sizes(tmp_path):
    standin = standin_config(PAPER, tmp_path)
    paper, ours = leaves(PAPER), leaves(standin)
    changed = sorted(
        key for key in paper.keys() | ours.keys() if paper.get(key, "<absent>") != ours.get(key, "<absent>")
    )
    assert [key for key in changed if not allowed(key)] == []
    # and it does change them: every source is a local folder, budgets and batches are scaled
    assert all(ours[f"datasets.{name}.source.local"].startswith(str(tmp_path)) for name in PAPER["datasets"])
    assert standin["models"] == PAPER["models"] and standin["hub_cache"] == str(tmp_path.resolve() / "hub")
    assert standin["budget"] < PAPER["budget"] and "training.finetune.deepspeed" not in changed
    check_config(standin, ROOT / "config" / "schema.yaml")


def share(grid, mix):
    """A mixture's budget as a share of the grid's (the budget-scaling runs: 1/4 ... 1)."""
    return Fraction(mix.budget, grid.budget)


def test_the_standin_has_the_paper_grid_at_its_budget(tmp_path):
    standin = standin_config(PAPER, tmp_path)
    for key, value in leaves(standin).items():
        if key.endswith((".local", ".llm.source", ".vision.source")):
            (tmp_path / value).mkdir(parents=True, exist_ok=True)  # the folders the grid checks for
    paper, ours = Grid(PAPER), Grid(standin)
    assert ours.models == paper.models
    for model in paper.models:
        assert [mix.percent for mix in ours.mixes(model)] == [mix.percent for mix in paper.mixes(model)]
        assert [share(ours, mix) for mix in ours.mixes(model)] == [share(paper, mix) for mix in paper.mixes(model)]
    assert len(ours.runs()) == len(paper.runs()) == 17
    for mix, paper_mix in zip(ours.all_mixes(), paper.all_mixes(), strict=True):
        assert ours.mixture_datasets(mix) == paper.mixture_datasets(paper_mix), mix  # no dataset drops out


def test_an_edit_to_the_paper_grid_reaches_the_standin(tmp_path):
    paper = copy.deepcopy(PAPER)
    paper["models"]["vicuna"]["methods"]["mlan_v"] = 62.5
    paper["evaluation"]["max_new_tokens"] = 8
    paper["training"]["finetune"]["learning_rate"] = 1e-5
    standin = standin_config(paper, tmp_path)
    assert standin["models"]["vicuna"]["methods"]["mlan_v"] == 62.5
    assert standin["evaluation"]["max_new_tokens"] == 8 and standin["training"]["finetune"]["learning_rate"] == 1e-5


def test_weights_without_a_standin_layout_are_named(tmp_path):
    paper = copy.deepcopy(PAPER)
    paper["models"]["vicuna"]["llm"]["source"] = "mistralai/Mistral-7B-v0.1"
    with pytest.raises(ConfigError, match=r"models\.vicuna\.llm\.source 'mistralai/Mistral-7B-v0\.1' has no stand-in"):
        standin_config(paper, tmp_path)
