"""Config mistakes stop start-up naming the file, line or key (mlan.config, mlan.preflight)."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT

from mlan.config import check_config, refuse_duplicate_keys
from mlan.errors import ConfigError
from mlan.grid import Grid

PAPER = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())


SCHEMA = ROOT / "config" / "schema.yaml"


DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def checked(config: dict) -> None:
    """What start-up does (rules/common.smk): the schema, then the grid."""
    check_config(config, SCHEMA)
    Grid(config)


def set_path(config: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        config = config[key]
    config[last] = value


CONFIG_CASES = {
    "unknown top-level key": ("budegt", 480, r"config key '<top level>'.*'budegt' was unexpected"),
    "unknown nested key": (
        "training.finetune.learning_rat",
        0.1,
        r"'training\.finetune'.*'learning_rat' was unexpected",
    ),
    "budget is a string": ("budget", "480", r"config key 'budget': '480' is not of type 'integer'"),
    "seeds not a list": ("seeds", 42, r"config key 'seeds': 42 is not of type 'array'"),
    "ratio above 100": ("models.tiny.methods.mlan", 150, r"'models\.tiny\.methods\.mlan': 150 is greater than"),
    "ratio below 0": ("models.tiny.ratio_grid", [0, -5], r"'models\.tiny\.ratio_grid\.1': -5 is less than"),
    "budget scaling not whole": ("budget", 10, r"models\.tiny\.budget_scaling: 25% of budget 10 is not a whole"),
    "learning rate zero": ("training.pretrain.learning_rate", 0, r"'training\.pretrain\.learning_rate': 0 is less"),
    "unknown dataset": (
        "datasets.squadd",
        {"source": {"toy": {"rows": 5}}},
        r"config key 'datasets': 'squadd' does not match",
    ),
    "unknown benchmark": ("evaluation.benchmarks", ["race", "mmlu"], r"'evaluation\.benchmarks\.1': 'mmlu' is not one"),
    "missing model path": ("models.tiny.llm", {"source": "/nowhere/llama"}, r"models\.tiny\.llm\.source: the folder"),
    "missing local dataset": ("datasets.squad.source", {"local": "/nowhere/squad"}, r"datasets\.squad\.source\.local"),
    "bad-row policy typo": ("on_bad_rows", "ignore", r"config key 'on_bad_rows': 'ignore' is not one of"),
}


def test_a_key_given_twice_names_the_file_and_both_lines(tmp_path):
    path = tmp_path / "overlay.yaml"
    path.write_text("budget: 480\nmodels:\n  tiny: {methods: {mlan: 100}}\nbudget: 240\n")
    with pytest.raises(ConfigError, match=r"overlay\.yaml, line 4: key 'budget' is given twice \(first on line 1\)"):
        refuse_duplicate_keys([path])
    nested = tmp_path / "nested.yaml"
    nested.write_text("models:\n  tiny: {}\n  tiny: {}\n")
    with pytest.raises(ConfigError, match=r"line 3: key 'tiny' is given twice"):
        refuse_duplicate_keys([nested])
    refuse_duplicate_keys([ROOT / "config" / name for name in ("config.yaml", "paper.yaml", "instructions.yaml")])


def test_a_yaml_error_or_a_missing_config_file_is_named_with_its_line(tmp_path):
    from mlan.config import load_config_file

    path = tmp_path / "overlay.yaml"
    path.write_text("budget: 480\nseeds: [42\n")
    with pytest.raises(ConfigError, match=r"overlay\.yaml: not valid YAML: while parsing a flow sequence \(line 2, "):
        load_config_file(path)
    with pytest.raises(ConfigError, match=r"config file '.*nothere\.yaml' does not exist"):
        load_config_file(tmp_path / "nothere.yaml")
    path.write_text("- budget\n")
    with pytest.raises(ConfigError, match=r"overlay\.yaml: a config file holds keys \(a mapping\), not a list"):
        load_config_file(path)


def test_preflight_checks_configfiles_snakemake_reads_before_the_workflow(tmp_path, capsys):
    """Snakemake parses --configfile before any project code runs: `python -m mlan.preflight`
    gives the same start-up checks with the file, line and key."""
    from mlan.preflight import main as preflight

    preflight([str(ROOT / "config" / "paper.yaml")])
    assert capsys.readouterr().out.strip().endswith("paper.yaml: 17 finetuning runs, 19 evaluated models")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models:\n  tiny: {methods: {mlan: 100}\n")
    with pytest.raises(SystemExit, match=r"error: .*broken\.yaml: not valid YAML: .*\(line 2, column 9\)"):
        preflight([str(broken)])
    ratio = tmp_path / "ratio.yaml"
    ratio.write_text("models:\n  tiny:\n    methods: {mlan: 0.00001}\n")
    with pytest.raises(
        SystemExit, match=r"models\.tiny\.methods\.mlan: 1e-05 is not a percentage of at most 6 decimals"
    ):
        preflight([str(ratio)])


def test_a_missing_section_is_named_with_the_config_files(tmp_path):
    from mlan.config import check_config

    config = copy.deepcopy(PAPER)
    del config["evaluation"]["benchmarks"]
    with pytest.raises(
        ConfigError, match=r"invalid config \(from config/paper\.yaml\):\n  config key 'evaluation': 'benchmarks' is"
    ):
        check_config(config, ROOT / "config" / "schema.yaml", ["config/paper.yaml"])


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_bad_config_is_named(case):
    key, value, message = CONFIG_CASES[case]
    config = copy.deepcopy(DEFAULT)
    set_path(config, key, value)
    with pytest.raises(ConfigError, match=message):
        checked(config)
