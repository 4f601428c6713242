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


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader for which a key given twice in one mapping is an error (PyYAML's
    own keeps the last silently)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"{key_node.start_mark.name}, line {key_node.start_mark.line + 1}: key '{key}' is given twice "
                f"(first on line {seen[key] + 1}); YAML would keep only the last"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def refuse_duplicate_keys(paths) -> None:
    """Every config file the pipeline reads, checked before anything uses it."""
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            yaml.load(handle, Loader=_UniqueKeyLoader)
