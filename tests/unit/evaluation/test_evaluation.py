"""A tiny model evaluated end to end by both harnesses, and the result files checked."""

import json

import pytest

from mlan.benchmarks import scoring
from mlan.data.records import read_records
from mlan.evaluation.metrics import pope
from mlan.evaluation.prompts import eval_items
from mlan.evaluation.protocol import Protocol
from mlan.evaluation.run import evaluate

BENCHMARKS = ("boolq", "race", "pope", "ai2d", "scienceqa")
SCORING = scoring(BENCHMARKS)


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
    scores = evaluate(
        world / "base",
        files,
        world / "images",
        root / "out",
        root / "work",
        protocol,
        {"model": "tiny"},
        scoring(BENCHMARKS),
    )
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
        assert all(p["readable"] == (p["prediction"] is not None) for p in predictions)
        assert result["protocol"]["answer_prefix"] == 'The best answer is "'
        assert {"lm_eval", "lmms_eval", "transformers", "torch"} <= set(result["provenance"]["packages"])
        assert all(isinstance(p["output"], str) for p in predictions)  # generations from a harness


def test_batched_generation_predicts_as_batch_one(evaluated, world, tmp_path):
    # left padding with the attention mask: the same greedy outputs, on both harness paths
    from conftest import ROOT

    from mlan.data.templates import Instructions

    out, _ = evaluated
    protocol = Protocol(batch_size=1)
    files = prompt_files(
        world, tmp_path / "prompts", protocol, Instructions.load(ROOT / "config" / "instructions.yaml")
    )
    evaluate(
        world / "base",
        files,
        world / "images",
        tmp_path / "out",
        tmp_path / "work",
        protocol,
        {"model": "tiny"},
        scoring(BENCHMARKS),
    )

    def outputs(folder, benchmark):
        return [json.loads(line)["output"] for line in (folder / f"{benchmark}.predictions.jsonl").open()]

    for benchmark in BENCHMARKS:
        batched = outputs(out, benchmark)
        assert len(set(batched)) > 1 and outputs(tmp_path / "out", benchmark) == batched, benchmark


def test_the_protocol_sets_budgets_per_benchmark_and_the_language_frame(tmp_path):
    from mlan.evaluation.harness import materialize
    from mlan.evaluation.prompts import template_context

    protocol = Protocol(max_new_tokens={"default": 20, "pope": 4, "scienceqa": 8}, language_frame="user_assistant")
    assert [protocol.new_tokens(b) for b in ("race", "pope", "scienceqa")] == [20, 4, 8]
    assert template_context("Q?", False, protocol) == 'User: Q?\nAssistant: The best answer is "'
    assert template_context("Q?", True, protocol).endswith('USER: <image>\nQ? ASSISTANT: The best answer is "')
    before = Protocol(image_placement="before_system")
    assert template_context("Q?", True, before).startswith("<image>\nA chat between")
    tasks = {"lm_eval": {"mlan_scienceqa_text": [], "mlan_race": []}, "lmms_eval": {"mlan_pope": []}}
    for harness, task, budget in (("lmms_eval", "mlan_pope", 4), ("lm_eval", "mlan_scienceqa_text", 8),
                                  ("lm_eval", "mlan_race", 20)):  # fmt: skip
        materialize(harness, tmp_path / harness, tasks[harness], protocol, tmp_path)
        settings = (tmp_path / harness / f"_generate_{task}.yaml").read_text()
        assert f"max_{'gen_toks' if harness == 'lm_eval' else 'new_tokens'}: {budget}\n" in settings
        assert f"include: _generate_{task}.yaml" in (tmp_path / harness / f"{task}.yaml").read_text()


def test_both_harnesses_served_scienceqa(evaluated):
    out, _ = evaluated
    result = json.loads((out / "scienceqa.json").read_text())
    assert result["metric"] == "accuracy"  # the clean protocol's: the mean of the two
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
    scores = evaluate(
        world / "base", files, world / "images", tmp_path / "out", tmp_path / "work", protocol, {}, scoring(BENCHMARKS)
    )
    for benchmark in ("boolq", "race"):
        result = json.loads((tmp_path / "out" / f"{benchmark}.json").read_text())
        predictions = [
            json.loads(line) for line in (tmp_path / "out" / f"{benchmark}.predictions.jsonl").read_text().splitlines()
        ]
        assert result["extraction_failures"] == 0  # a choice is always picked
        valid = {"yes", "no"} if benchmark == "boolq" else {"A", "B", "C", "D"}
        assert {p["prediction"] for p in predictions} <= valid
        assert scores[benchmark] == pytest.approx(100 * sum(p["correct"] for p in predictions) / len(predictions))


def test_the_official_protocol_end_to_end_through_both_harnesses(world, tmp_path):
    """Official prompts (ScienceQA's text rows through lmms-eval too), no BOS before the
    language prompts, no stop strings for the image tasks, the official filters: every
    benchmark scored, and what the score files say recomputed from the predictions."""
    from conftest import ROOT

    from mlan.data.templates import Instructions

    protocol = Protocol.from_config({"batch_size": 4}, "official")
    files = prompt_files(
        world, tmp_path / "prompts", protocol, Instructions.load(ROOT / "config" / "instructions.yaml")
    )
    items = {f.stem: [json.loads(line) for line in f.read_text().splitlines()] for f in files}
    assert {item["harness"] for item in items["scienceqa"]} == {"lmms_eval"}
    assert all(item["context"].startswith("User: ") for item in items["boolq"] + items["race"])
    assert all(item["context"].startswith("<image>\nA chat between") for item in items["pope"])
    scores = evaluate(
        world / "base", files, world / "images", tmp_path / "out", tmp_path / "work", protocol, {}, scoring(BENCHMARKS)
    )
    assert set(scores) == set(BENCHMARKS)
    for benchmark in BENCHMARKS:
        result = json.loads((tmp_path / "out" / f"{benchmark}.json").read_text())
        predictions = [json.loads(line) for line in (tmp_path / "out" / f"{benchmark}.predictions.jsonl").open()]
        assert result["protocol"]["protocol"] == "official" and result["n"] == len(predictions)
        assert result["extraction_failures"] == sum(not p["readable"] for p in predictions)
        assert all(isinstance(p["prediction"], str) for p in predictions)  # the filtered reply, kept whole
    science = json.loads((tmp_path / "out" / "scienceqa.json").read_text())
    assert science["score"] == pytest.approx(science["metrics"]["pooled_accuracy"])
    lm_eval = json.loads((tmp_path / "out" / "lm_eval.results.json").read_text())
    assert lm_eval["tasks"] == ["mlan_boolq", "mlan_race"]  # ScienceQA's text rows are not there
    pope_lines = [json.loads(line) for line in (tmp_path / "out" / "pope.predictions.jsonl").open()]
    assert {p["counted_as"] for p in pope_lines} <= {"yes", "no", None}
