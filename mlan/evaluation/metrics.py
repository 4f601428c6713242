"""Benchmark scores (0-100) from per-sample predictions: accuracy everywhere, POPE's F1
(with accuracy, precision, recall and yes-ratio), and ScienceQA's text, image, their mean
and pooled accuracies, its headline the protocol's choice of the last two."""

from __future__ import annotations

from mlan.errors import MlanError


def percent(numerator: float, denominator: float) -> float:
    return 100.0 * numerator / denominator if denominator else 0.0


def accuracy(samples: list[dict]) -> dict:
    """Over zero items there is no accuracy (None), never 0."""
    return {"accuracy": percent(sum(s["correct"] for s in samples), len(samples)) if samples else None}


def pope(samples: list[dict]) -> dict:
    """Positive class "yes". Each sample says what the F1 counts it as (``counted_as``: "yes",
    "no", or None for a reply the official aggregation leaves out of its false negatives);
    a sample without it (an older file) counts anything but "yes" as "no"."""
    counted = [s.get("counted_as", "yes" if s["prediction"] == "yes" else "no") for s in samples]
    actual_yes = [s["answer"] == "yes" for s in samples]
    tp = sum(c == "yes" and a for c, a in zip(counted, actual_yes, strict=True))
    fp = sum(c == "yes" and not a for c, a in zip(counted, actual_yes, strict=True))
    fn = sum(c == "no" and a for c, a in zip(counted, actual_yes, strict=True))
    tn = sum(c == "no" and not a for c, a in zip(counted, actual_yes, strict=True))
    precision, recall = percent(tp, tp + fp), percent(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "f1": f1,
        "accuracy": percent(tp + tn, len(samples)),
        "precision": precision,
        "recall": recall,
        "yes_ratio": percent(sum(c == "yes" for c in counted), len(samples)),
        "unparsed": sum(c is None for c in counted),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def scienceqa(samples: list[dict]) -> dict:
    """The headline ``accuracy`` is the mean of the strata's accuracies: text and image
    (the paper's text: their mean) or one stratum "all" (the official code: pooled)."""
    text = [s for s in samples if s["modality"] == "text"]
    image = [s for s in samples if s["modality"] == "vision"]
    text_accuracy, image_accuracy = accuracy(text)["accuracy"], accuracy(image)["accuracy"]
    both = text_accuracy is not None and image_accuracy is not None
    strata = {}
    for sample in samples:
        strata.setdefault(sample.get("stratum", sample["modality"]), []).append(sample)
    parts = [accuracy(members)["accuracy"] for members in strata.values()]
    modality_strata = set(strata) <= {"text", "vision"}
    return {
        "accuracy": sum(parts) / len(parts) if parts and (both or not modality_strata) else None,
        "mean_accuracy": (text_accuracy + image_accuracy) / 2 if both else None,
        "text_accuracy": text_accuracy,
        "image_accuracy": image_accuracy,
        "pooled_accuracy": accuracy(samples)["accuracy"],
        "n_text": len(text),
        "n_image": len(image),
    }


SCORERS = {"accuracy": accuracy, "pope": pope, "scienceqa": scienceqa}  # mlan.benchmarks.Benchmark.scorer


def score(benchmark: str, samples: list[dict], scoring: dict[str, str]) -> tuple[str, float, dict]:
    """(headline metric name, its value, every metric) for one benchmark, by its declared
    ``scoring`` (``mlan.benchmarks.Benchmark.scoring``: scorer and headline). No items, or a
    headline over an empty part (ScienceQA's mean without text or image items), is an
    error: never a score of 0."""
    if not samples:
        raise MlanError(f"{benchmark}: no items to score (is its prompt file empty, or evaluation.limit 0?)")
    name = scoring["headline"]
    metrics = SCORERS[scoring["scorer"]](samples)
    if metrics[name] is None:
        raise MlanError(
            f"{benchmark}: its headline ({name}) is undefined: {metrics.get('n_text', 0)} text and "
            f"{metrics.get('n_image', 0)} image items; the mean of the two needs both (evaluation.limit too small?)"
        )
    return name, metrics[name], metrics
