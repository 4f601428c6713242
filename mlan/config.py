"""Config checks that name the offending key in one line, before any job runs."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from mlan.errors import ConfigError


def _key(path) -> str:
    return ".".join(str(part) for part in path) or "<top level>"


def load_schema(schema_path: str | Path) -> dict:
    """The config schema with the datasets and benchmarks declared in the code (each once:
    ``mlan/data/sources``, ``mlan/benchmarks.py``) as the required ``datasets`` keys and the
    allowed ``evaluation.benchmarks``."""
    from mlan.benchmarks import BENCHMARKS
    from mlan.catalog import ALL_DATASETS

    schema = yaml.safe_load(Path(schema_path).read_text())
    datasets = schema["properties"]["datasets"]
    datasets["required"] = list(ALL_DATASETS)
    datasets["patternProperties"] = {f"^({'|'.join(ALL_DATASETS)})$": datasets.pop("additionalProperties")}
    datasets["additionalProperties"] = False
    schema["properties"]["evaluation"]["properties"]["benchmarks"]["items"] = {"enum": list(BENCHMARKS)}
    return schema


def canonical(value):
    """``value`` with every mapping's keys sorted, at every depth (lists keep their order).
    YAML's key order says nothing; the rules' params are made from the canonical config, so
    a config saved in another key order (or by a YAML library that sorts) reruns nothing."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def check_config(config: dict, schema_path: str | Path, files=()) -> None:
    """Raise ConfigError listing every schema violation as ``key: problem`` (and the config
    files the merged config came from, where given)."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator == "oneOf" and error.context:
            # Report the alternative that came closest instead of the whole schema.
            error = jsonschema.exceptions.best_match(error.context)
        problems.append(f"config key '{_key(error.absolute_path)}': {error.message}")
    if problems:
        origin = f" (from {', '.join(map(str, files))})" if files else ""
        raise ConfigError(f"invalid config{origin}:\n  " + "\n  ".join(problems))


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


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem with the lines it points at: "while parsing a flow sequence (line 2,
    column 8): expected ',' or ']', but got '<stream end>' (line 3, column 1)"."""

    def at(mark) -> str:
        return f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""

    context = f"{error.context}{at(error.context_mark)}: " if error.context else ""
    return f"{context}{error.problem}{at(error.problem_mark)}"


def load_config_file(path: str | Path) -> dict:
    """One config file, read strictly: missing, unparsable (file, line and column named) or a
    key given twice is a ConfigError; so is a file that is not a mapping of keys."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except yaml.MarkedYAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(error)}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file holds keys (a mapping), not a {type(data).__name__}")
    return data


def refuse_duplicate_keys(paths) -> None:
    """Every config file the pipeline reads, checked before anything uses it."""
    for path in paths:
        load_config_file(path)
