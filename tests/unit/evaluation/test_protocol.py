"""The two protocols and their options: one switch sets every option, an option given alone
overrides only itself, and a value no protocol knows is refused with its key."""

import pytest

from mlan.data.templates import Formatting
from mlan.errors import ConfigError
from mlan.evaluation.protocol import PRESETS, Protocol
from mlan.grid import Grid


def test_one_switch_sets_every_option():
    official, clean = Protocol.from_config({}, "official"), Protocol.from_config({}, "clean")
    for option, value in PRESETS["official"].items():
        assert getattr(official, option) == value and getattr(clean, option) == PRESETS["clean"][option]
        assert value != PRESETS["clean"][option], option  # every option is a difference
    assert (
        official.stop_strings("lm_eval") == ["User:", '"', ":", ".", ","] and official.stop_strings("lmms_eval") == []
    )
    assert clean.stop_strings("lmms_eval") == clean.stop


def test_an_option_given_alone_overrides_only_itself():
    evaluation = {"protocol": "official", "yesno_prompt_from": "dataset", "language_bos": None, "batch_size": 1}
    found = Protocol.from_config(evaluation, "official")
    assert found.yesno_prompt_from == "dataset" and found.batch_size == 1
    assert found.prompts == "official" and found.language_bos is False  # null: the protocol's
    # the released checkpoints' second protocol keeps the same override
    assert Protocol.from_config(evaluation, "clean").yesno_prompt_from == "dataset"


@pytest.mark.parametrize(
    "evaluation, message",
    [
        ({"extraction": "fuzzy"}, r"evaluation\.extraction: 'fuzzy'"),
        ({"promts": "official"}, "unknown key"),
    ],
)
def test_a_value_no_protocol_knows_is_refused_with_its_key(evaluation, message):
    with pytest.raises(ConfigError, match=message):
        Protocol.from_config(evaluation, "official")
    with pytest.raises(ConfigError, match="protocol: 'strict'"):
        Protocol.from_config({}, "strict")


def test_the_training_layout_follows_the_same_switch():
    assert vars(Formatting.from_config(None, "official")) == {
        "protocol": "official", "layout": "official", "yesno_prompt_from": "answer"
    }  # fmt: skip
    assert Formatting.from_config({"layout": "templates"}, "official").yesno_prompt_from == "answer"
    with pytest.raises(ConfigError, match="formatting.layout: 'paper'"):
        Formatting.from_config({"layout": "paper"}, "clean")


def test_a_released_folder_that_does_not_exist_is_named_at_start_up(tmp_path):
    import yaml
    from conftest import ROOT

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    mine = {"source": str(tmp_path / "absent"), "compare_to": {"model": "llama2", "method": "mlan"}}
    config["released"]["checkpoints"]["mine"] = mine
    with pytest.raises(ConfigError, match=r"released\.checkpoints\.mine\.source: the folder .*absent' does not exist"):
        Grid(config)
    config["released"]["checkpoints"].pop("mine")
    config["models"]["released"] = config["models"]["tiny"]
    with pytest.raises(ConfigError, match="models.released: the name is taken"):
        Grid(config)
