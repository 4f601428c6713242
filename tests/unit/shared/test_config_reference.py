"""config/README.md documents every key of config/schema.yaml, generated from the schema."""

from conftest import ROOT

from mlan.config import load_schema
from mlan.config_reference import keys, reference


def test_the_readme_carries_the_generated_table_of_every_key():
    readme = (ROOT / "config" / "README.md").read_text()
    assert reference(ROOT / "config" / "schema.yaml") in readme, "run `python -m mlan.config_reference`"


def test_every_key_is_described():
    found = keys(load_schema(ROOT / "config" / "schema.yaml"))
    assert {"hub_cache", "analysis.diversity_sampling", "training.finetune.report_to", "models.<name>.compare_to",
            "evaluation.language_frame", "datasets.<dataset>.source"} <= {key for key, *_ in found}  # fmt: skip
    assert [key for key, _, _, text in found if not text] == []
