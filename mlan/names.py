"""Names of mixtures and runs: the one place they are spelled and parsed.

A mixture is ``lang{percent}_n{budget}``: ``budget`` instances, ``percent`` % of them
language data (``lang12.5_n480``). A run of a model is ``pretrain`` (the projector-only
baseline) or ``{mix}_seed{seed}``. File targets are made of them
(``results/mixtures/{mix}/seed{seed}``, ``results/eval/{model}/{run}/``) and the wildcard
constraints of the rules are the patterns below.
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
    def parse(cls, model: str, name: str) -> Run:
        if name == "pretrain":
            return cls(model)
        match = _RUN.fullmatch(name)
        if not match:
            raise ConfigError(f"'{name}' is not a run name ('pretrain' or lang<percent>_n<budget>_seed<seed>)")
        return cls(model, Mix.parse(match["mix"]), int(match["seed"]))
