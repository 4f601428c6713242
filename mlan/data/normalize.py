"""Raw source -> ``results/data/{dataset}.jsonl`` (+ images, + a stats file)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from mlan.atomic import write_text
from mlan.data.download import verify_manifest
from mlan.data.images import ImageStore
from mlan.data.records import write_records
from mlan.data.sources import adapter
from mlan.data.sources.raw import RawSource
from mlan.errors import ConfigError

BAD_ROW_EXAMPLES = 20
SIZE_TOLERANCE = 0.02  # a real copy may differ slightly from the paper's count (dedup, versions)


def size_warning(name: str, count: int, expected: int | None) -> str | None:
    """A line if ``count`` records are more than 2 % off the paper's split size."""
    if expected and abs(count - expected) > SIZE_TOLERANCE * expected:
        return f"{name}: {count:,} records, the paper's split has {expected:,} ({100 * (count / expected - 1):+.1f}%)"
    return None


def normalize_dataset(
    name: str,
    source_root: str | Path,
    output: str | Path,
    images_root: str | Path,
    patterns: dict[str, str] | None = None,
    options: dict | None = None,
    stats_path: str | Path | None = None,
    on_bad_rows: str = "error",
    check_size: bool = False,
) -> dict:
    """Normalize one dataset; returns (and writes next to ``output``) its stats.

    A bad row stops it with the file and row named; with ``on_bad_rows="skip"`` bad rows
    are left out instead and counted in the stats (``bad_rows``, first examples listed).
    With ``check_size`` (real data, not a toy copy) a count more than 2 % off the paper's
    split size is noted as ``size_warning`` in the stats.
    """
    module = adapter(name)
    accepted = [p for p in inspect.signature(module.normalize).parameters if p not in ("source", "images")]
    unknown = sorted(set(options or {}) - set(accepted))
    if unknown:
        raise ConfigError(
            f"datasets.{name}.options: unknown option(s) {', '.join(unknown)}; "
            f"{name} takes {', '.join(accepted) if accepted else 'no options'}"
        )
    verify_manifest(source_root)
    source = RawSource(source_root, module.SPEC, patterns, on_bad_rows)
    images = ImageStore(images_root, name)
    seen: dict[str, tuple[str, int]] = {}

    def unique(records):
        for record in records:
            row = source.current
            if record.id in seen:
                first_file, first_row = seen[record.id]
                error = row.error(f"id '{record.id}' is already used by file '{first_file}', row {first_row}")
                if source.skip_bad(error):
                    continue
                raise error
            seen[record.id] = (row.file, row.index)
            yield record

    count = write_records(unique(module.normalize(source, images, **(options or {}))), output)
    bad = list(source.bad_rows.values())
    if bad and not count:
        raise ConfigError(f"dataset '{name}': every row is bad (on_bad_rows: skip); the first: {bad[0]}")
    stats = {"dataset": name, "records": count, "skipped": dict(sorted(source.skipped.items()))}
    if on_bad_rows == "skip":
        stats |= {"bad_rows": len(bad), "bad_row_examples": bad[:BAD_ROW_EXAMPLES]}
    if check_size:
        stats |= {
            "expected_rows": module.SPEC.expected_rows,
            "size_warning": size_warning(name, count, module.SPEC.expected_rows),
        }
    write_text(
        stats_path or Path(output).with_suffix(".stats.json"), json.dumps(stats, indent=2, sort_keys=True) + "\n"
    )
    return stats


def main(argv: list[str] | None = None) -> None:
    """``python -m mlan.data.normalize DATASET SOURCE``: run one adapter on a folder or file."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("dataset", help="one of the 17 dataset names")
    parser.add_argument("source", help="a folder (hub layout) or a single parquet/json/jsonl file")
    parser.add_argument("--out", default=None, help="output .jsonl (default results/data/DATASET.jsonl)")
    parser.add_argument("--images", default="results/data/images", help="root folder for image files")
    parser.add_argument("--files", nargs="*", default=[], metavar="PART=GLOB", help="override a part's file pattern")
    parser.add_argument(
        "--on-bad-rows", choices=("error", "skip"), default="error", help="stop on a bad row, or skip it"
    )
    args = parser.parse_args(argv)
    patterns = dict(item.split("=", 1) for item in args.files)
    output = args.out or f"results/data/{args.dataset}.jsonl"
    stats = normalize_dataset(args.dataset, args.source, output, args.images, patterns, on_bad_rows=args.on_bad_rows)
    print(json.dumps(stats))


if __name__ == "__main__":
    from mlan.errors import MlanError

    try:
        main()
    except MlanError as error:
        raise SystemExit(f"error: {error}") from None
