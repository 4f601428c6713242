"""The data side of the embedded default, run through Snakemake in a fresh copy of the workflow."""

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from conftest import copy_workflow, result_digests, snakemake

from mlan.catalog import ALL_DATASETS
from mlan.data.mixture import quotas
from mlan.grid import Grid

# the finished default run is one per worker: every test reading it runs on the same one
pytestmark = [pytest.mark.pipeline, pytest.mark.xdist_group("default_run")]
# Tables 1 and 5 are jobs of one rule (score_table), Figures 5-7 of another (score_figure)
TABLES = {"score_table": 2, "table2": 1, "table6": 1}
FIGURES = {"score_figure": 3, "figure8": 1}


def planned_jobs(workdir, *targets):
    """Job counts per rule of a dry run."""
    output = snakemake(workdir, "-n", *targets).stdout
    if "Nothing to be done" in output:
        return {}
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)$", output, flags=re.M) if rule != "total"}


def planned_outputs(workdir, *targets) -> set[str]:
    """The tables' and figures' files a dry run would write."""
    output = snakemake(workdir, "-n", *targets).stdout
    return set(
        re.findall(r"results/(?:tables|figures)/[\w.]+", " ".join(re.findall(r"^    output: (.+)$", output, re.M)))
    )


@contextmanager
def edited(path):
    """Append a comment to a file for the duration of the block, then restore it and its mtime."""
    text, stat = path.read_text(), path.stat()
    path.write_text(text + "# edited\n")
    try:
        yield
    finally:
        path.write_text(text)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture(scope="module")
def grid(default_run):
    return Grid(yaml.safe_load((default_run / "config" / "config.yaml").read_text()))


def test_every_data_target_is_built(default_run, grid):
    for name in ALL_DATASETS:
        records = (default_run / f"results/data/{name}.jsonl").read_text().splitlines()
        stats = json.loads((default_run / f"results/data/{name}.stats.json").read_text())
        assert len(records) == stats["records"] > 0
    for record in map(json.loads, (default_run / "results/data/pope.jsonl").read_text().splitlines()):
        assert (default_run / "results/data/images" / record["image"]).is_file()
    assert len(list((default_run / "results/mixtures").glob("*/seed42/train.json"))) == len(grid.all_mixes()) == 9


def test_mixture_stats_follow_the_papers_rules(default_run, grid):
    for mix in grid.all_mixes():
        percent, budget = mix.percent, mix.budget
        folder = default_run / f"results/mixtures/{mix}/seed42"
        stats = json.loads((folder / "stats.json").read_text())
        instances = json.loads((folder / "train.json").read_text())
        expected = {name: quota for name, quota in quotas(budget, percent, grid.groups()).items() if quota}
        assert {name: entry["quota"] for name, entry in stats["datasets"].items()} == expected
        assert len(instances) == stats["totals"]["total"] == budget
        for entry in stats["datasets"].values():
            assert entry["bootstrapped"] == max(0, entry["quota"] - entry["available"])
        for instance in instances:
            assert ("image" in instance) == instance["conversations"][0]["value"].startswith("<image>\n")
            if "image" in instance:
                assert (default_run / "results/data/images" / instance["image"]).is_file()


def test_token_counts_add_up(default_run, grid):
    for run in grid.runs():
        counts = json.loads((default_run / f"results/tokens/{run.model}/{run.mix}/seed{run.seed}.json").read_text())
        stats = json.loads((default_run / f"results/mixtures/{run.mix}/seed{run.seed}/stats.json").read_text())
        assert counts["images"] == stats["totals"]["vision"]
        assert counts["tokens_per_image"] == 16  # (32 px / 8 px patches)^2
        assert counts["total_tokens"] == counts["text_tokens"] + 16 * counts["images"]
    language_only = json.loads((default_run / "results/tokens/tiny/lang100_n480/seed42.json").read_text())
    assert language_only["images"] == 0


def test_tiny_models_are_pretrained_and_finetuned(default_run, grid):
    pretrain = json.loads((default_run / "results/models/tiny/pretrain/train_summary.json").read_text())
    assert pretrain["stage"] == "pretrain" and pretrain["global_batch_size"] == 16
    for run in grid.runs():
        folder = default_run / f"results/models/{run.model}/{run.mix}/seed{run.seed}"
        summary = json.loads((folder / "train_summary.json").read_text())
        losses = [json.loads(line)["loss"] for line in (folder / "train_log.jsonl").read_text().splitlines()]
        assert len(losses) == summary["steps"] and summary["global_batch_size"] == 8
        assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 1.0, run  # the loss falls clearly
        assert (folder / "model.safetensors").is_file() and (folder / "processor_config.json").is_file()
    assert not (default_run / "results/checkpoints").exists() or not any(
        (default_run / "results/checkpoints").rglob("checkpoint-*")
    )


def test_every_run_is_evaluated_and_tuning_beats_pretraining(default_run, grid):
    benchmarks = ("race", "openbookqa", "boolq", "hellaswag", "gqa", "realworldqa", "ai2d", "pope", "scienceqa")
    runs = [run.name for run in grid.evaluated_runs()]
    averages = {}
    for run in runs:
        results = [json.loads((default_run / f"results/eval/tiny/{run}/{b}.json").read_text()) for b in benchmarks]
        assert all(r["n"] > 0 and 0 <= r["score"] <= 100 for r in results)
        averages[run] = sum(r["score"] for r in results) / len(results)
    tuned = [averages[f"{mix}_seed42"] for mix in grid.full_budget_mixes("tiny")]
    assert sum(tuned) / len(tuned) > averages["pretrain"] + 5, averages


def test_an_evaluate_log_shows_both_harnesses_progress_and_ends_with_the_scores(default_run, grid):
    run = grid.evaluated_runs()[0].name
    lines = (default_run / f"results/logs/evaluate/tiny/{run}.log").read_text().splitlines()
    assert any(
        re.search(r"mlan\.evaluate\.stderr: Running generate_until requests: 100%.* (\d+)/\1 ", x) for x in lines
    )
    assert any(
        re.search(r"mlan\.evaluate\.stderr: lmms_eval generate_until requests: 100%.* (\d+)/\1 ", x) for x in lines
    )
    last = lines[-1]
    assert "INFO mlan.evaluate: " in last and all(f"'{b}': " in last for b in ("race", "pope", "scienceqa")), last


def test_a_finetuned_model_exports_its_language_model_for_lm_eval(default_run, grid):
    import shutil

    import torch
    from transformers import LlamaForCausalLM, LlavaForConditionalGeneration

    run = grid.runs()[0]
    target = f"results/export/{run.model}/{run.mix}/seed{run.seed}"
    try:
        snakemake(default_run, target)
        alone = LlamaForCausalLM.from_pretrained(default_run / target, dtype=torch.float32)
        llava = LlavaForConditionalGeneration.from_pretrained(
            default_run / f"results/models/{run.model}/{run.mix}/seed{run.seed}", dtype=torch.float32
        )
        ids = torch.tensor([[1, 5, 9, 17, 33]])
        with torch.no_grad():
            assert torch.equal(alone(input_ids=ids).logits, llava(input_ids=ids).logits)
    finally:
        shutil.rmtree(default_run / "results/export", ignore_errors=True)


def test_every_output_records_the_same_provenance(default_run, grid):
    run = grid.runs()[0]
    summary = json.loads(
        (default_run / f"results/models/{run.model}/{run.mix}/seed{run.seed}/train_summary.json").read_text()
    )
    evaluation = json.loads((default_run / f"results/eval/{run.model}/{run.name}/pope.json").read_text())
    table = json.loads((default_run / "results/scores.provenance.json").read_text())
    records = [summary["provenance"], evaluation["provenance"], table]
    assert all(record == table for record in records)
    assert len(table["config_sha256"]) == 64 and table["git_commit"] is None  # the test's copy is no checkout
    assert table["packages"]["transformers"] == "5.24.0" and table["packages"]["lmms_eval"] == "0.7.3"


def test_the_upstream_command_lines_give_the_tables_numbers_on_the_exported_tasks(default_run, grid):
    """lm_eval (hf, on the exported language model) and lmms-eval (stock llava_hf) on the
    materialized tasks report what the pipeline's own evaluation files say."""
    import shutil
    import subprocess
    import sys

    from mlan.evaluation.export import PASS_THROUGH_TEMPLATE

    run = grid.runs()[0]
    model = default_run / f"results/models/{run.model}/{run.mix}/seed{run.seed}"
    exported = f"results/export/{run.model}/{run.mix}/seed{run.seed}"
    evaluated = default_run / f"results/eval/{run.model}/{run.name}"
    ours = {b: json.loads((evaluated / f"{b}.json").read_text()) for b in ("boolq", "race", "pope", "gqa")}
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(default_run), "OMP_NUM_THREADS": "1"}  # the evaluate rule's threads
    try:
        snakemake(default_run, "results/tasks", exported)
        tasks = default_run / "results/tasks"
        llm = f"pretrained={default_run / exported},add_bos_token=True"
        language = [bin_dir / "lm_eval", "run", "--model", "hf", "--model_args", llm, "--include_path",
                    tasks / "lm_eval", "--tasks", "mlan_boolq,mlan_race", "--device", "cpu", "--batch_size", "4",
                    "--output_path", default_run / "cli/lm_eval"]  # fmt: skip
        llava = f"pretrained={model},chat_template={PASS_THROUGH_TEMPLATE},device_map=cpu"
        vision = [bin_dir / "lmms-eval", "--model", "llava_hf", "--force_simple", "--model_args", llava,
                  "--include_path", tasks / "lmms_eval", "--tasks", "mlan_pope,mlan_gqa", "--device", "cpu",
                  "--batch_size", "1", "--output_path", default_run / "cli/lmms_eval"]  # fmt: skip
        for command in (language, vision):
            subprocess.run([str(part) for part in command], check=True, capture_output=True, cwd=default_run, env=env)
        found = {}
        for path in (default_run / "cli").rglob("*results*.json"):
            for task, metrics in json.loads(path.read_text())["results"].items():
                found |= {
                    (task, name.split(",")[0]): value
                    for name, value in metrics.items()
                    if isinstance(value, float | int)
                }
    finally:
        for folder in ("results/tasks", "results/export", "cli"):
            shutil.rmtree(default_run / folder, ignore_errors=True)
    assert found[("mlan_boolq", "accuracy")] == pytest.approx(ours["boolq"]["score"])
    assert found[("mlan_race", "accuracy")] == pytest.approx(ours["race"]["score"])
    assert found[("mlan_gqa", "accuracy")] == pytest.approx(ours["gqa"]["score"])
    assert found[("mlan_pope", "f1")] == pytest.approx(ours["pope"]["score"])
    assert found[("mlan_pope", "accuracy")] == pytest.approx(ours["pope"]["metrics"]["accuracy"])


def test_every_table_and_figure_is_rendered(default_run):
    for n in (1, 2, 5, 6):
        for suffix in ("csv", "md", "html", "tex"):
            assert (default_run / f"results/tables/table{n}.{suffix}").stat().st_size > 0
    for n in (5, 6, 7, 8):
        for suffix in ("png", "pdf"):
            assert (default_run / f"results/figures/figure{n}.{suffix}").stat().st_size > 1000
    scores = (default_run / "results/scores.csv").read_text().splitlines()
    assert scores[0] == "model,method,mix,percent,budget,seed,benchmark,metric,score,ci_low,ci_high"
    assert len(scores) > 90
    # 11 published Llama 2 settings x (9 benchmarks + 3 averages) + 4 token counts; 7 settings and the
    # 4 token counts reproduced (the tiny model is compared as Llama 2)
    comparison = (default_run / "results/comparison.md").read_text()
    assert "Published cells: 136; reproduced: 88; missing: 48." in comparison
    assert "| MLAN trains on fewer tokens than LLaVA (%) | 78 | 78 |" in comparison
    diversity = json.loads((default_run / "results/diversity.json").read_text())
    assert {s: v["n"] for s, v in diversity["settings"].items()} == {
        "vision-vision": 2000,
        "language-language": 2000,
        "language-vision": 2000,
    }


def test_changing_one_run_reruns_only_what_uses_it(default_run):
    # a budget-scaling run: only Figure 7 and scores.csv use it (Snakemake compares the
    # checksums of small inputs, so the content must change, not just the time stamp)
    with edited(default_run / "results/eval/tiny/lang100_n240_seed42/race.json"):
        assert planned_jobs(default_run) == {"run_scores": 1, "scores": 1, "score_figure": 1, "all": 1}
        assert planned_outputs(default_run) == {"results/figures/figure7.png", "results/figures/figure7.pdf"}


def test_one_figure_builds_only_what_it_needs(tmp_path):
    fresh = copy_workflow(tmp_path / "fresh")
    jobs = planned_jobs(fresh, "results/figures/figure6.png")
    # the ratio grid's three mixtures, not the methods' or the budget scaling's
    assert jobs["finetune"] == 3 and jobs["evaluate"] == 3 and jobs["mixture"] == 3
    assert jobs["score_figure"] == 1 and jobs.keys().isdisjoint({"score_table", "diversity", "comparison"})
    assert planned_outputs(fresh, "results/figures/figure6.png") == {
        "results/figures/figure6.png",
        "results/figures/figure6.pdf",
    }


def test_the_comparison_reads_every_published_setting(tmp_path):
    # Table 1's methods and Table 5's ratio grid: 6%, 25%, 87.5%, 100% and 0%, 50%, not the budget scaling
    jobs = planned_jobs(copy_workflow(tmp_path / "fresh"), "results/comparison.md")
    assert jobs["finetune"] == 6 and jobs["evaluate"] == 7 and jobs["comparison"] == 1


def test_report_collects_the_figures(default_run):
    snakemake(default_run, "--report", "report.html")
    report = (default_run / "report.html").read_text(errors="ignore")
    assert "figure6.png" in report and "comparison.md" in report


def test_rerun_has_nothing_to_do(default_run):
    assert planned_jobs(default_run) == {}


def test_editing_the_prompts_reruns_only_mixtures_and_token_counts(default_run):
    with edited(default_run / "config/instructions.yaml"):
        # the clean protocol's prompt files (its templates) and what reads them: every run's
        # evaluation and the released checkpoint's clean one; the official prompts read no template
        expected = {"mixture": 9, "count_tokens": 9, "finetune": 9, "eval_prompts": 9, "evaluate": 10, "all": 1}
        expected |= {"training_curves": 1, "cost": 1, "evaluate_released": 1, "released_scores": 1}
        expected |= {"released_comparison": 1}
        # every score changes (and the intervals and paired tests with them); Figure 8 (the data's questions) does not
        expected |= (
            {"run_scores": 10, "scores": 1, "comparison": 1, "intervals": 1, "significance": 1}
            | TABLES
            | {"score_figure": 3}
        )
        assert planned_jobs(default_run) == expected
    assert planned_jobs(default_run) == {}


def test_editing_one_adapter_reruns_that_dataset_and_what_uses_it(default_run):
    # ARC is language data: every mixture but the vision-only one, and the toy tokenizer,
    # hence the base model, its pretraining and every finetuning run.
    expected = {
        "normalize": 1,
        "mixture": 8,
        "processor": 1,
        "count_tokens": 9,
        "assemble_model": 1,
        "pretrain": 1,
        "finetune": 9,
        "evaluate": 10,
        "all": 1,
        "run_scores": 10,
        "scores": 1,
        **TABLES,
        **FIGURES,
        "diversity": 1,
        "comparison": 1,
        "training_curves": 1,
        "intervals": 1,
        "significance": 1,
        "cost": 1,
    }
    with edited(default_run / "mlan/data/sources/arc.py"):
        assert planned_jobs(default_run) == expected


def test_same_seed_gives_identical_bytes_in_a_fresh_run(default_run, tmp_path):
    fresh = copy_workflow(tmp_path / "fresh")
    target = "results/mixtures/lang50_n480/seed42/train.json"
    snakemake(fresh, target)
    assert (fresh / target).read_bytes() == (default_run / target).read_bytes()
    for name in ("vqav2", "squad"):
        data = f"results/data/{name}.jsonl"
        assert (fresh / data).read_bytes() == (default_run / data).read_bytes()


def test_bad_row_in_a_local_copy_is_named_before_training(workflow):
    rows = [
        {"id": "a1", "title": "t", "context": "c", "question": "q?", "answers": {"text": ["x"], "answer_start": [0]}},
        {"id": "a2", "title": "t", "context": "c", "answers": {"text": ["y"], "answer_start": [0]}},
    ]
    local = workflow / "downloads" / "squad.jsonl"
    local.parent.mkdir()
    local.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = yaml.safe_load((workflow / "config/config.yaml").read_text())
    config["datasets"]["squad"] = {"source": {"local": str(local)}}
    (workflow / "local.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workflow, "--configfile=local.yaml", "results/data/squad.jsonl", check=False)
    assert result.returncode != 0
    message = "dataset 'squad', file 'squad.jsonl', row 1: missing field 'question'"
    assert message in result.stderr + result.stdout
    assert not (workflow / "results/data/squad.jsonl").exists()


def test_stale_files_on_disk_change_no_table_figure_or_score(default_run):
    # leftovers of an earlier grid: a token count of another budget, the scores of a run
    # no longer in the grid, the result of a benchmark no longer evaluated
    stale = {
        "results/tokens/tiny/lang50_n960/seed42.json": "results/tokens/tiny/lang50_n480/seed42.json",
        "results/scores/tiny/lang37.5_n480_seed42.csv": "results/scores/tiny/lang50_n480_seed42.csv",
        "results/eval/tiny/pretrain/mmlu.json": "results/eval/tiny/pretrain/race.json",
    }
    before = result_digests(default_run)
    try:
        for path, model in stale.items():
            (default_run / path).parent.mkdir(parents=True, exist_ok=True)
            text = (default_run / model).read_text().replace("480", "960").replace("race", "mmlu")
            (default_run / path).write_text(text.replace("lang50", "lang37.5"))
        aggregates = ["run_scores", "scores", "comparison", "intervals", "significance", "cost", *TABLES, *FIGURES]
        snakemake(default_run, "--forcerun", *aggregates)
        after = result_digests(default_run)
    finally:
        for path in stale:
            (default_run / path).unlink(missing_ok=True)
        (default_run / "results/tokens/tiny/lang50_n960").rmdir()
    assert {path: digest for path, digest in after.items() if path not in stale} == before


def test_changing_a_methods_ratio_reruns_only_that_method_and_what_aggregates_it(default_run, tmp_path):
    # mlan_v: 87.5% -> 37.5% language (an overlay merged over the embedded default)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("models: {tiny: {methods: {mlan_v: 37.5}}}\n")
    jobs = planned_jobs(default_run, f"--configfile={overlay}")
    # Tables 5, 6 and Figure 6 hold the ratio grid only: they stay
    assert jobs == {"mixture": 1, "count_tokens": 1, "finetune": 1, "evaluate": 1, "run_scores": 1, "scores": 1,
                    "comparison": 1, "all": 1, "score_table": 1, "table2": 1, "score_figure": 1,
                    "training_curves": 1, "intervals": 1, "significance": 1, "cost": 1}  # fmt: skip
    assert planned_outputs(default_run, f"--configfile={overlay}") >= {
        "results/tables/table1.md",
        "results/figures/figure5.png",
    }


def test_a_score_file_carries_only_the_benchmarks_evaluated(default_run, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "evaluation: {benchmarks: [race, openbookqa, boolq, hellaswag, gqa, realworldqa, ai2d, scienceqa]}\n"
    )
    target = "results/scores/tiny/pretrain.csv"
    before = (default_run / target).read_text()
    # only the score file is rebuilt (the changed benchmark list would rerun the evaluation
    # too: a minute of CI for nothing this test checks); pope's result stays on disk, unread
    only_scores = ("--rerun-triggers", "mtime", "--forcerun", "run_scores", "--", target)
    try:
        snakemake(default_run, f"--configfile={overlay}", *only_scores)
        benchmarks = {line.split(",")[6] for line in (default_run / target).read_text().splitlines()[1:]}
        assert benchmarks == {"race", "openbookqa", "boolq", "hellaswag", "gqa", "realworldqa", "ai2d", "scienceqa"}
    finally:
        snakemake(default_run, *only_scores)
    assert (default_run / target).read_text() == before


def predictions_by_id(path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, path.read_text().splitlines())}


def test_intervals_paired_tests_and_cost_recomputed_from_the_stored_files(default_run):
    import zlib

    import numpy as np
    import pandas as pd
    from scipy.stats import binomtest

    results = default_run / "results"
    intervals = pd.read_csv(results / "tables/intervals.csv", dtype={"run": str})
    assert len(intervals) == 10 * 12  # every evaluated run: nine benchmarks, three averages
    assert ((0 <= intervals["ci_low"]) & (intervals["ci_low"] <= intervals["ci_high"])).all()
    assert (intervals["ci_high"] <= 100).all()
    # one interval by hand: Pretrain's RACE, 1000 draws of the items, keyed by (seed 0, "race")
    rows = predictions_by_id(results / "eval/tiny/pretrain/race.predictions.jsonl")
    correct = np.array([float(rows[key]["correct"]) for key in sorted(rows)])
    draws = np.random.default_rng([0, zlib.crc32(b"race")]).integers(0, len(correct), size=(1000, len(correct)))
    expected = np.percentile(100 * correct[draws].mean(axis=1), [2.5, 97.5])
    cell = intervals[(intervals["run"] == "pretrain") & (intervals["benchmark"] == "race")].iloc[0]
    assert (cell["ci_low"], cell["ci_high"]) == pytest.approx(tuple(expected), abs=1e-4)
    scores = pd.read_csv(results / "scores.csv", dtype={"seed": str, "mix": str}, keep_default_na=False)
    stored = scores[(scores["method"] == "pretrain") & (scores["benchmark"] == "race")].iloc[0]
    assert (float(stored["ci_low"]), float(stored["ci_high"])) == pytest.approx(tuple(expected), abs=1e-4)

    significance = pd.read_csv(results / "tables/significance.csv", dtype={"a_key": str, "b_key": str})
    pairs = significance.groupby(["comparison", "a", "b"]).size()
    assert len(pairs) == 5 + 2 and set(pairs) == {12}  # the paper's five method pairs, 0-50 and 50-100 %
    pair = significance[(significance["a_key"] == "mlan") & (significance["b_key"] == "pretrain")]
    boolq = pair[pair["benchmark"] == "boolq"].iloc[0]
    a = predictions_by_id(results / f"eval/tiny/{boolq['a']}/boolq.predictions.jsonl")
    b = predictions_by_id(results / "eval/tiny/pretrain/boolq.predictions.jsonl")
    only_a = sum(a[key]["correct"] and not b[key]["correct"] for key in a)
    only_b = sum(b[key]["correct"] and not a[key]["correct"] for key in a)
    expected_p = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    assert boolq["p_mcnemar"] == pytest.approx(expected_p, abs=1e-4)
    assert boolq["difference"] == pytest.approx(100 * (only_a - only_b) / len(a), abs=1e-4)

    cost = pd.read_csv(results / "tables/cost.csv")
    assert len(cost) == 10  # pretraining and nine finetunings
    summary = json.loads((results / "models/tiny/pretrain/train_summary.json").read_text())
    pretrain = cost[cost["run"] == "pretrain"].iloc[0]
    assert pretrain["device_hours"] == pytest.approx(summary["world_size"] * summary["wall_time_seconds"] / 3600)
    assert pretrain["tokens_per_s"] == pytest.approx(summary["tokens_seen"] / summary["wall_time_seconds"])
    comparison = (results / "comparison.md").read_text()
    assert "## Claims of the paper's text" in comparison and "## Efficiency in measured device-hours" in comparison
    assert "| MLAN outperforms the pretrained models by 15.4 points on average over all nine tasks |" in comparison
    for name in ("intervals", "significance", "cost"):
        assert (results / f"tables/{name}.md").read_text().startswith("# ")


def test_the_unreadable_replies_table_counts_each_runs_predictions(default_run):
    """`benchmarks.toy_learning --default`'s second table: per run and benchmark, the % of
    items whose reply no answer was read from, as the predictions files record it."""
    from benchmarks.toy_learning import unreadable_table

    results = default_run / "results"
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in unreadable_table(results).splitlines()[2:]}
    assert len(rows) == 10  # Pretrain and the nine finetuned runs
    benchmarks = yaml.safe_load((default_run / "config" / "config.yaml").read_text())["evaluation"]["benchmarks"]
    for name, folder in (("pretrain", "pretrain"), ("mlan lang100_n480", "lang100_n480_seed42")):
        shares = []
        for benchmark in benchmarks:
            lines = (results / f"eval/tiny/{folder}/{benchmark}.predictions.jsonl").read_text().splitlines()
            unread = sum(not json.loads(line)["readable"] for line in lines)
            shares.append(f"{100 * unread / len(lines):.0f}")
        assert rows[name] == f"| {name} | " + " | ".join(shares) + " |"
    # Pretrain never answers in the trained format: no option or yes/no is read from its replies
    assert rows["pretrain"].split(" | ")[1:4] == ["100", "100", "100"]  # race, openbookqa, boolq


def test_scoring_by_option_text_picks_the_option_the_model_finds_most_likely(default_run):
    """`benchmarks.toy_learning --default`'s third table scores each option's text after
    the prompt: with one-token options it must pick the one the model's next-token
    distribution after the prompt ranks first, wherever that option stands in the list."""
    import torch
    from transformers import AutoTokenizer

    from benchmarks.toy_learning import option_text_choice
    from mlan.training.model import load_model

    folder = default_run / "results/models/tiny/lang100_n480/seed42"
    model, tokenizer = load_model(folder).eval(), AutoTokenizer.from_pretrained(folder)
    prompts = default_run / "results/eval/prompts/clean/race.jsonl"
    for line in prompts.read_text().splitlines()[:5]:
        item = json.loads(line)
        prompt = tokenizer(item["context"]).input_ids
        after = {letter: tokenizer(f"{item['context']} {letter}").input_ids[len(prompt) :] for letter in "ABCD"}
        # the space is a token of its own here: the same for every option, then one token each
        shared = after["A"][:-1]
        assert all(ids[:-1] == shared for ids in after.values()), after
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt + shared])).logits[0, -1]
        # least likely first: the letter the model ranks first is the last option
        ranked = sorted("ABCD", key=lambda letter: logits[after[letter][-1]].item())
        assert option_text_choice(model, tokenizer, item | {"choices": ranked}) == 3
