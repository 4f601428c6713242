"""Config checks that name the offending key in one line, before any job runs."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from mlan.errors import ConfigError


def _key(path) -> str:
    return ".".join(str(part) for part in path) or "<top level>"


def check_config(config: dict, schema_path: str | Path) -> None:
    """Raise ConfigError listing every schema violation as ``key: problem``."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator == "oneOf" and error.context:
            # Report the alternative that came closest instead of the whole schema.
            error = jsonschema.exceptions.best_match(error.context)
        problems.append(f"config key '{_key(error.absolute_path)}': {error.message}")
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def is_whole_config(config: dict, schema_path: str | Path) -> bool:
    """A config naming every required top-level key is a whole grid (config/paper.yaml);
    anything less is an overlay on the embedded default (``--config budget=240``)."""
    required = yaml.safe_load(Path(schema_path).read_text())["required"]
    return all(key in config for key in required)
