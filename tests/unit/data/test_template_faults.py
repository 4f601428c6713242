"""A bad instruction template is named with its config key (mlan.data.templates)."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT

from mlan.data.templates import Instructions
from mlan.errors import ConfigError

GOOD = yaml.safe_load((ROOT / "config" / "instructions.yaml").read_text())


TEMPLATE_CASES = {
    "empty prompt list": (lambda d: d.update(mc=[]), r"'mc' must be a non-empty list"),
    "missing prompt table": (lambda d: d.pop("direct"), r"missing key\(s\) direct"),
    "layout without question": (lambda d: d["layout"].update(short="{context}{instruction}"), r"'layout\.short' lacks"),
    "layout without options": (lambda d: d["layout"].update(mc="{question}\n{instruction}"), r"\{options\}"),
    "misspelt placeholder": (lambda d: d["layout"].update(yesno="{questoin}\n{instruction}"), r"\{question\}"),
    "unknown placeholder": (lambda d: d["layout"].update(yesno="{question} {hint} {instruction}"), r"\{hint\}"),
    "target without answer": (lambda d: d.update(target="{direct}"), r"'target' lacks the placeholder\(s\) \{answer\}"),
    "missing layout": (lambda d: d["layout"].pop("mc"), r"layout\.mc is missing"),
}


@pytest.mark.parametrize("case", TEMPLATE_CASES)
def test_bad_template_is_named(case, tmp_path):
    edit, message = TEMPLATE_CASES[case]
    data = copy.deepcopy(GOOD)
    edit(data)
    path = tmp_path / "instructions.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=rf"instructions\.yaml: .*{message}"):
        Instructions.load(path)


def test_unparsable_template_file_names_the_config_key(tmp_path):
    path = tmp_path / "instructions.yaml"
    path.write_text("layout: [unclosed\n")
    with pytest.raises(ConfigError, match=r"instructions file '.*instructions\.yaml' \(config key 'instructions'\)"):
        Instructions.load(path)
