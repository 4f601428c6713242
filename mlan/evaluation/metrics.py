"""Benchmark scores (0-100) from per-sample predictions: accuracy everywhere, POPE's F1
(with accuracy, precision, recall and yes-ratio), and ScienceQA's text, image, their mean
(the paper's headline) and pooled accuracies."""

from __future__ import annotations

from mlan.errors import MlanError


def percent(numerator: float, denominator: float) -> float:
    return 100.0 * numerator / denominator if denominator else 0.0


def accuracy(samples: list[dict]) -> dict:
    """Over zero items there is no accuracy (None), never 0."""
    return {"accuracy": percent(sum(s["correct"] for s in samples), len(samples)) if samples else None}


def pope(samples: list[dict]) -> dict:
    """Positive class "yes"; a prediction that is neither yes nor no counts as "no"."""
    predicted_yes = [s["prediction"] == "yes" for s in samples]
    actual_yes = [s["answer"] == "yes" for s in samples]
    tp = sum(p and a for p, a in zip(predicted_yes, actual_yes, strict=True))
    fp = sum(p and not a for p, a in zip(predicted_yes, actual_yes, strict=True))
    fn = sum(a and not p for p, a in zip(predicted_yes, actual_yes, strict=True))
    tn = len(samples) - tp - fp - fn
    precision, recall = percent(tp, tp + fp), percent(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "f1": f1,
        "accuracy": percent(tp + tn, len(samples)),
        "precision": precision,
        "recall": recall,
        "yes_ratio": percent(sum(predicted_yes), len(samples)),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def scienceqa(samples: list[dict]) -> dict:
    text = [s for s in samples if s["modality"] == "text"]
    image = [s for s in samples if s["modality"] == "vision"]
    text_accuracy, image_accuracy = accuracy(text)["accuracy"], accuracy(image)["accuracy"]
    both = text_accuracy is not None and image_accuracy is not None
    return {
        "mean_accuracy": (text_accuracy + image_accuracy) / 2 if both else None,
        "text_accuracy": text_accuracy,
        "image_accuracy": image_accuracy,
        "pooled_accuracy": accuracy(samples)["accuracy"],
        "n_text": len(text),
        "n_image": len(image),
    }


HEADLINE = {"pope": ("f1", pope), "scienceqa": ("mean_accuracy", scienceqa)}


def score(benchmark: str, samples: list[dict]) -> tuple[str, float, dict]:
    """(headline metric name, its value, every metric) for one benchmark. No items, or a
    headline over an empty part (ScienceQA without text or image items), is an error:
    never a score of 0."""
    if not samples:
        raise MlanError(f"{benchmark}: no items to score (is its prompt file empty, or evaluation.limit 0?)")
    name, function = HEADLINE.get(benchmark, ("accuracy", accuracy))
    metrics = function(samples)
    if metrics[name] is None:
        raise MlanError(
            f"{benchmark}: its headline ({name}) is undefined: {metrics.get('n_text', 0)} text and "
            f"{metrics.get('n_image', 0)} image items; the paper's mean needs both (evaluation.limit too small?)"
        )
    return name, metrics[name], metrics
