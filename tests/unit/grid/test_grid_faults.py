"""Grid settings that cannot work stop at start-up, naming the key (mlan.grid)."""

import copy

import pytest
import yaml
from conftest import ROOT

from mlan.errors import ConfigError
from mlan.grid import Grid

PAPER = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())


def test_pack_tokens_below_max_length_stops_at_start_up():
    config = copy.deepcopy(PAPER)
    config["training"]["finetune"]["pack_tokens"] = 1024
    with pytest.raises(ConfigError, match=r"training\.finetune\.pack_tokens: 1024 is below max_length \(2048\)"):
        Grid(config)


@pytest.mark.parametrize("content,problem", [(None, "does not exist"), ("{not json", "is not valid JSON")])
def test_a_missing_or_broken_deepspeed_config_stops_at_start_up(tmp_path, content, problem):
    config = copy.deepcopy(PAPER)
    path = tmp_path / "zero3.json"
    if content is not None:
        path.write_text(content)
    config["training"]["finetune"]["deepspeed"] = str(path)
    with pytest.raises(
        ConfigError, match=rf"training\.finetune\.deepspeed: the DeepSpeed config '.*zero3\.json' {problem}"
    ):
        Grid(config)


@pytest.mark.parametrize(
    "percent,message",
    [
        (0.00001, r"methods\.mlan: 1e-05 is not a percentage of at most 6 decimals"),  # "lang1e-05": no rule made it
        (12.3456789, r"methods\.mlan: 12\.3456789 is not a percentage of at most 6 decimals"),
        (0.1, r"methods\.mlan: 0\.1% of budget 80000 is 80 language"),  # a valid one: no error
        (0.0001, r"methods\.mlan: 0\.0001% of budget 80000 is 0 language instances, the 0% mixture under another"),
        (99.9999, r"methods\.mlan: 99\.9999% of budget 80000 is 80000 language instances, the 100% mixture"),
    ],
)
def test_a_ratio_without_a_mixture_of_its_own_stops_at_start_up(percent, message):
    config = copy.deepcopy(PAPER)
    config["models"]["llama2"]["methods"]["mlan"] = percent
    if percent == 0.1:
        assert Grid(config).method_mix("llama2", "mlan").percent * 800 == 80
        return
    with pytest.raises(ConfigError, match=message):
        Grid(config)
