"""Names of mixtures and runs: the one place they are spelled and parsed.

A mixture is ``lang{percent}_n{budget}``: ``budget`` instances, ``percent`` % of them
language data (``lang12.5_n480``). A run of a model is ``pretrain`` (the projector-only
baseline) or ``{mix}_seed{seed}``. The file targets made of them are spelled here once, as
the rules' wildcard patterns (``MODEL_FOLDER`` ...) which ``Mix`` and ``Run`` fill in; the
wildcard constraints of the rules are the patterns below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from mlan.errors import ConfigError

MIX_PATTERN = r"lang\d+(?:\.\d+)?_n\d+"
RUN_PATTERN = rf"pretrain|{MIX_PATTERN}_seed\d+"
_MIX = re.compile(r"lang(?P<percent>\d+(?:\.\d+)?)_n(?P<budget>\d+)")
_RUN = re.compile(rf"(?P<mix>{MIX_PATTERN})_seed(?P<seed>\d+)")

# The rules' file targets, as wildcard patterns ({model}, {mix}, {seed}, {run}).
MIXTURE_FOLDER = "results/mixtures/{mix}/seed{seed}"
PRETRAINED_MODEL = "results/models/{model}/pretrain"
FINETUNED_MODEL = "results/models/{model}/{mix}/seed{seed}"
TOKEN_FILE = "results/tokens/{model}/{mix}/seed{seed}.json"
EVAL_FOLDER = "results/eval/{model}/{run}"
SCORE_FILE = "results/scores/{model}/{run}.csv"


def format_percent(percent: float | Fraction) -> str:
    """12.5 -> "12.5", 100.0 -> "100" (stable names for file targets)."""
    value = Fraction(percent).limit_denominator(10**6)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"


@dataclass(frozen=True, order=True)
class Mix:
    """A language share of a data budget. Ordered by budget, then share."""

    budget: int
    percent: Fraction

    def __init__(self, percent: float | Fraction | str, budget: int):
        percent = Fraction(str(percent)) if isinstance(percent, (float, str)) else Fraction(percent)
        if not 0 <= percent <= 100:
            raise ConfigError(f"mixture lang{format_percent(percent)}_n{budget}: language percent is not within 0..100")
        object.__setattr__(self, "budget", int(budget))
        object.__setattr__(self, "percent", percent)

    def __str__(self) -> str:
        return f"lang{format_percent(self.percent)}_n{self.budget}"

    def folder(self, seed: int) -> str:
        """Where the mixture drawn with ``seed`` is written (train.json, stats.json)."""
        return MIXTURE_FOLDER.format(mix=self, seed=seed)

    @classmethod
    def parse(cls, name: str) -> Mix:
        match = _MIX.fullmatch(name)
        if not match:
            raise ConfigError(f"'{name}' is not a mixture name of the form lang<percent>_n<budget>")
        return cls(Fraction(match["percent"]), int(match["budget"]))


@dataclass(frozen=True, order=True)
class Run:
    """One trained model of the grid: ``mix`` and ``seed`` are None for the pretrain baseline."""

    model: str
    mix: Mix | None = None
    seed: int | None = None

    @property
    def is_pretrain(self) -> bool:
        return self.mix is None

    @property
    def name(self) -> str:
        """The run's name within its model: ``pretrain`` or ``{mix}_seed{seed}``."""
        return "pretrain" if self.mix is None else f"{self.mix}_seed{self.seed}"

    def __str__(self) -> str:
        return f"{self.model}/{self.name}"

    @classmethod
    def of(cls, model: str, percent: float | None, budget: int | None, seed: int | None) -> Run:
        """The run of a scores row's columns (a Pretrain row has no percent, budget or seed)."""
        if percent is None:
            return cls(model)
        return cls(model, Mix(percent, int(budget)), int(seed))

    @property
    def model_folder(self) -> str:
        """The trained model: the pretrain baseline or one finetuned model."""
        if self.is_pretrain:
            return PRETRAINED_MODEL.format(model=self.model)
        return FINETUNED_MODEL.format(model=self.model, mix=self.mix, seed=self.seed)

    @property
    def token_file(self) -> str:
        return TOKEN_FILE.format(model=self.model, mix=self.mix, seed=self.seed)

    @property
    def score_file(self) -> str:
        return SCORE_FILE.format(model=self.model, run=self.name)

    def eval_file(self, benchmark: str, kind: str = "") -> str:
        """``{benchmark}.json`` (the score) or, with kind ``predictions``, its items' file."""
        suffix = f".{kind}.jsonl" if kind else ".json"
        return EVAL_FOLDER.format(model=self.model, run=self.name) + f"/{benchmark}{suffix}"

    @classmethod
    def parse(cls, model: str, name: str) -> Run:
        if name == "pretrain":
            return cls(model)
        match = _RUN.fullmatch(name)
        if not match:
            raise ConfigError(f"'{name}' is not a run name ('pretrain' or lang<percent>_n<budget>_seed<seed>)")
        return cls(model, Mix.parse(match["mix"]), int(match["seed"]))
