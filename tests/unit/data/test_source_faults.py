"""Bad raw data is named with its file and row before expensive work (mlan.data.sources, mlan.data.normalize)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlan.data.normalize import normalize_dataset
from mlan.data.sources import adapter, toy_generator
from mlan.errors import ConfigError, MlanError, RowError, SourceError


def toy_rows(name: str, tmp_path) -> list[dict]:
    toy_generator(name).generate(tmp_path / "toy", 4, 0)
    (path,) = sorted((tmp_path / "toy").rglob("*.parquet"))
    return pq.read_table(path).to_pylist()


def with_image(data: bytes):
    return lambda row: row.update(image={"bytes": data, "path": None})


def truncated_png(row):
    row["image"] = {"bytes": row["image"]["bytes"][:60], "path": None}


def second_row_same_id(rows):
    rows[1]["id"] = rows[0]["id"]


# dataset, edit of row 1 (or of all rows), the expected message after "row 1: "
DATA_CASES = {
    "missing field": ("squad", lambda row: row.pop("question"), "missing field 'question'"),
    "null field": ("squad", lambda row: row.update(context=None), "field 'context' is null"),
    "question not a string": ("squad", lambda row: row.update(question=5), "field 'question' is a int"),
    "answers not a struct": ("squad", lambda row: row.update(answers="x"), "field 'answers' has no 'text' entries"),
    "ending not a string": ("hellaswag", lambda row: row.update(ctx_b=5), "TypeError: 'int' object is not subscript"),
    "choices not a struct": ("commonsenseqa", lambda row: row.update(choices="ABC"), "not a {text, label} struct"),
    "empty choices": ("commonsenseqa", lambda row: row.update(choices={"text": [], "label": []}), "has no options"),
    "answer not among choices": ("commonsenseqa", lambda row: row.update(answerKey="Z"), "answerKey 'Z' is not one of"),
    "label out of range": ("cosmosqa", lambda row: row.update(label=7), "label"),
    # a string of options was split into one "option" per character; 1.9 became "B"
    "options as a string": (
        "hellaswag",
        lambda row: row.update(endings="abcd"),
        "field 'endings' is not a list of options: str",
    ),
    "option index 1.9": ("cosmosqa", lambda row: row.update(label=1.9), "field 'label' is not an option index: 1.9"),
    "option index true": ("cosmosqa", lambda row: row.update(label=True), "field 'label' is not an option index: True"),
    "option index '1.0'": (
        "hellaswag",
        lambda row: row.update(label="1.0"),
        "field 'label' is not an option index: '1.0'",
    ),
    "an option not a text": (
        "hellaswag",
        lambda row: row.update(endings=["a", ["b"]]),
        "has an option that is not a text: ['b']",
    ),
    "yes/no answer not a boolean": ("strategyqa", lambda row: row.update(answer="maybe"), "answer"),
    "unreadable image": ("vqav2", with_image(b"not an image"), "not a PNG, JPEG"),
    "truncated image": ("vqav2", truncated_png, "cannot be decoded"),
    "duplicate id": ("squad", None, "id 'toy-squad-00000' is already used by file 'squad.jsonl', row 0"),
}


def write_bad_copy(name: str, case: str, tmp_path):
    dataset, edit, _ = DATA_CASES[case]
    rows = toy_rows(dataset, tmp_path)
    if edit is None:
        second_row_same_id(rows)
    else:
        edit(rows[1])
    if adapter(dataset).SPEC.modality == "vision":
        path = tmp_path / f"{dataset}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path = tmp_path / f"{dataset}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


SQUAD_ROW = {"id": "a", "title": "t", "context": "c", "question": "q?", "answers": {"text": ["x"], "answer_start": [0]}}


@pytest.mark.parametrize(
    "column,value,message",
    [
        ("choices", "sun,moon", "row 0: field 'choices' is not a list of options: str 'sun,moon'"),
        ("answer", 1.9, "row 0: field 'answer' is not an option index: 1.9"),
    ],
)
def test_a_parquet_column_of_the_wrong_kind_is_named(tmp_path, column, value, message):
    """In a parquet copy a column has one type for all rows: every row carries the fault."""
    rows = [row | {column: value} for row in toy_rows("scienceqa", tmp_path)]
    path = tmp_path / "scienceqa.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    with pytest.raises(RowError, match=re.escape(message)):
        normalize_dataset("scienceqa", path, tmp_path / "out.jsonl", tmp_path / "images")


@pytest.mark.parametrize("case", DATA_CASES)
def test_bad_row_is_named_with_file_and_row(case, tmp_path):
    dataset, _, message = DATA_CASES[case]
    path = write_bad_copy(dataset, case, tmp_path)
    output = tmp_path / "out" / f"{dataset}.jsonl"
    with pytest.raises(RowError) as error:
        normalize_dataset(dataset, path, output, tmp_path / "images")
    assert str(error.value).startswith(f"dataset '{dataset}', file '{path.name}', row 1: ")
    assert message in str(error.value)
    assert not output.exists() and not output.with_name(output.name + ".tmp").exists()


@pytest.mark.parametrize("case", ["missing field", "answer not among choices", "truncated image", "duplicate id"])
def test_skip_policy_counts_and_reports_bad_rows(case, tmp_path):
    dataset, _, message = DATA_CASES[case]
    path = write_bad_copy(dataset, case, tmp_path)
    output = tmp_path / "out" / f"{dataset}.jsonl"
    stats = normalize_dataset(dataset, path, output, tmp_path / "images", on_bad_rows="skip")
    assert stats["records"] == 3 and stats["bad_rows"] == 1
    assert f"file '{path.name}', row 1: " in stats["bad_row_examples"][0] and message in stats["bad_row_examples"][0]
    assert json.loads(output.with_suffix(".stats.json").read_text()) == stats
    assert len(output.read_text().splitlines()) == 3


def test_skip_policy_still_fails_when_every_row_is_bad(tmp_path):
    rows = toy_rows("squad", tmp_path)
    path = tmp_path / "squad.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in row.items() if k != "question"}) + "\n" for row in rows))
    with pytest.raises(ConfigError, match=r"every row is bad.*row 0: missing field 'question'"):
        normalize_dataset("squad", path, tmp_path / "out.jsonl", tmp_path / "images", on_bad_rows="skip")


@pytest.mark.parametrize(
    "tail,message",
    [('{"id": "b", "quest', r"squad\.jsonl', line 2"), ("[1, 2]", r"file 'squad\.jsonl', row 1: expected an object")],
    ids=["truncated jsonl", "row not an object"],
)
def test_malformed_file_is_named_with_its_line(tmp_path, tail, message):
    path = tmp_path / "squad.jsonl"
    path.write_text(json.dumps(SQUAD_ROW) + "\n" + tail + "\n")
    with pytest.raises(MlanError, match=message):
        normalize_dataset("squad", path, tmp_path / "out.jsonl", tmp_path / "images")


def test_truncated_parquet_is_named(tmp_path):
    toy_generator("squad").generate(tmp_path / "toy", 20, 0)
    (path,) = (tmp_path / "toy").rglob("*.parquet")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(SourceError, match=rf"cannot read '.*{path.name}'"):
        normalize_dataset("squad", path, tmp_path / "out.jsonl", tmp_path / "images")


def test_a_sharded_copy_missing_a_shard_is_named(tmp_path):
    """`train-00001-of-00002` alone was read as the whole set: 4 of 7 records, no warning."""
    from mlan.data.sources.raw import missing_shards

    toy_generator("squad").generate(tmp_path / "toy", 7, 0)
    (path,) = (tmp_path / "toy").rglob("*.parquet")
    table = pq.read_table(path)
    path.unlink()
    shards = [path.with_name(f"train-0000{i}-of-00002.parquet") for i in (0, 1)]
    pq.write_table(table.slice(0, 3), shards[0])
    pq.write_table(table.slice(3), shards[1])
    records = normalize_dataset("squad", tmp_path / "toy", tmp_path / "out.jsonl", tmp_path / "images")
    assert records["records"] == 7
    shards[0].unlink()
    with pytest.raises(SourceError, match=r"lacks 1 shard\(s\) of part 'main': train-00000-of-00002\.parquet"):
        normalize_dataset("squad", tmp_path / "toy", tmp_path / "out2.jsonl", tmp_path / "images")
    assert not (tmp_path / "out2.jsonl").exists()
    # numbered from 1 (as model weights are) where the last number is present
    names = [Path(f"m-0000{i}-of-00003.bin") for i in (1, 3)]
    assert missing_shards(names) == ["m-00002-of-00003.bin"] and missing_shards([Path("a.parquet")]) == []
    hashed = [Path("data/train-00000-of-00002-6d5c4e5a.parquet")]
    assert missing_shards(hashed) == ["train-00001-of-00002-*.parquet"]


def test_truncated_image_is_caught_even_after_lmms_eval_relaxed_pillow(tmp_path, monkeypatch):
    """lmms-eval sets Pillow's LOAD_TRUNCATED_IMAGES on import; the row check stays strict."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    path = write_bad_copy("vqav2", "truncated image", tmp_path)
    with pytest.raises(Exception, match="row 1: .*cannot be decoded"):
        normalize_dataset("vqav2", path, tmp_path / "out" / "vqav2.jsonl", tmp_path / "images")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for the library that wanted it
