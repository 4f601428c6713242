"""A tiny model evaluated end to end by both harnesses, and the result files checked."""

import json

import pytest

from mlan.data.records import read_records
from mlan.evaluation.metrics import pope
from mlan.evaluation.prompts import Protocol, eval_items
from mlan.evaluation.run import evaluate

BENCHMARKS = ("boolq", "race", "pope", "ai2d", "scienceqa")


def prompt_files(world, folder, protocol, instructions):
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for benchmark in BENCHMARKS:
        path = folder / f"{benchmark}.jsonl"
        items = eval_items(benchmark, read_records(world / "data" / f"{benchmark}.jsonl"), instructions, protocol)
        path.write_text("".join(json.dumps(item) + "\n" for item in items))
        files.append(path)
    return files


@pytest.fixture(scope="module")
def evaluated(world, tmp_path_factory, request):
    from conftest import ROOT

    from mlan.data.templates import Instructions

    instructions = Instructions.load(ROOT / "config" / "instructions.yaml")
    root = tmp_path_factory.mktemp("evaluated")
    protocol = Protocol(batch_size=4)
    files = prompt_files(world, root / "prompts", protocol, instructions)
    scores = evaluate(world / "base", files, world / "images", root / "out", root / "work", protocol, {"model": "tiny"})
    return root / "out", scores


def test_every_benchmark_has_a_result_and_predictions(evaluated, world):
    out, scores = evaluated
    assert set(scores) == set(BENCHMARKS)
    for benchmark in BENCHMARKS:
        result = json.loads((out / f"{benchmark}.json").read_text())
        predictions = [json.loads(line) for line in (out / f"{benchmark}.predictions.jsonl").read_text().splitlines()]
        assert result["n"] == len(predictions) == len(read_records(world / "data" / f"{benchmark}.jsonl"))
        assert 0 <= result["score"] <= 100 and result["score"] == scores[benchmark]
        assert result["extraction_failures"] == sum(p["prediction"] is None for p in predictions)
        assert result["protocol"]["answer_prefix"] == 'The best answer is "'
        assert {"lm_eval", "lmms_eval", "transformers", "torch"} <= set(result["versions"])
        assert all(isinstance(p["output"], str) for p in predictions)  # generations from a harness


def test_both_harnesses_served_scienceqa(evaluated):
    out, _ = evaluated
    result = json.loads((out / "scienceqa.json").read_text())
    assert result["metric"] == "mean_accuracy"
    assert result["metrics"]["n_text"] > 0 and result["metrics"]["n_image"] > 0
    assert result["score"] == pytest.approx(
        (result["metrics"]["text_accuracy"] + result["metrics"]["image_accuracy"]) / 2
    )


def test_pope_f1_recomputed_from_the_predictions_file(evaluated):
    out, _ = evaluated
    predictions = [json.loads(line) for line in (out / "pope.predictions.jsonl").read_text().splitlines()]
    tp = sum(p["prediction"] == "yes" and p["answer"] == "yes" for p in predictions)
    fp = sum(p["prediction"] == "yes" and p["answer"] == "no" for p in predictions)
    fn = sum(p["prediction"] != "yes" and p["answer"] == "yes" for p in predictions)
    f1 = 200 * tp / (2 * tp + fp + fn) if tp else 0.0
    result = json.loads((out / "pope.json").read_text())
    assert result["metric"] == "f1" and result["score"] == pytest.approx(f1)
    assert result["metrics"] == pope(predictions)


def test_loglikelihood_protocol_on_language_rows(world, tmp_path):
    from conftest import ROOT

    from mlan.data.templates import Instructions

    protocol = Protocol(mode="loglikelihood", batch_size=4)
    instructions = Instructions.load(ROOT / "config" / "instructions.yaml")
    files = [
        f for f in prompt_files(world, tmp_path / "prompts", protocol, instructions) if f.stem in ("boolq", "race")
    ]
    scores = evaluate(world / "base", files, world / "images", tmp_path / "out", tmp_path / "work", protocol, {})
    for benchmark in ("boolq", "race"):
        result = json.loads((tmp_path / "out" / f"{benchmark}.json").read_text())
        predictions = [
            json.loads(line) for line in (tmp_path / "out" / f"{benchmark}.predictions.jsonl").read_text().splitlines()
        ]
        assert result["extraction_failures"] == 0  # a choice is always picked
        valid = {"yes", "no"} if benchmark == "boolq" else {"A", "B", "C", "D"}
        assert {p["prediction"] for p in predictions} <= valid
        assert scores[benchmark] == pytest.approx(100 * sum(p["correct"] for p in predictions) / len(predictions))
