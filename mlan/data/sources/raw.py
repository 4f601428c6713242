"""Reading a dataset's raw files exactly as the hub ships them (parquet, json, jsonl).

A source root is a folder (a hub snapshot, a user's download, or a generated toy copy)
or a single file. Each dataset names its *parts* (e.g. GQA's questions and images,
ARC's Challenge and Easy configs) with a glob pattern relative to the root.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from mlan.data.images import ImageStore, image_bytes
from mlan.data.records import Record, letter
from mlan.errors import ConfigError, RowError, SourceError

READABLE_SUFFIXES = (".parquet", ".json", ".jsonl")
_MISSING = object()


@dataclass(frozen=True)
class DatasetSpec:
    """What the dataset *is* (fixed by its definition, not by the config)."""

    name: str
    task: str  # "qa" | "cr"
    modality: str  # "text" | "vision" | "mixed" (ScienceQA: per row)
    answer_type: str  # "mc" | "short" | "yesno" | "caption"
    role: str  # "train" | "eval" | "pretrain"
    split: str  # the split the paper uses
    hub_id: str  # where the paper's data lives on the hub
    parts: dict[str, str]  # part name -> glob relative to the source root
    # rows of the paper's split (Table 3, or the split's known size where Table 3 rounds
    # or errs); a real copy off by more than 2 % is a warning (mlan.data.normalize)
    expected_rows: int | None = None


BAD_ROW_POLICIES = ("error", "skip")
# Errors an adapter raises on a malformed row (a wrong type: ``5.strip()``); they are
# reported as that row's error. Disk and source errors are not the row's fault.
ROW_FAULTS = (RowError, ValueError, TypeError, AttributeError, KeyError, IndexError)


class RawRow:
    """One raw row; indexing a missing field raises an error naming the row."""

    def __init__(self, dataset: str, file: str, index: int, data: dict[str, Any], source: RawSource | None = None):
        self.dataset, self.file, self.index, self.data = dataset, file, index, data
        self.source = source

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Around an adapter's handling of this row: any fault becomes an error naming the
        row, or, under ``on_bad_rows: skip``, the row is counted and left out."""
        try:
            yield
        except ROW_FAULTS as error:
            if not isinstance(error, RowError):
                error = self.error(f"{type(error).__name__}: {error}")
            if self.source is None or not self.source.skip_bad(error):
                raise error from None

    def __getitem__(self, field: str) -> Any:
        value = self.data.get(field, _MISSING)
        if value is _MISSING:
            raise self.error(f"missing field '{field}' (fields present: {sorted(self.data)})")
        if value is None:
            raise self.error(f"field '{field}' is null")
        return value

    def get(self, field: str, default: Any = None) -> Any:
        return self.data.get(field, default)

    def doc(self, *fields: str, **values: Any) -> dict[str, Any]:
        """The hub fields the official prompts read, verbatim (``meta["doc"]`` of a record:
        ``mlan.evaluation.official_prompts``, ``mlan.data.official_format``); ``values``
        for the ones an adapter derives (RACE's one problem, BoolQ's SuperGLUE label)."""
        missing = [field for field in fields if field not in self.data]
        if missing:
            raise self.error(f"missing field '{missing[0]}' (fields present: {sorted(self.data)})")
        return {**{field: self.data[field] for field in fields}, **values}

    def options(self, field: str, value: Any = _MISSING) -> list[str]:
        """A field holding a list of option texts; a string is refused (it would be split into
        one "option" per character), as is a nested or empty item."""
        value = self[field] if value is _MISSING else value
        if not isinstance(value, (list, tuple)):
            raise self.error(f"field '{field}' is not a list of options: {type(value).__name__} {value!r:.80}")
        bad = [item for item in value if isinstance(item, (list, tuple, dict)) or item is None or str(item) == ""]
        if bad:
            raise self.error(f"field '{field}' has an option that is not a text: {bad[0]!r}")
        return [str(item) for item in value]

    def option_letter(self, field: str, count: int) -> str:
        """A field holding a 0-based option index (an int, or digits in a string) -> its letter.
        1.9, True or "1.0" are refused: rounding or casting them would pick an option silently."""
        value = self[field]
        if isinstance(value, str) and value.strip().isdigit():
            index = int(value.strip())
        elif isinstance(value, int) and not isinstance(value, bool):
            index = value
        else:
            raise self.error(f"field '{field}' is not an option index: {value!r}")
        if not 0 <= index < count:
            raise self.error(f"field '{field}' is option index {index}, outside 0-{count - 1}")
        return letter(index)

    def error(self, message: str) -> RowError:
        return RowError(self.dataset, self.file, self.index, message)

    def save_image(self, images: ImageStore, cell: Any, stem: str) -> str:
        """Save this row's image cell ({bytes, path} struct or bytes); a bad one names the row."""
        try:
            return images.save(image_bytes(cell), stem)
        except ValueError as error:
            raise self.error(f"bad image: {error}") from error

    def record(self, spec: DatasetSpec, **fields: Any) -> Record:
        """Build a normalized record, failing with this row's location if it is invalid.

        Dataset name, task and answer type come from ``spec`` (and the modality, unless the
        dataset mixes both) unless ``fields`` overrides them.
        """
        defaults = {"dataset": spec.name, "task": spec.task, "answer_type": spec.answer_type}
        if spec.modality in ("text", "vision"):
            defaults["modality"] = spec.modality
        record = Record(**{**defaults, **fields})
        problems = record.problems()
        if problems:
            raise self.error("; ".join(problems))
        return record


class RawSource:
    """The raw files of one dataset, read part by part, row by row."""

    def __init__(
        self, root: str | Path, spec: DatasetSpec, patterns: dict[str, str] | None = None, on_bad_rows: str = "error"
    ):
        self.root = Path(root)
        self.spec = spec
        self.patterns = {**spec.parts, **(patterns or {})}
        self.skipped: Counter[str] = Counter()
        if on_bad_rows not in BAD_ROW_POLICIES:
            raise ConfigError(f"datasets.{spec.name}.on_bad_rows: {on_bad_rows!r} is not one of {BAD_ROW_POLICIES}")
        self.on_bad_rows = on_bad_rows
        self.bad_rows: dict[tuple[str, int], str] = {}  # (file, row) -> the first problem found
        self.current: RawRow | None = None  # the row an adapter is handling
        if not self.root.exists():
            raise SourceError(f"dataset '{spec.name}': source path '{self.root}' does not exist")

    def files(self, part: str) -> list[Path]:
        """The files of one part, sorted; a single-file root serves a single-part dataset."""
        if part not in self.patterns:
            raise SourceError(f"dataset '{self.spec.name}': unknown part '{part}'")
        if self.root.is_file():
            if len(self.patterns) == 1:
                return [self.root]
            raise SourceError(
                f"dataset '{self.spec.name}' has parts {sorted(self.patterns)}: "
                f"give a folder, not the single file '{self.root}'"
            )
        pattern = self.patterns[part]
        found = sorted(p for p in self.root.glob(pattern) if p.is_file() and p.suffix in READABLE_SUFFIXES)
        if not found:
            raise SourceError(
                f"dataset '{self.spec.name}': no parquet/json/jsonl file matches '{pattern}' "
                f"(part '{part}') under '{self.root}'; set datasets.{self.spec.name}.files.{part} "
                "in the config to the pattern of your copy"
            )
        missing = missing_shards(found)
        if missing:
            raise SourceError(
                f"dataset '{self.spec.name}': the copy under '{self.root}' lacks {len(missing)} shard(s) of "
                f"part '{part}': {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} (an incomplete "
                "download? fetch it again)"
            )
        return found

    def rows(self, part: str = "main") -> Iterator[RawRow]:
        for path in self.files(part):
            name = str(path.relative_to(self.root)) if path != self.root else path.name
            for index, data in enumerate(_read_file(path)):
                if not isinstance(data, dict):
                    error = RowError(self.spec.name, name, index, f"expected an object, got {type(data).__name__}")
                    if self.skip_bad(error):
                        continue
                    raise error
                self.current = RawRow(self.spec.name, name, index, data, self)
                yield self.current

    def skip(self, reason: str) -> None:
        """Count a row left out on purpose; the counts are written next to the output."""
        self.skipped[reason] += 1

    def skip_bad(self, error: RowError) -> bool:
        """Under ``on_bad_rows: skip``, note a bad row (once, however often it is read) and
        return True; under ``error`` return False so the caller raises."""
        if self.on_bad_rows != "skip":
            return False
        self.bad_rows.setdefault((error.file, error.index), str(error))
        return True


# train-00000-of-00002.parquet, or with the content hash older hub copies add: ...-of-00002-6d5c4e5a.parquet
SHARD = re.compile(r"(?P<stem>.*?)(?P<index>\d+)-of-(?P<total>\d+)(?P<hash>-[0-9A-Za-z]+)?(?P<suffix>\.[^/]+)$")


def missing_shards(files: list[Path]) -> list[str]:
    """The names absent from each set of ``<stem>NNNNN-of-MMMMM<suffix>`` files found (a hub
    copy's shards, numbered from 0; from 1 where the last number is present):
    ``train-00001-of-00002.parquet`` alone lacks ``train-00000-of-00002.parquet``."""
    sets: dict[tuple, set[int]] = {}
    for path in files:
        match = SHARD.match(str(path))
        if match:
            key = (match["stem"], len(match["index"]), match["total"], "-*" if match["hash"] else "", match["suffix"])
            sets.setdefault(key, set()).add(int(match["index"]))
    missing = []
    for (stem, width, total, hashed, suffix), present in sorted(sets.items()):
        first = 1 if int(total) in present else 0
        missing += [
            Path(f"{stem}{index:0{width}d}-of-{total}{hashed}{suffix}").name
            for index in range(first, int(total) + first)
            if index not in present
        ]
    return missing


def keyed_choices(row: RawRow, key_field: str = "answerKey") -> tuple[list[str], str]:
    """``choices{text[], label[]}`` plus a key naming one label -> (option texts, answer letter).

    ARC, CommonsenseQA and OpenBookQA store their options this way; the labels are matched
    by position so that digit labels and unusual orders map to the right letter.
    """
    choices = row["choices"]
    if not isinstance(choices, dict):
        raise row.error(f"field 'choices' is not a {{text, label}} struct: {choices!r}")
    texts, labels = choices.get("text") or [], choices.get("label") or []
    if not texts:
        raise row.error("field 'choices' has no options")
    if len(texts) != len(labels):
        raise row.error(f"field 'choices' has {len(texts)} texts but {len(labels)} labels")
    labels = [str(label).strip() for label in labels]
    key = str(row[key_field]).strip()
    if key not in labels:
        raise row.error(f"{key_field} {key!r} is not one of the option labels {labels}")
    return row.options("choices.text", texts), letter(labels.index(key))


def _read_file(path: Path) -> Iterator[Any]:
    try:
        if path.suffix == ".parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=512):
                yield from batch.to_pylist()
        elif path.suffix == ".jsonl":
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except ValueError as error:
                            raise SourceError(f"cannot read '{path}', line {number}: {error}") from None
        else:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            yield from (data if isinstance(data, list) else data.get("data", [data]))
    except (OSError, ValueError) as error:
        raise SourceError(f"cannot read '{path}': {error}") from error
