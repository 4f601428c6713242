"""Loading pretrained pieces (tokenizer, configs, weights) from a hub id or a local folder,
with an error that names the config key to fix."""

from __future__ import annotations

from pathlib import Path

from mlan.errors import SourceError


def load_pretrained(kind: str, loader, spec: dict, model: str, key: str, **kwargs):
    """Load from a hub id or a local folder; a failure names the config key to fix."""
    source, revision = spec["source"], spec.get("revision")
    where = f"models.{model}.{key}.source"
    if source.startswith(("/", ".", "~")) and not Path(source).expanduser().is_dir():
        raise SourceError(f"model '{model}': the {kind} folder '{source}' ({where}) does not exist")
    try:
        return loader(source, **({"revision": revision} if revision else {}), **kwargs)
    except (OSError, ValueError) as error:
        raise SourceError(
            f"model '{model}': cannot load the {kind} from '{source}'"
            f"{f' (revision {revision})' if revision else ''}: {error}. Download it with hub access "
            f"or set {where} to the local folder that holds it."
        ) from error


def load_weights(kind: str, model_class, spec: dict, model: str, key: str):
    """A pretrained model in fp32; weights the class expects but the folder lacks (or has in
    another shape) are an error, where transformers would initialize them at random."""
    import torch

    loaded, info = load_pretrained(
        kind, model_class.from_pretrained, spec, model, key, dtype=torch.float32, output_loading_info=True
    )
    absent = sorted(info["missing_keys"]) + sorted(str(entry[0]) for entry in info["mismatched_keys"])
    if absent:
        raise SourceError(
            f"model '{model}': the {kind} at '{spec['source']}' (models.{model}.{key}.source) lacks "
            f"{len(absent)} of the weights {model_class.__name__} needs (e.g. {', '.join(absent[:3])}); "
            "they would start random. Is it the right checkpoint?"
        )
    return loaded
