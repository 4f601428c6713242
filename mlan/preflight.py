"""``python -m mlan.preflight FILE...``: start-up's checks without Snakemake, for the files
given to ``--configfile``. Snakemake reads those before the workflow starts; for a YAML error
its message names neither the file nor the line, and a missing file is a traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlan.config import check_config, is_whole_config, load_config_file
from mlan.errors import ConfigError
from mlan.grid import Grid

ROOT = Path(__file__).resolve().parents[1]


def _merged(base: dict, overlay: dict) -> dict:
    """``overlay`` over ``base``, mappings merged key by key (as Snakemake merges config files)."""
    merged = dict(base)
    for key, value in overlay.items():
        merged[key] = (
            _merged(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def _checked(paths: list[str], schema: Path, default: Path, files: list[str]) -> dict:
    """The config Snakemake would build from ``--configfile`` files (merged over the embedded
    default unless they are a whole grid), schema-checked; ``files`` receives the files read."""
    config: dict = {}
    for path in paths:
        config = _merged(config, load_config_file(path))
    files += paths
    if not is_whole_config(config, schema):
        config = _merged(load_config_file(default), config)
        files.insert(0, str(default))
    check_config(config, schema, files)
    return config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlan.preflight", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", help="config files, in the order given to --configfile")
    parser.add_argument("--schema", type=Path, default=ROOT / "config" / "schema.yaml")
    parser.add_argument("--default", type=Path, default=ROOT / "config" / "config.yaml", help="the embedded default")
    args = parser.parse_args(argv)
    try:
        grid = Grid(_checked(args.files, args.schema, args.default, files := []))
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
    for note in grid.notes():
        print(f"Note: {note}.")
    print(f"ok: {', '.join(files)}: {len(grid.runs())} finetuning runs, {len(grid.evaluated_runs())} evaluated models")


if __name__ == "__main__":
    main()
