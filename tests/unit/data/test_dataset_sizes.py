"""Training data as the paper had it: StrategyQA's 2,290 questions (both files of the hub
copy), and every real dataset's count checked against the paper's split size."""

import shutil

import pytest

from mlan.catalog import ALL_DATASETS
from mlan.data.download import fetch_toy
from mlan.data.normalize import normalize_dataset, size_warning
from mlan.data.sources import adapter


def test_every_dataset_knows_its_split_size():
    sizes = {name: adapter(name).SPEC.expected_rows for name in ALL_DATASETS}
    assert all(sizes.values())
    assert sizes["strategyqa"] == 2290 and sizes["race"] == 1045 and sizes["boolq"] == 3270
    assert sizes["gqa"] == 12578 and sizes["scienceqa"] == 4241


def test_a_count_more_than_two_percent_off_is_a_warning():
    assert size_warning("boolq", 3270 - 65, 3270) is None  # 1.99 % off
    assert size_warning("boolq", 3270 - 66, 3270) == "boolq: 3,204 records, the paper's split has 3,270 (-2.0%)"
    assert size_warning("x", 5, None) is None


@pytest.fixture
def strategyqa_copy(tmp_path):
    """A hub-layout copy with the train and the test file, as ChilleD/StrategyQA has them."""
    source = tmp_path / "source"
    fetch_toy("strategyqa", source, 40, seed=0)
    other = tmp_path / "other"
    fetch_toy("strategyqa", other, 20, seed=1)
    shutil.copy(other / "data" / "train-00000-of-00001.parquet", source / "data" / "test-00000-of-00001.parquet")
    (source / "SOURCE.json").unlink()  # a user's local folder now, not a checked download
    return source


def test_strategyqa_reads_both_files_of_the_hub_copy(strategyqa_copy, tmp_path):
    source = strategyqa_copy
    stats = normalize_dataset("strategyqa", source, tmp_path / "s.jsonl", tmp_path / "images", check_size=True)
    assert stats["records"] == 60  # 40 train + 20 test rows
    assert stats["expected_rows"] == 2290 and stats["size_warning"].startswith("strategyqa: 60 records")
    toy = normalize_dataset("strategyqa", source, tmp_path / "t.jsonl", tmp_path / "images")
    assert "size_warning" not in toy  # toy copies are not checked
