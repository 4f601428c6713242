"""The experiment grid, derived from the validated config: which mixtures, runs and
datasets exist. The Snakemake rules ask this module; nothing else enumerates runs."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

from mlan.catalog import ALL_DATASETS, TRAIN_DATASETS
from mlan.data.mixture import TASK_ORDER, language_count, quotas
from mlan.data.sources import adapter
from mlan.data.templates import Instructions
from mlan.errors import ConfigError
from mlan.names import MIX_PATTERN, Mix, Run

# Table 1's recipes, Pretrain first (labels in mlan.results.scores.METHODS).
PAPER_METHODS = ("pretrain", "llava", "cambrian", "mlan", "mlan_v")


def _check_deepspeed_file(key: str, path: Path) -> None:
    """A DeepSpeed config must exist and be JSON before any job starts (else the training
    job fails after everything before it ran)."""
    if not path.is_file():
        raise ConfigError(f"{key}: the DeepSpeed config '{path}' does not exist")
    try:
        json.loads(path.read_text())
    except ValueError as error:
        raise ConfigError(f"{key}: the DeepSpeed config '{path}' is not valid JSON: {error}") from None


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
        self._check_percents()
        self._check_paths()
        self._check_training()
        self._check_released()

    def _check_percents(self) -> None:
        """A % language data must name a file target that reads back as itself and give a
        mixture of its own: 0.00001 % was written "lang1e-05" (no rule makes it) and holds
        no language instance (the 0 % mixture under another name)."""
        for model, spec in self.config["models"].items():
            given = [(f"methods.{name}", p) for name, p in spec["methods"].items()]
            given += [(f"ratio_grid[{i}]", p) for i, p in enumerate(spec.get("ratio_grid", []))]
            for where, percent in given:
                key = f"models.{model}.{where}"
                mix = Mix(percent, self.budget)
                if not re.fullmatch(MIX_PATTERN, str(mix)) or Mix.parse(str(mix)) != mix:
                    raise ConfigError(f"{key}: {percent} is not a percentage of at most 6 decimals (e.g. 12.5)")
                language = language_count(self.budget, mix.percent)
                if 0 < mix.percent < 100 and language in (0, self.budget):
                    same = "0" if language == 0 else "100"
                    raise ConfigError(
                        f"{key}: {percent}% of budget {self.budget} is {language} language instances, "
                        f"the {same}% mixture under another name"
                    )

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

    def _check_released(self) -> None:
        """The released checkpoints' folders exist, and no model takes the name their
        evaluations live under (results/eval/released/)."""
        if "released" in self.config["models"]:
            raise ConfigError("models.released: the name is taken by the released checkpoints' evaluations")
        for name, spec in (self.config.get("released") or {}).get("checkpoints", {}).items():
            for key in ("source", "vision"):
                path = spec.get(key, "")
                if path.startswith(("/", "./", "../", "~")) and not Path(path).expanduser().is_dir():
                    raise ConfigError(f"released.checkpoints.{name}.{key}: the folder '{path}' does not exist")

    def _check_training(self) -> None:
        for stage, settings in self.config.get("training", {}).items():
            if settings.get("compile_layers") and settings.get("deepspeed"):
                raise ConfigError(
                    f"training.{stage}.compile_layers: torch.compile of the layers is not combined with "
                    f"DeepSpeed (deepspeed: {settings['deepspeed']}); set deepspeed: null or compile_layers: false"
                )
            pack, longest = settings.get("pack_tokens"), settings.get("max_length", 2048)
            if pack is not None and pack < longest:
                raise ConfigError(
                    f"training.{stage}.pack_tokens: {pack} is below max_length ({longest}): an instance of "
                    "max_length tokens would fit no packed row; raise pack_tokens or lower max_length"
                )
            if settings.get("deepspeed"):
                _check_deepspeed_file(f"training.{stage}.deepspeed", Path(settings["deepspeed"]))

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

    def method_mix(self, model: str, method: str) -> Mix:
        return Mix(self.config["models"][model]["methods"][method], self.budget)

    def methods_of(self, model: str, mix: Mix) -> list[str]:
        """The recipes (``mlan``, ``llava``, ...) of a model that train on ``mix``: the paper's
        in its order, then others by name (never the config's key order, which says nothing)."""
        names = [name for name in self.config["models"][model]["methods"] if self.method_mix(model, name) == mix]
        return sorted(names, key=lambda name: (PAPER_METHODS.index(name) if name in PAPER_METHODS else 99, name))

    def run_methods(self, run: Run) -> list[str]:
        """A run's recipe names: ``["pretrain"]``, every method training on its mix (two
        methods of one ratio both get their Table 1 row), or ``[""]`` (a grid point only)."""
        if run.is_pretrain:
            return ["pretrain"]
        return self.methods_of(run.model, run.mix) or [""]

    def notes(self) -> list[str]:
        """What start-up says about the methods: a name the paper does not have (a typo?) is
        kept as its own row, labelled by that name; methods sharing one mixture share one run."""
        notes = []
        for model, spec in self.config["models"].items():
            unknown = [name for name in spec["methods"] if name not in PAPER_METHODS]
            if unknown:
                notes.append(
                    f"models.{model}.methods: {', '.join(unknown)} is not one of the paper's methods "
                    f"({', '.join(PAPER_METHODS)}): its Table 1 row is labelled by that name and no "
                    "published cell is compared to it"
                )
            for mix in sorted({self.method_mix(model, name) for name in spec["methods"]}):
                sharing = self.methods_of(model, mix)
                if len(sharing) > 1:
                    notes.append(
                        f"models.{model}.methods: {', '.join(sharing)} all train on {mix}: one run, "
                        "one Table 1 row for each name"
                    )
        return notes

    def mixes(self, model: str) -> list[Mix]:
        """Every mixture a model is finetuned on: methods, ratio grid, budget scaling."""
        spec = self.config["models"][model]
        mixes = {Mix(percent, self.budget) for percent in spec["methods"].values()}
        mixes |= {Mix(percent, self.budget) for percent in spec.get("ratio_grid", [])}
        for percent in spec.get("budget_scaling", []):
            mixes.add(Mix(100, int(Fraction(self.budget) * Fraction(str(percent)) / 100)))
        return sorted(mixes)

    def all_mixes(self) -> list[Mix]:
        return sorted({mix for model in self.models for mix in self.mixes(model)})

    def _runs(self, model: str, mixes, pretrain: bool = False) -> list[Run]:
        runs = [Run(model)] if pretrain else []
        return runs + [Run(model, mix, seed) for mix in mixes for seed in self.seeds]

    def runs(self) -> list[Run]:
        """Every finetuned model of the grid."""
        return [run for model in self.models for run in self._runs(model, self.mixes(model))]

    def evaluated_runs(self) -> list[Run]:
        """Every evaluated model: each model's pretrain baseline and its finetuned runs."""
        return [run for model in self.models for run in self._runs(model, self.mixes(model), pretrain=True)]

    @property
    def ratio_models(self) -> list[str]:
        """The models of Tables 5/6 and Figure 6: those with a ratio grid (Llama 2 in the paper)."""
        return [m for m in self.models if self.config["models"][m].get("ratio_grid")]

    @property
    def scaling_models(self) -> list[str]:
        """The models of Figure 7: those with a budget scaling (Llama 2 in the paper)."""
        return [m for m in self.models if self.config["models"][m].get("budget_scaling")]

    def full_budget_mixes(self, model: str) -> list[Mix]:
        return [mix for mix in self.mixes(model) if mix.budget == self.budget]

    def method_runs(self) -> list[Run]:
        """Table 1 and Figure 5: every model's pretrain baseline and its methods' runs."""
        return [
            run
            for model in self.models
            for run in self._runs(
                model,
                sorted({self.method_mix(model, m) for m in self.config["models"][model]["methods"]}),
                pretrain=True,
            )
        ]

    def ratio_runs(self) -> list[Run]:
        """Tables 5/6 and Figure 6: the ratio grid of each ratio model, at the full budget
        (a method's mixture outside the grid, like LLaVA's 6 %, belongs to Table 1)."""
        return [
            run
            for model in self.ratio_models
            for run in self._runs(
                model, sorted({Mix(p, self.budget) for p in self.config["models"][model]["ratio_grid"]})
            )
        ]

    def scaling_runs(self) -> list[Run]:
        """Figure 7: the pretrain baseline and the language-only runs at every budget of each
        model with a budget scaling."""
        return [
            run
            for model in self.scaling_models
            for run in self._runs(model, [mix for mix in self.mixes(model) if mix.percent == 100], pretrain=True)
        ]

    def compared_runs(self) -> list[Run]:
        """The comparison with the paper: the settings it publishes (Tables 1 and 5)."""
        return sorted(set(self.method_runs()) | set(self.ratio_runs()), key=str)

    def recipe_runs(self) -> list[Run]:
        """Table 2: each model's methods' mixtures (the paper's rows: MLAN, MLAN_v, Cambrian-1,
        LLaVA; its 46.36M tokens are LLaVA's 6 %, not a vision-only mixture)."""
        return [
            run
            for model in self.models
            for run in self._runs(
                model, sorted({self.method_mix(model, m) for m in self.config["models"][model]["methods"]})
            )
        ]

    def mixture_datasets(self, mix: Mix) -> list[str]:
        """The training datasets a mixture draws from (quota above zero)."""
        return [name for name, quota in quotas(mix.budget, mix.percent, self.groups()).items() if quota > 0]

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
