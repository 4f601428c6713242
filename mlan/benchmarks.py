"""The held-out benchmarks, each declared once: its label, modality, scorer and headline
metric. Every list of benchmarks (the datasets evaluated, the prompts' split by harness, the
tables' columns and averages, the config schema's allowed names) is derived from
``DECLARED``; its order is the tables' column order.

Adding a benchmark is an adapter (``mlan/data/sources/<name>.py``), a toy generator
(``mlan/data/toy/<name>.py``), an entry here and its config lines (``datasets.<name>``,
``evaluation.benchmarks``); docs/evaluation.md walks through it."""

from __future__ import annotations

from dataclasses import dataclass

MODALITIES = ("text", "vision", "mixed")
# What each scorer of mlan.evaluation.metrics reports as its headline.
SCORER_HEADLINES = {"accuracy": "accuracy", "pope": "f1", "scienceqa": "accuracy"}


@dataclass(frozen=True)
class Benchmark:
    """``modality``: text benchmarks make the language average, vision ones the vision
    average, mixed ones (ScienceQA: text and image rows) the overall average only.
    ``scorer``: the metric function of ``mlan.evaluation.metrics`` (POPE's precision,
    recall and F1; ScienceQA's strata)."""

    name: str
    label: str
    modality: str
    scorer: str = "accuracy"

    def __post_init__(self):
        if self.modality not in MODALITIES:
            raise ValueError(f"benchmark '{self.name}': modality '{self.modality}' is none of {MODALITIES}")
        if self.scorer not in SCORER_HEADLINES:
            raise ValueError(f"benchmark '{self.name}': scorer '{self.scorer}' is none of {tuple(SCORER_HEADLINES)}")

    @property
    def headline(self) -> str:
        """The metric a table shows for this benchmark."""
        return SCORER_HEADLINES[self.scorer]

    def scoring(self) -> dict[str, str]:
        """What evaluation needs of the declaration (a rule's params: a label edit reruns
        no evaluation, a scorer edit does)."""
        return {"scorer": self.scorer, "headline": self.headline}


DECLARED = (
    Benchmark("race", "RACE", "text"),
    Benchmark("openbookqa", "OpenBookQA", "text"),
    Benchmark("boolq", "BoolQ", "text"),
    Benchmark("hellaswag", "HellaSwag", "text"),
    Benchmark("gqa", "GQA", "vision"),
    Benchmark("realworldqa", "RealWorldQA", "vision"),
    Benchmark("ai2d", "AI2D", "vision"),
    Benchmark("pope", "POPE", "vision", scorer="pope"),
    Benchmark("scienceqa", "ScienceQA", "mixed", scorer="scienceqa"),
)
BY_NAME = {benchmark.name: benchmark for benchmark in DECLARED}
BENCHMARKS = tuple(BY_NAME)
LANGUAGE = tuple(b.name for b in DECLARED if b.modality == "text")
VISION = tuple(b.name for b in DECLARED if b.modality == "vision")
MIXED = tuple(b.name for b in DECLARED if b.modality == "mixed")
LABELS = {b.name: b.label for b in DECLARED}
HEADLINE = {b.name: b.headline for b in DECLARED}
AVERAGES = {"language_avg": LANGUAGE, "vision_avg": VISION, "overall_avg": BENCHMARKS}
AVERAGE_LABELS = {"language_avg": "Language average", "vision_avg": "Vision average", "overall_avg": "Overall average"}
# Every cell of a run's row with its label in tables, comparisons and figures.
CELL_LABELS = LABELS | AVERAGE_LABELS
# One run's row in the tables: each modality's benchmarks then its average, the mixed last.
SUMMARY_COLUMNS = [*LANGUAGE, "language_avg", *VISION, "vision_avg", *MIXED, "overall_avg"]


def scoring(names) -> dict[str, dict[str, str]]:
    """benchmark -> its scorer and headline metric, for ``mlan.evaluation.run.evaluate``."""
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise KeyError(f"unknown benchmark(s) {', '.join(unknown)}; declared: {', '.join(BENCHMARKS)}")
    return {name: BY_NAME[name].scoring() for name in names}
