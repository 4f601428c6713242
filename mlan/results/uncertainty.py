"""Item-level uncertainty of the scores, from the stored per-item predictions: percentile
bootstrap intervals over a benchmark's items, and paired tests between two runs on the
same items.

Every resample of a benchmark is drawn by a generator keyed by (seed, benchmark name), so
two runs evaluated on the same items see the same resamples (paired by construction) and a
rerun gives the same intervals. ScienceQA's headline is the mean of its strata's accuracies
(each item's ``stratum``: text and image under the clean protocol, whose metric is their
mean, resampled within each as the test set fixes the split; one stratum, pooled, under the
official one). POPE's F1 is recomputed from each resample's confusion counts, a reply
counted as neither yes nor no (``counted_as`` None, the official aggregation) left out of
the false negatives.
"""

from __future__ import annotations

import functools
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import binom

from mlan.errors import MlanError

LEVEL = 0.95


@dataclass(frozen=True)
class Outcomes:
    """One (run, benchmark)'s per-item outcomes, in item-id order."""

    benchmark: str
    ids: tuple[str, ...]
    correct: np.ndarray  # bool
    predicted_yes: np.ndarray  # bool (POPE's positive class)
    actual_yes: np.ndarray  # bool
    stratum: np.ndarray  # int: ScienceQA's strata (0 text / 1 image, or 0 pooled); 0 elsewhere
    counted_no: np.ndarray  # bool: POPE counts the item as a "no" reply (a false negative when the gold is yes)

    @classmethod
    def from_samples(cls, benchmark: str, samples: list[dict], where: str = "") -> Outcomes:
        if not samples:
            raise MlanError(f"{where or benchmark}: no predictions: an empty set has no score and no interval")
        samples = sorted(samples, key=lambda s: s["id"])
        ids = tuple(s["id"] for s in samples)
        if len(set(ids)) != len(ids):
            raise MlanError(f"{where or benchmark}: an item id appears twice")
        strata = [s.get("stratum", s.get("modality")) if benchmark == "scienceqa" else "all" for s in samples]
        if benchmark == "scienceqa" and "all" not in strata and len(set(strata)) < 2:
            raise MlanError(f"{where or benchmark}: ScienceQA's mean needs both text and image items")
        if len(set(strata)) > 1 and "all" in strata:
            raise MlanError(f"{where or benchmark}: items both pooled and split by modality")
        order = {name: number for number, name in enumerate(sorted(set(strata)))}
        counted = [s.get("counted_as", "yes" if s.get("prediction") == "yes" else "no") for s in samples]
        return cls(
            benchmark=benchmark,
            ids=ids,
            correct=np.array([bool(s["correct"]) for s in samples]),
            predicted_yes=np.array([c == "yes" for c in counted]),
            actual_yes=np.array([s.get("answer") == "yes" for s in samples]),
            stratum=np.array([order[name] for name in strata]),
            counted_no=np.array([c == "no" for c in counted]),
        )

    def __len__(self) -> int:
        return len(self.ids)


def read_outcomes(path: str | Path, benchmark: str) -> Outcomes:
    """A ``{benchmark}.predictions.jsonl`` file of the evaluate rule."""
    with open(path, encoding="utf-8") as handle:
        samples = [json.loads(line) for line in handle if line.strip()]
    return Outcomes.from_samples(benchmark, samples, where=str(path))


def statistic(outcomes: Outcomes, index: np.ndarray) -> np.ndarray:
    """The benchmark's headline metric (0-100) of each row of ``index`` (item positions)."""
    if outcomes.benchmark == "pope":
        predicted, actual = outcomes.predicted_yes[index], outcomes.actual_yes[index]
        tp = (predicted & actual).sum(axis=1)
        false_positives = (predicted & ~actual).sum(axis=1)
        false_negatives = (outcomes.counted_no[index] & actual).sum(axis=1)
        denominator = 2 * tp + false_positives + false_negatives
        return np.where(denominator > 0, 200.0 * tp / np.maximum(denominator, 1), 0.0)  # 2PR/(P+R)
    if outcomes.benchmark == "scienceqa":
        correct, strata = outcomes.correct[index], outcomes.stratum[index]
        values = np.unique(outcomes.stratum)
        return 100.0 * np.mean(
            [(correct & (strata == v)).sum(axis=1) / (strata == v).sum(axis=1) for v in values], axis=0
        )
    return 100.0 * outcomes.correct[index].mean(axis=1)


def point(outcomes: Outcomes) -> float:
    """The metric on all items (equals the stored score)."""
    return float(statistic(outcomes, np.arange(len(outcomes))[None, :])[0])


def resample_index(outcomes: Outcomes, resamples: int, seed: int) -> np.ndarray:
    """``resamples`` x items positions drawn with replacement within each stratum (the same
    for every run of the benchmark, so drawn once: read-only)."""
    return _index(outcomes.benchmark, resamples, seed, outcomes.stratum.astype(np.int8).tobytes())


@functools.lru_cache(maxsize=16)  # the nine benchmarks' draws, shared by every run (~190 MB at the paper's sizes)
def _index(benchmark: str, resamples: int, seed: int, strata: bytes) -> np.ndarray:
    stratum = np.frombuffer(strata, dtype=np.int8)
    generator = np.random.default_rng([seed, zlib.crc32(benchmark.encode())])
    index = np.empty((resamples, len(stratum)), dtype=np.int32)
    for value in np.unique(stratum):
        members = np.flatnonzero(stratum == value)
        index[:, members] = members[generator.integers(0, len(members), size=(resamples, len(members)))]
    index.setflags(write=False)
    return index


def bootstrap(outcomes: Outcomes, resamples: int, seed: int) -> np.ndarray:
    """The metric of each resample."""
    return statistic(outcomes, resample_index(outcomes, resamples, seed))


def interval(distribution: np.ndarray) -> tuple[float, float]:
    """The central ``LEVEL`` percentile interval of a bootstrap distribution."""
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.percentile(distribution, [tail, 100 - tail])
    return float(low), float(high)


def average_bootstrap(outcomes: list[Outcomes], resamples: int, seed: int) -> np.ndarray:
    """The unweighted mean of the benchmarks' metrics (the tables' averages), each benchmark
    resampled over its own items."""
    if not outcomes:
        raise MlanError("an average over no benchmark")
    return np.mean([bootstrap(o, resamples, seed) for o in outcomes], axis=0)


def check_paired(a: Outcomes, b: Outcomes, names: tuple[str, str]) -> None:
    """Both runs scored on exactly the same items (else the comparison is not paired)."""
    if a.benchmark != b.benchmark:
        raise MlanError(f"{names[0]} vs {names[1]}: {a.benchmark} compared with {b.benchmark}")
    if a.ids != b.ids or not np.array_equal(a.stratum, b.stratum):
        only_a, only_b = sorted(set(a.ids) - set(b.ids)), sorted(set(b.ids) - set(a.ids))
        raise MlanError(
            f"{a.benchmark}: {names[0]} and {names[1]} were not scored on the same items "
            f"({len(a)} vs {len(b)}; only in the first: {only_a[:3]}, only in the second: {only_b[:3]}): "
            "a paired test needs the same items (same evaluation.limit)"
        )


@dataclass(frozen=True)
class Paired:
    """A minus B on the same items: the difference, its interval and two-sided p-values."""

    a: float
    b: float
    difference: float
    low: float
    high: float
    p_bootstrap: float
    p_mcnemar: float | None  # accuracy benchmarks only
    items: int


def bootstrap_p(differences: np.ndarray) -> float:
    """Two-sided: twice the smaller share of resampled differences on either side of 0
    (at most 1), with the observed resample counted so it is never 0."""
    count = len(differences)
    below = (np.sum(differences <= 0) + 1) / (count + 1)
    above = (np.sum(differences >= 0) + 1) / (count + 1)
    return float(min(1.0, 2 * min(below, above)))


def mcnemar(a: Outcomes, b: Outcomes) -> float:
    """Exact McNemar test: of the items exactly one run gets right, is either run's share
    different from one half (binomial, two-sided)."""
    only_a = int(np.sum(a.correct & ~b.correct))
    only_b = int(np.sum(b.correct & ~a.correct))
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    return float(min(1.0, 2 * binom.cdf(min(only_a, only_b), discordant, 0.5)))


def paired(
    a: list[Outcomes], b: list[Outcomes], resamples: int, seed: int, names: tuple[str, str] = ("A", "B")
) -> Paired:
    """A vs B on one benchmark (lists of one) or on the mean of several (an average)."""
    if len(a) != len(b) or not a:
        raise MlanError(f"{names[0]} vs {names[1]}: {len(a)} and {len(b)} benchmarks")
    for one, other in zip(a, b, strict=True):
        check_paired(one, other, names)
    differences = average_bootstrap(a, resamples, seed) - average_bootstrap(b, resamples, seed)
    score_a, score_b = (float(np.mean([point(o) for o in side])) for side in (a, b))
    low, high = interval(differences)
    accuracy_only = len(a) == 1 and a[0].benchmark not in ("pope", "scienceqa")
    return Paired(
        a=score_a,
        b=score_b,
        difference=score_a - score_b,
        low=low,
        high=high,
        p_bootstrap=bootstrap_p(differences),
        p_mcnemar=mcnemar(a[0], b[0]) if accuracy_only else None,
        items=sum(len(o) for o in a),
    )
