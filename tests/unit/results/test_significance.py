"""Which runs the significance table pairs, and the cost table's arithmetic."""

import json

import pandas as pd
import pytest

from mlan.errors import MlanError
from mlan.results.cost import cost_row, efficiency, read_summary
from mlan.results.significance import RunFacts, compare, method_pairs, ratio_pairs
from mlan.results.uncertainty import Outcomes

PRETRAIN = RunFacts("tiny", "pretrain", ("pretrain",), None, None, ratio=False)


def run(percent, seed, methods=("",), ratio=True, model="tiny"):
    return RunFacts(model, f"lang{percent}_n480_seed{seed}", tuple(methods), float(percent), seed, ratio)


def test_method_pairs_meet_seed_by_seed_and_pretrain_meets_every_seed():
    runs = [PRETRAIN, run(50, 1, ["mlan"]), run(50, 2, ["mlan"]), run(6, 1, ["llava"]), run(6, 2, ["llava"])]
    pairs, notes = method_pairs(runs, [["mlan", "pretrain"], ["mlan", "llava"], ["mlan", "cambrian"]])
    assert [keys for _, *keys, _, _ in pairs][0] == ["mlan", "pretrain"]
    named = [(name, a.name, b.name) for name, _, _, a, b in pairs]
    assert named == [
        ("MLAN vs Pretrain", "lang50_n480_seed1", "pretrain"),
        ("MLAN vs Pretrain", "lang50_n480_seed2", "pretrain"),
        ("MLAN vs LLaVA", "lang50_n480_seed1", "lang6_n480_seed1"),
        ("MLAN vs LLaVA", "lang50_n480_seed2", "lang6_n480_seed2"),
    ]
    assert notes == ["tiny: MLAN vs Cambrian-1 not compared: no cambrian run in this grid"]


def test_methods_sharing_a_run_are_named_not_compared():
    pairs, notes = method_pairs([run(50, 1, ["mlan", "mlan_v"])], [["mlan", "mlan_v"]])
    assert pairs == [] and notes == ["tiny: MLAN vs MLAN_v not compared: both methods train on the same run"]


def test_neighbouring_ratios_pair_within_model_and_seed():
    runs = [run(75, 1), run(0, 1), run(25, 1), run(25, 2), run(0, 2), run(50, 1, ratio=False)]
    assert [(n, a.name, b.name) for n, _, _, a, b in ratio_pairs(runs)] == [
        ("25% vs 0% language", "lang25_n480_seed1", "lang0_n480_seed1"),
        ("75% vs 25% language", "lang75_n480_seed1", "lang25_n480_seed1"),
        ("25% vs 0% language", "lang25_n480_seed2", "lang0_n480_seed2"),
    ]


def outcomes_of(correct: dict[str, list[int]]) -> dict[str, Outcomes]:
    found = {}
    for benchmark, values in correct.items():
        samples = [
            {"id": f"{benchmark}{i}", "correct": c, "modality": "vision" if i % 2 else "text",
             "prediction": "yes" if c else "no", "answer": "yes"}
            for i, c in enumerate(values)
        ]  # fmt: skip
        found[benchmark] = Outcomes.from_samples(benchmark, samples)
    return found


def test_a_comparison_has_the_nine_benchmarks_and_three_averages_with_mcnemar_on_accuracy():
    from mlan.results.scores import BENCHMARKS

    a = outcomes_of({b: [1, 1, 1, 1, 1, 1] for b in BENCHMARKS})
    b = outcomes_of({b: [1, 1, 0, 0, 0, 0] for b in BENCHMARKS})
    better, worse = run(50, 1, ["mlan"]), PRETRAIN
    found = {"tiny/lang50_n480_seed1": a, "tiny/pretrain": b}
    rows = compare("MLAN vs Pretrain", "mlan", "pretrain", better, worse, found, 200, 0)
    by_cell = {row["benchmark"]: row for row in rows}
    assert list(by_cell) == BENCHMARKS + ["language_avg", "vision_avg", "overall_avg"]
    assert by_cell["race"]["difference"] == pytest.approx(100 * 4 / 6)
    assert by_cell["race"]["p_mcnemar"] == pytest.approx(2 * 0.5**4)  # 4 discordant items, all for A
    assert by_cell["pope"]["p_mcnemar"] is None and by_cell["overall_avg"]["items"] == 54
    assert not by_cell["race"]["significant"]  # 0.125: four items are not enough


def test_the_cost_row_by_hand(tmp_path):
    summary = {"stage": "finetune", "instances": 480, "samples_seen": 960, "tokens_seen": 48000,
               "padding_fraction": 0.25, "wall_time_seconds": 120.0, "world_size": 4,
               "peak_memory_bytes": 3e9, "device": "NVIDIA A100"}  # fmt: skip
    (tmp_path / "train_summary.json").write_text(json.dumps(summary))
    tokens = {"text_tokens": 30000, "image_tokens": 10000}
    row = cost_row("tiny", "lang50_n480_seed1", ["mlan"], read_summary(tmp_path), tokens)
    assert row["device_hours"] == pytest.approx(4 * 120 / 3600)
    assert (row["samples_per_s"], row["tokens_per_s"], row["peak_memory_gb"]) == (8.0, 400.0, 3.0)
    assert row["methods"] == "MLAN"


def test_the_efficiency_claims_in_tokens_and_device_hours():
    def row(run, text, image, hours):
        return {"model": "tiny", "run": run, "stage": "finetune", "text_tokens": text, "image_tokens": image,
                "device_hours": hours}  # fmt: skip

    frame = pd.DataFrame([row("mlan1", 10, 0, 1.0), row("mlan2", 10, 0, 3.0), row("llava1", 30, 16, 10.0)])
    methods = {"tiny": {"mlan1": ["mlan"], "mlan2": ["mlan"], "llava1": ["llava"]}}
    claims = efficiency(frame, methods).set_index("claim")
    assert claims.loc["MLAN vs LLaVA", "tokens"] == pytest.approx(4.6)
    assert claims.loc["MLAN vs LLaVA", "device_hours"] == pytest.approx(5.0)  # 10 h over the seeds' mean 2 h
    assert pd.isna(claims.loc["MLAN vs Cambrian-1", "device_hours"])  # no Cambrian-1 run: missing, still listed


def test_a_model_folder_without_its_summary_is_named(tmp_path):
    with pytest.raises(MlanError, match="train_summary.json' is missing"):
        read_summary(tmp_path)


def significance_rows(*rows):
    columns = ["model", "a_key", "b_key", "benchmark", "difference", "significant"]
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows])


def test_a_claim_is_reproduced_with_or_without_significance_or_not():
    from mlan.results.claims import text_claims

    claim = {"id": "c", "where": "Sec. 1", "text": "MLAN beats Pretrain", "a": "mlan", "b": "pretrain",
             "cell": "overall_avg", "direction": "greater", "stated": 15.4}  # fmt: skip
    par = claim | {"id": "p", "b": "llava", "direction": "on_par"}
    frame = significance_rows(
        ("m1", "mlan", "pretrain", "overall_avg", 3.0, True),
        ("m2", "mlan", "pretrain", "overall_avg", 1.0, False),
        ("m1", "mlan", "llava", "overall_avg", -0.5, False),
    )
    empty = pd.DataFrame(columns=["model", "percent", "overall_avg"])
    found = text_claims([claim, par], frame, empty, ["m1"]).set_index("id")
    assert found.loc["c", "status"] == "reproduced, significant" and found.loc["c", "reproduced"] == 3.0
    assert found.loc["p", "status"] == "reproduced (no significant difference)"
    both = text_claims([claim], frame, empty, ["m1", "m2"]).iloc[0]
    assert (both["status"], both["reproduced"]) == ("reproduced, not significant", 2.0)  # m2's is not significant
    worse = significance_rows(("m1", "mlan", "pretrain", "overall_avg", -1.0, True))
    assert text_claims([claim], worse, empty, ["m1"]).iloc[0]["status"] == "not reproduced"
    assert text_claims([claim], worse, empty, ["m3"]).iloc[0]["status"] == "missing"


def test_the_peak_claim_needs_the_peak_at_the_stated_ratio():
    from mlan.results.claims import text_claims

    claim = {"id": "ratio_peak", "where": "App. E.2", "text": "peak at 37.5", "kind": "peak", "cell": "overall_avg",
             "stated": 37.5}  # fmt: skip
    grid = pd.DataFrame({"model": "m1", "percent": [25.0, 37.5, 50.0], "overall_avg": [60.0, 64.0, 61.0]})
    frame = significance_rows(
        ("m1", "37.5", "25", "overall_avg", 4.0, True), ("m1", "50", "37.5", "overall_avg", -3.0, True)
    )
    assert text_claims([claim], frame, grid, ["m1"]).iloc[0]["status"] == "reproduced, significant"
    frame.loc[1, "significant"] = False
    assert text_claims([claim], frame, grid, ["m1"]).iloc[0]["status"] == "reproduced, not significant"
    shifted = grid.assign(overall_avg=[60.0, 61.0, 64.0])
    found = text_claims([claim], frame, shifted, ["m1"]).iloc[0]
    assert (found["status"], found["reproduced"]) == ("not reproduced", 50.0)


def test_item_intervals_replace_the_seed_spread_in_the_tables():
    from mlan.results.aggregate import SUMMARY_COLUMNS
    from mlan.results.tables import table1

    rows, cells = [], []
    for seed, (score, half) in {"1": (60.0, 1.0), "2": (70.0, 3.0)}.items():
        for benchmark in SUMMARY_COLUMNS:
            cells.append({"model": "m", "run": f"lang100_n80_seed{seed}", "benchmark": benchmark, "score": score,
                          "ci_low": score - half, "ci_high": score + half})  # fmt: skip
    for benchmark in ("race", "openbookqa", "boolq", "hellaswag", "gqa", "realworldqa", "ai2d", "pope", "scienceqa"):
        metric = {"pope": "f1"}.get(benchmark, "accuracy")
        for seed, score in (("1", 60.0), ("2", 70.0)):
            rows.append({"model": "m", "method": "mlan", "mix": "lang100_n80", "percent": 100.0, "budget": 80,
                         "seed": seed, "benchmark": benchmark, "metric": metric, "score": score})  # fmt: skip
    scores, intervals = pd.DataFrame(rows), pd.DataFrame(cells)
    numbers, shown = table1(scores)
    assert shown.iloc[0]["RACE"] == "65.0 ± 7.1"  # the seeds' standard deviation
    numbers, shown = table1(scores, intervals)
    assert shown.iloc[0]["RACE"] == "65.0 ± 2.0" and numbers.iloc[0]["overall_avg_std"] == 2.0  # mean half-width
    with pytest.raises(ValueError, match="no run m/lang100_n80_seed2"):
        table1(scores, intervals[~intervals["run"].str.endswith("seed2")])
