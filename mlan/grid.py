"""The experiment grid, derived from the validated config: which mixtures, runs and
datasets exist. The Snakemake rules ask this module; nothing else enumerates runs."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from mlan.errors import ConfigError
from mlan.mixture import TASK_ORDER, mix_name, parse_mix, quotas
from mlan.sources import ALL_DATASETS, TRAIN_DATASETS, adapter
from mlan.templates import Instructions


@dataclass(frozen=True)
class Run:
    model: str
    mix: str
    seed: int


class Grid:
    def __init__(self, config: dict):
        self.config = config
        self.budget: int = config["budget"]
        self.seeds: list[int] = list(config["seeds"])
        self.models: list[str] = list(config["models"])
        for model, spec in config["models"].items():
            for percent in spec.get("budget_scaling", []):
                exact = Fraction(self.budget) * Fraction(str(percent)) / 100
                if exact.denominator != 1 or exact == 0:
                    raise ConfigError(
                        f"models.{model}.budget_scaling: {percent}% of budget {self.budget} is not a whole, "
                        "positive number of instances"
                    )
        self._check_paths()
        self._check_training()

    def _check_paths(self) -> None:
        """Paths the config names must exist at start-up, not when a job reaches them."""
        for name, entry in self.config["datasets"].items():
            local = entry["source"].get("local")
            if local is not None and not Path(local).exists():
                raise ConfigError(f"datasets.{name}.source.local: '{local}' does not exist")
        for model, spec in self.config["models"].items():
            for part in ("llm", "vision"):
                source = spec[part].get("source", "")
                if source.startswith(("/", "./", "../", "~")) and not Path(source).expanduser().exists():
                    raise ConfigError(f"models.{model}.{part}.source: the folder '{source}' does not exist")
        instructions = Path(self.config["instructions"])
        if instructions.is_file():  # a missing file is named by Snakemake as a missing input
            Instructions.load(instructions)

    def _check_training(self) -> None:
        for stage, settings in self.config.get("training", {}).items():
            if settings.get("compile_layers") and settings.get("deepspeed"):
                raise ConfigError(
                    f"training.{stage}.compile_layers: torch.compile of the layers is not combined with "
                    f"DeepSpeed (deepspeed: {settings['deepspeed']}); set deepspeed: null or compile_layers: false"
                )

    def on_bad_rows(self, name: str) -> str:
        """``error`` (stop, naming the row) or ``skip`` (leave bad rows out, counted)."""
        return self.dataset(name).get("on_bad_rows", self.config.get("on_bad_rows", "error"))

    def groups(self) -> dict[str, dict[str, list[str]]]:
        """Training datasets by modality and task, in the paper's order."""
        found: dict[str, dict[str, list[str]]] = {}
        for name in TRAIN_DATASETS:
            spec = adapter(name).SPEC
            found.setdefault(spec.modality, {task: [] for task in TASK_ORDER})[spec.task].append(name)
        return found

    def method_mix(self, model: str, method: str) -> str:
        return mix_name(self.config["models"][model]["methods"][method], self.budget)

    def mixes(self, model: str) -> list[str]:
        """Every mixture a model is finetuned on: methods, ratio grid, budget scaling."""
        spec = self.config["models"][model]
        names = {mix_name(percent, self.budget) for percent in spec["methods"].values()}
        names |= {mix_name(percent, self.budget) for percent in spec.get("ratio_grid", [])}
        for percent in spec.get("budget_scaling", []):
            names.add(mix_name(100, int(Fraction(self.budget) * Fraction(str(percent)) / 100)))
        return sorted(names, key=lambda name: (parse_mix(name)[1], parse_mix(name)[0]))

    def all_mixes(self) -> list[str]:
        return sorted({mix for model in self.models for mix in self.mixes(model)})

    def runs(self) -> list[Run]:
        return [Run(model, mix, seed) for model in self.models for mix in self.mixes(model) for seed in self.seeds]

    def mixture_datasets(self, mix: str) -> list[str]:
        """The training datasets a mixture draws from (quota above zero)."""
        percent, budget = parse_mix(mix)
        return [name for name, quota in quotas(budget, percent, self.groups()).items() if quota > 0]

    def dataset(self, name: str) -> dict:
        if name not in ALL_DATASETS:
            raise ConfigError(f"unknown dataset '{name}'")
        return self.config["datasets"][name]

    def patterns(self, name: str) -> dict[str, str]:
        """File pattern per part: the adapter's default, its config folder replaced by
        ``source.name`` if given, then any ``files`` override."""
        entry = self.dataset(name)
        parts = dict(adapter(name).SPEC.parts)
        subset = entry["source"].get("name")
        if subset:
            if len(parts) != 1 or "/" not in next(iter(parts.values())):
                raise ConfigError(f"datasets.{name}.source.name: {name} has no single config folder to choose")
            part, pattern = next(iter(parts.items()))
            parts[part] = f"{subset}/{pattern.split('/', 1)[1]}"
        return {**parts, **entry.get("files", {})}

    def modality(self, name: str) -> str:
        return adapter(name).SPEC.modality

    def source_kind(self, name: str) -> str:
        return next(iter(self.dataset(name)["source"]))
