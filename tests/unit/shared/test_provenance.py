"""Every training summary, evaluation file and the score table record where they came
from: the workflow's commit (and whether it had uncommitted changes), the config's hash and
the package versions."""

import subprocess

import yaml
from conftest import ROOT

from mlan.provenance import config_sha256, git_state


def test_git_state_names_the_commit_and_uncommitted_changes(tmp_path):
    assert git_state(tmp_path) == ("", "")  # not a checkout
    run = lambda *args: subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (tmp_path / "a.txt").write_text("a")
    run("add", "a.txt")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a")
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert git_state(tmp_path) == (head, "false") and len(head) == 40
    (tmp_path / "a.txt").write_text("b")
    assert git_state(tmp_path) == (head, "true")


def test_the_config_hash_ignores_key_order_and_sees_every_value():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    reordered = dict(reversed(list(config.items())))
    assert config_sha256(reordered) == config_sha256(config)
    config["budget"] += 1
    assert config_sha256(config) != config_sha256(reordered)
